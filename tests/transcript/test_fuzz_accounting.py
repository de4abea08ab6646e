"""Seeded fuzzing with a per-line accounting oracle: MUTANTS (2,000) generated exports of every line-based
layout (canonical JSONL, the per-message layouts, Qianniu text in its header forms, CSV), in
UTF-8, GBK and UTF-16, each mutated — blank lines (64 KB of them too), huge lines, huge numbers,
bad dates (1999, 31/12/2026, 2026-13-45), byte flips, truncation, lines dropped, doubled,
swapped — and read. Reading never raises or hangs, and every non-blank line is accounted for:

- a message's own line (its header, its JSONL line, its CSV row), or a line of its text;
- within a set-aside (its line, its span, or the whole file when it names no line);
- a line the layout declares structural: a CSV header row, a separator, a status line (已读), a
  date line, a 企业微信 `switch` record, text before the first header (noted on the chat), a
  duplicate of a line already read (dropped, noted), the nickname line of a two-line header.

A line shaped like a header (a nickname and a date and time) must be a message's own line or set
aside — never text of the message before it (how chats were once lost without a word).
"""
import json
import random
import re
import time
from pathlib import Path

import pytest

from grader.transcript import SetAside, Transcript, read_file
from grader.transcript.model import CONTROL_CHARS
from grader.transcript.encoding import detect_encoding, numbered_lines, open_text, read_head
from grader.transcript.qianniu import (BARE_TIME, DATE_LINE, DOUBTFUL_HEADER, SEPARATOR, STATUS, could_be_nick,
                                       is_header)
from tests.transcript.conftest import Hang
from tests.transcript.mutations import mutate_line

SEED = 20261208
MUTANTS = 2000
STATS: dict = {}

NICKS = ["tb5566", "买家小李", "jd_88a", "暖宝生活馆:阿静", "暖宝生活馆:小王", "暖宝生活馆:店小蜜"]
TEXTS = ["在吗", "这款羽绒服有货吗", "您好，有货的，今天下单明天发", "好的谢谢", "请问什么时候发货", "亲，满300减30哦",
         "【自动回复】您好，欢迎光临", "由 暖宝生活馆:阿静 转交给 暖宝生活馆:小王", "[图片]", "会话已结束", "已读"]
JUNK = ["", "\t", "{", "[[[[", "{" * 2000 + "}" * 2000, "9" * 500, "1e400", "-1e400", "亲" * 25000,
        "tb1 1999-11-22 10:00:00", "tb1 22/11/2026 10:00:00", "tb1 2026-13-45 10:00:00", "tb1 2026-11-22 25:61:61",
        "------", "当前用户来自 手机淘宝", "\x00\x00", "\ufeff", "2026-11-22", "tb9 10:00:00",
        '{"msgid": "z", "action": "send", "from": "wmX", "tolist": ["s"], "msgtime": ' + "9" * 400 + "}",
        '{"conversationId": "c9", "senderRole": "martian", "createdAt": 1, "content": "?"}',
        '{"from": {"role": "user", "uid": 1}, "ts": "9999999999999999999999", "content": "x"}',
        '{"id": "x", "messages": [{"time": 1e300, "role": "customer", "sender": "c", "text": "在吗"}]}',
        "会话ID,时间,发送人,角色,内容", "r1,31/12/2026 10:00:00,tb1,客户,在吗", "r1,2026-11-22 10:00:00,bot,机器人,您好"]


def _t(rng, base, step):
    return base + step * 1000 + rng.randint(0, 40)


def _stamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds + 8 * 3600))


def gen_canonical(rng, n):
    lines = []
    for c in range(rng.randint(1, 4)):
        base = 1763776800 + c * 5000
        msgs = [{"time": _stamp(_t(rng, base, i)), "sender": "tb1" if i % 2 == 0 else "小店:阿静",
                 "role": "customer" if i % 2 == 0 else "agent", "text": rng.choice(TEXTS)} for i in range(rng.randint(1, 6))]
        lines.append(json.dumps({"id": f"f{n}-{c}", "shop": "小店", "messages": msgs}, ensure_ascii=False))
    return lines


def gen_records(rng, n):
    layout = rng.choice(["wecom", "wxkf", "feige", "pdd"])
    out = []
    for i in range(rng.randint(2, 12)):
        buyer = rng.choice(["wmA", "wmB", "wmC"])
        agent = i % 2 == 1
        at = 1763776800 + i * 7 + rng.randint(0, 3)
        text = rng.choice(TEXTS)
        if layout == "wecom":
            rec = {"msgid": f"{n}-{i}", "action": "send", "from": "zhang" if agent else buyer,
                   "tolist": [buyer if agent else "zhang"], "roomid": "", "msgtime": at * 1000, "msgtype": "text",
                   "text": {"content": text}}
            if rng.random() < 0.1:
                rec = {"msgid": f"{n}-{i}", "action": "switch", "time": at * 1000, "user": "zhang"}
        elif layout == "wxkf":
            rec = {"msgid": f"{n}-{i}", "open_kfid": "wk1", "external_userid": buyer, "send_time": at,
                   "origin": 5 if agent else 3, "msgtype": "text", "text": {"content": text}}
            if agent:
                rec["servicer_userid"] = "zhang"
        elif layout == "feige":
            rec = {"conversationId": buyer, "senderRole": "shop" if agent else "customer", "createdAt": at * 1000,
                   "content": text, "senderName": "抖店:小周" if agent else buyer}
        else:
            rec = {"from": {"role": "mall_cs" if agent else "user", "uid": "m1" if agent else buyer},
                   "to": {"role": "user" if agent else "mall_cs", "uid": buyer if agent else "m1"}, "ts": str(at),
                   "content": text, "is_aut": 0}
        out.append(json.dumps(rec, ensure_ascii=False))
    return out


