"""The simple alternative: the keyword script a shop writes for itself, for comparison only.

    python -m bench.keywords bench/data/10000-s7 --out /tmp/keywords.csv

It reads the same exports (JSONL, Qianniu text, CSV with Chinese headers) with the standard
library, gives each chat points for a handful of keywords in the agent's messages (a greeting,
polite words, an apology, a sign-off; minus points for rude phrases) and the first reply time,
and writes one CSV row per chat. No encodings sniffed, no bad input set aside, no evidence, no
lexicon rules, no day picked, no database: that is the work `grader grade` does beyond it.
Prints one JSON line: chats, seconds, peak RSS.
"""
from __future__ import annotations

import csv
import json
import re
import resource
import time
from datetime import datetime
from pathlib import Path

POINTS = {"您好": 10, "亲": 5, "请": 5, "抱歉": 10, "不好意思": 10, "稍等": 5, "感谢": 10, "祝您": 10, "还有什么可以帮您": 10}
RUDE = {"你自己": -20, "不归我们管": -20, "不知道": -10}
HEADER = re.compile(r"^(\S+) (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})$")
ROLE = {"客户": "customer", "客服": "agent", "系统": "system"}


def chats_of(path: Path):
    """(chat id, [(time, role, text)]) of one export file."""
    if path.suffix == ".jsonl":
        for line in path.open(encoding="utf-8"):
            if line.strip():
                c = json.loads(line)
                yield c["id"], [(m["time"], m["role"], m["text"]) for m in c["messages"]]
    elif path.suffix == ".csv":
        chats: dict[str, list] = {}
        for row in csv.DictReader(path.open(encoding="utf-8", newline="")):
            chats.setdefault(row["会话ID"], []).append((row["时间"], ROLE.get(row["角色"], "system"), row["内容"]))
        yield from chats.items()
    else:  # Qianniu text: "nick time" headers, text lines, "----" between chats; agents have a ':'
        msgs, n = [], 0
        for line in path.open(encoding="utf-8"):
            line = line.rstrip("\n")
            if line.startswith("----"):
                n += 1
                yield f"{path.stem}-{n}", msgs
                msgs = []
            elif m := HEADER.match(line):
                msgs.append([m[2], "agent" if ":" in m[1] else "customer", ""])
            elif msgs and line != "已读":
                msgs[-1][2] += line


def score(messages) -> tuple[int, float | None]:
    """(keyword points, seconds to the first agent reply)."""
    points, asked, first = 60, None, None
    for when, role, text in messages:
        if role == "customer" and asked is None:
            asked = when
        elif role == "agent" and not text.startswith("【自动回复】"):
            if asked is not None and first is None:
                first = (datetime.fromisoformat(when) - datetime.fromisoformat(asked)).total_seconds()
            points += sum(p for word, p in POINTS.items() if word in text)
            points += sum(p for word, p in RUDE.items() if word in text)
    return max(0, min(100, points)), first


def run(folder: str, out: str) -> dict:
    start = time.perf_counter()
    chats = 0
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["会话ID", "关键词得分", "首次响应秒数"])
        for path in sorted(Path(folder).iterdir()):
            if path.suffix in (".jsonl", ".csv", ".txt"):
                for chat_id, messages in chats_of(path):
                    w.writerow([chat_id, *score(messages)])
                    chats += 1
    return {"chats": chats, "seconds": round(time.perf_counter() - start, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    print(json.dumps(run(a.folder, a.out)))
