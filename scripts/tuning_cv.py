"""Cross-validation inside the JD tuning half: does a rule change carry from one part to another?

The tuning half of `labels_dev.jsonl` (`accuracy_jddc.half`) is split again into `--folds` parts by a
salted hash of the chat id. A candidate rule is kept only if it does not lose agreement in any part
(a rule that helps one part and hurts another fits wording, not behaviour). This script never reads
the untouched half: it prints, per part, items exact, the two level items, scenario and totals ±5,
and with `--save NAME` / `--against NAME` it stores a run and compares a later one with it, per part.

    python scripts/tuning_cv.py --save base       # before a change
    python scripts/tuning_cv.py --against base    # after it: per-part differences
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import accuracy_jddc

RUNS = Path("/tmp") / "grader_tuning_cv"
WATCH = ("product_expertise", "service_attitude")


def folds(chat_ids, k: int) -> dict[str, int]:
    """{chat: part 0 … k-1}: chats ordered by a hash salted apart from the half split, dealt in turn
    (parts of equal size)."""
    ranked = sorted(chat_ids, key=lambda c: hashlib.sha256(("cv:" + c).encode()).hexdigest())
    return {c: i % k for i, c in enumerate(ranked)}


def per_chat(grader, dialogues: dict, labels: list[dict]) -> dict[str, dict]:
    """{chat: {item: agrees, "scenario": agrees, "totals": within ±5}} over the tuning half only."""
    out = {}
    for lab in labels:
        if accuracy_jddc.half(lab["id"]) != "tuning":
            continue
        r = accuracy_jddc.evaluate(grader, dialogues, [lab], "tuning")
        row = {item: a == n for item, (a, n) in r.items.items()}
        row.update(scenario=r.scenario_ok == 1, totals=r.totals[0] == 1)
        out[lab["id"]] = row
    return out


def figures(rows: dict[str, dict], k: int) -> list[dict]:
    """Per part: counts of agreeing items, level items, scenario and totals, and the chats."""
    part = folds(rows, k)
    parts = [{"chats": 0, "items": [0, 0], "scenario": 0, "totals": 0, **{w: [0, 0] for w in WATCH}} for _ in range(k)]
    for chat, row in rows.items():
        p = parts[part[chat]]
        p["chats"] += 1
        p["scenario"] += row["scenario"]
        p["totals"] += row["totals"]
        for item, ok in row.items():
            if item in ("scenario", "totals"):
                continue
            p["items"][0] += ok
            p["items"][1] += 1
            if item in WATCH:
                p[item][0] += ok
                p[item][1] += 1
    return parts


def show(parts: list[dict], base: list[dict] | None) -> None:
    for i, p in enumerate(parts):
        cells = [f"part {i}: {p['chats']} chats", f"items {p['items'][0]}/{p['items'][1]}",
                 *(f"{w} {p[w][0]}/{p[w][1]}" for w in WATCH), f"scenario {p['scenario']}", f"totals±5 {p['totals']}"]
        if base is not None:
            b = base[i]
            diff = [p["items"][0] - b["items"][0], *(p[w][0] - b[w][0] for w in WATCH),
                    p["scenario"] - b["scenario"], p["totals"] - b["totals"]]
            cells.append("Δ items/PE/SA/scenario/totals " + " ".join(f"{d:+d}" for d in diff))
        print(" · ".join(cells))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--save")
    ap.add_argument("--against")
    args = ap.parse_args()
    from grader.pipeline import Grader
    data = accuracy_jddc.load()
    if data is None:
        print(f"corpus not found at {accuracy_jddc.CORPUS}")
        return 0
    rows = per_chat(Grader(confidence=False, learned=False), *data)
    parts = figures(rows, args.folds)
    base = json.loads((RUNS / f"{args.against}.json").read_text())["parts"] if args.against else None
    show(parts, base)
    if args.save:
        RUNS.mkdir(exist_ok=True)
        (RUNS / f"{args.save}.json").write_text(json.dumps({"parts": parts, "rows": rows}))
    if args.against:
        old = json.loads((RUNS / f"{args.against}.json").read_text())["rows"]
        part = folds(rows, args.folds)
        for chat, row in sorted(rows.items()):
            moved = [f"{i}:{'+' if ok else '-'}" for i, ok in row.items() if old.get(chat, {}).get(i) != ok]
            if moved:
                print(f"  {chat[:8]} part {part[chat]} " + " ".join(moved))
    return 0


if __name__ == "__main__":
    sys.exit(main())