def gen_qianniu(rng, n):
    form = rng.choice(["one", "two", "bracket", "arrow", "dateline"])
    lines = ["2026-11-22"] if form == "dateline" else []
    for c in range(rng.randint(1, 3)):
        buyer = f"tb{n}x{c}"
        for i in range(rng.randint(1, 5)):
            nick = buyer if i % 2 == 0 else rng.choice(NICKS[3:])
            at = _stamp(1763776800 + c * 9000 + i * 9 + rng.randint(0, 5))
            if form == "one":
                lines.append(f"{nick} {at}")
            elif form == "two":
                lines += [nick, at]
            elif form == "bracket":
                lines.append(f"{nick}({at}):")
            elif form == "arrow":
                other = buyer if i % 2 else "暖宝生活馆:阿静"
                lines.append(f"{nick} --> {other} {at}")
            else:
                lines.append(f"{nick} {at[11:]}")
            lines += [rng.choice(TEXTS) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.4:
            lines.append("--------")
    return lines


def gen_csv(rng, n):
    rows = ["会话ID,时间,发送人,角色,内容"]
    for c in range(rng.randint(1, 3)):
        for i in range(rng.randint(1, 5)):
            role = rng.choice(["客户", "客服", "机器人"]) if i else "客户"
            sender = "tb1" if role == "客户" else ("小店:阿静" if role == "客服" else "小店:店小蜜")
            rows.append(f"s{n}-{c},{_stamp(1763776800 + c * 3000 + i * 11)},{sender},{role},{rng.choice(TEXTS)}")
    return rows


GENERATORS = {"jsonl": gen_canonical, "records": gen_records, "qianniu": gen_qianniu, "csv": gen_csv}


def mutate(lines: list[str], rng) -> list[str]:
    lines = list(lines)
    for _ in range(rng.randint(0, 4)):
        i = rng.randrange(len(lines) + 1)
        op = rng.choice(["drop", "double", "swap", "cut", "digit", "junk", "junk", "junk", "blank", "huge", "number"])
        if mutate_line(op, lines, i, rng, JUNK):
            continue
        if op == "blank":
            lines.insert(i, "\n" * (66000 if rng.random() < 0.08 else rng.choice([3, 200])))  # 64 KB now and then
        elif op == "huge" and i < len(lines):
            lines[i] = lines[i] + "啊" * rng.choice([1000, 30000])
        elif op == "number" and i < len(lines):
            lines[i] = re.sub(r"\b1763\d{6}\b", "9" * rng.choice([20, 400]), lines[i], count=1)
    return lines


def encode(text: str, rng) -> bytes:
    encoding = rng.choice(["utf-8", "utf-8", "utf-8-sig", "gbk", "utf-16"])
    data = text.encode(encoding, errors="replace")
    r = rng.random()
    if r < 0.05:
        data = data[: rng.randint(0, len(data))]
    elif r < 0.1 and data:
        data = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data)
    return data


# --- the oracle ------------------------------------------------------------------------------------

_SHAPED = re.compile(r"^\S.*?\s*[(（]?\s*\d{1,4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,4}日?\s+\d{1,2}:\d{2}(?::\d{2})?"
                     r"\s*[)）]?\s*[:：]?\s*$")


def header_shaped(text: str) -> bool:
    """A nickname, then a date and a time: a header the reader must read or set aside."""
    stripped = text.strip()
    if is_header(stripped):
        return True
    m = DOUBTFUL_HEADER.match(stripped)
    if not m or not m["nick"] or not could_be_nick(m["nick"]):
        return False
    parts = [int(x) for x in re.split(r"\D+", m["date"]) if x]
    return len(parts) == 3 and (parts[0] >= 1000 or parts[2] >= 1000)


def file_lines(path: Path) -> list[tuple[int, str]] | None:
    """The file's numbered lines as the reader keeps them: control characters are dropped (issue 28),
    so a line of NULs alone is blank and a line's words are matched without them."""
    encoding = detect_encoding(read_head(path))
    if encoding is None:
        return None
    with open_text(path, encoding) as stream:
        return [(n, CONTROL_CHARS.sub("", text)) for n, text in numbered_lines(stream)]


def unaccounted(path: Path, items: list) -> list[tuple[int, str]]:
    """The non-blank lines of `path` that `items` neither read nor set aside."""
    lines = file_lines(path)
    if lines is None or any(isinstance(i, SetAside) and i.line is None for i in items):
        return []  # the file as a whole was set aside (or is not text)
    covered: set[int] = set()
    starts: list[tuple[int, Transcript, object]] = []
    aside_ends: set[int] = set()
    aside_starts: set[int] = set()
    for item in items:
        if isinstance(item, SetAside):
            first, last = item.span or (item.line, item.line)
            covered.update(range(min(first, item.line), max(last, item.line) + 1))
            aside_ends.add(max(last, item.line))
            aside_starts.add(min(first, item.line))
            continue
        for m in item.messages:
            if m.source_line is not None:
                covered.add(m.source_line)
                starts.append((m.source_line, item, m))
        for note in item.notes:  # text before the first header, noted on the chat
            found = re.search(r"有 (\d+) 行不属于任何消息的文字（第 (\d+) 行起）", note)
            if found:
                first = int(found[2])
                covered.update(range(first, min(m.source_line or first for m in item.messages)))
    starts.sort(key=lambda s: s[0])
    texts = {text.strip() for n, text in lines if n in covered}
    first_line = next((n for n, text in lines if text.strip()), None)
    lost = []
    in_aside = False  # the text lines after a set-aside's last header are the set-aside's
    for pos, (n, text) in enumerate(lines):
        stripped = text.strip()
        if not stripped:
            continue
        if n in aside_ends:
            in_aside = True
        elif n in covered or header_shaped(stripped):
            in_aside = False
        if not stripped or n in covered or stripped in texts or (in_aside and not header_shaped(stripped)):
            continue
        if n == first_line and ("会话ID" in stripped or "transcript_id" in stripped):
            continue  # the CSV header row
        if SEPARATOR.match(text) or STATUS.match(text) or DATE_LINE.match(text) or '"action": "switch"' in text:
            continue
        following = lines[pos + 1][0] if pos + 1 < len(lines) else None
        if following in covered and any(s == following and m.sender in stripped for s, _, m in starts):
            continue  # the nickname line of a two-line header (or a header above its notice)
        notices = {s for s, _, m in starts if m.role == "system"} | aside_starts
        if any(lines[k][0] in notices for k in range(pos + 1, min(pos + 3, len(lines)))) and (
                header_shaped(stripped) or BARE_TIME.match(stripped) or _CLOCK.match(stripped) or could_be_nick(stripped)):
            continue  # the header above a notice (its speaker not credited) or above a set-aside chat
        stripped = _MARKS.sub("", stripped).strip() or stripped  # 【自动回复】, robot markers: removed from the text
        owner = max((s for s in starts if s[0] < n), key=lambda s: s[0], default=None)
        if owner is not None and not header_shaped(stripped) and not BARE_TIME.match(stripped) and any(
                stripped in m.text for s, t, m in starts if s == owner[0] or (t is owner[1] and s < n)):
            continue  # a line of the text of the message it follows
        if owner is not None and BARE_TIME.match(stripped) and stripped in owner[2].text:
            continue
        lost.append((n, stripped[:80]))
    return lost


_CLOCK = re.compile(r"^\S.*?\s*[(（]?\s*\d{1,2}:\d{2}:\d{2}\s*[)）]?\s*[:：]?$")
_MARKS = re.compile(r"^\s*(?:\[自动回复\]|【自动回复】|[\[【](?:店小蜜|机器人|智能客服)[^\]】]{0,6}[\]】])\s*")


def test_fuzzed_exports_account_for_every_line(tmp_path, deadline):
    rng = random.Random(SEED)
    kinds = list(GENERATORS)
    failures, lost_lines, counts = [], [], {"files": 0, "lines": 0, "transcripts": 0, "set_aside": 0}
    started = time.perf_counter()
    for n in range(MUTANTS):
        kind = kinds[n % len(kinds)]
        lines = mutate(GENERATORS[kind](rng, n), rng)
        path = tmp_path / f"{n:04d}_{kind}.txt"
        path.write_bytes(encode("\n".join(lines) + "\n", rng))
        deadline(10)
        try:
            items = read_file(path)
        except Hang:
            failures.append((path.name, "hang"))
            continue
        except Exception as exc:  # noqa: BLE001 — the test counts tracebacks
            failures.append((path.name, f"{type(exc).__name__}: {exc}"))
            continue
        finally:
            deadline(0)
        assert items, path.name
        lost = unaccounted(path, items)
        lost_lines += [(path.name, n, text) for n, text in lost]
        counts["files"] += 1
        counts["lines"] += sum(1 for _, text in file_lines(path) or [] if text.strip())
        counts["transcripts"] += sum(isinstance(i, Transcript) for i in items)
        counts["set_aside"] += sum(isinstance(i, SetAside) for i in items)
        path.unlink()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    STATS.update(counts)
    print(f"\nfuzz: {counts}")
    assert not failures, failures[:5]
    assert not lost_lines, lost_lines[:10]
    assert counts["files"] >= 2000 and counts["transcripts"] > 0 and counts["set_aside"] > 0
