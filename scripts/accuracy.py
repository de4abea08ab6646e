"""Compare suggested scores on the bundled samples with the hand scores; write docs/accuracy.md.

    python scripts/accuracy.py            # prints the table and rewrites docs/accuracy.md
"""
from __future__ import annotations

import csv
import sys
from datetime import date
from pathlib import Path

from grader.pipeline import Grader
from grader.transcript import read_paths

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    grader = Grader()
    hand = {row["transcript_id"]: row for row in csv.DictReader(open(ROOT / "transcripts" / "hand_scores.csv", encoding="utf-8"))}
    chats = {t.id: t for t in read_paths([ROOT / "transcripts"]).transcripts}
    detected = {tid: grader.grade(t) for tid, t in chats.items()}
    scenario_ok = sum(detected[t].scenario == hand[t]["scenario"] for t in hand if t in detected)
    # Items are compared on the hand-chosen scenario, so a wrong scenario does not hide item errors.
    cards = {tid: grader.grade(t, hand[tid]["scenario"]) for tid, t in chats.items() if tid in hand}
    missing = sorted(set(hand) - set(cards))
    rows, misses = [], []
    for item in grader.rubric.items:
        pairs = []
        for tid, h in hand.items():
            if tid not in cards or not h.get(item.id):
                continue
            got = cards[tid].item(item.id)
            pairs.append((tid, got.score, int(h[item.id]), got.reason))
        if not pairs:
            continue
        exact = sum(s == h for _, s, h, _ in pairs)
        mad = sum(abs(s - h) for _, s, h, _ in pairs) / len(pairs)
        rows.append((item.id, item.label, len(pairs), exact, mad))
        misses += [(item.id, tid, s, h, r) for tid, s, h, r in pairs if s != h]
    lines = [
        "# Accuracy on the bundled samples",
        "",
        f"Measured {date.today().isoformat()} with `python scripts/accuracy.py`: suggested scores for the "
        f"{len(cards)} chats in `transcripts/` against the scores written by hand in `transcripts/hand_scores.csv` "
        "(conventions in `transcripts/README.md`). The hand scores were written by the person who wrote the "
        "chats, before and independently of the detectors; 22 chats are far too few to claim accuracy on real "
        "shops, so read this as a smoke test of the rules, not a validation.",
        "",
        f"Scenario (售前/售后) detected as in the hand scores: {scenario_ok}/{len(hand)}. "
        "Items below are scored with the hand-chosen scenario, so a wrong scenario does not hide item errors.",
        "",
        "| item | 中文 | chats | exact agreement | mean abs. difference (points) |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| `{i}` | {label} | {n} | {e}/{n} ({100 * e / n:.0f}%) | {m:.1f} |" for i, label, n, e, m in rows]
    total_n = sum(r[2] for r in rows)
    total_e = sum(r[3] for r in rows)
    lines += ["", f"Overall: {total_e}/{total_n} item scores agree exactly ({100 * total_e / max(total_n, 1):.0f}%).", ""]
    if missing:
        lines += [f"Hand-scored chats not found by the reader: {', '.join(missing)}", ""]
    lines += ["## Where they disagree", "", "| item | chat | suggested | hand | the tool's reason |", "|---|---|---|---|---|"]
    lines += [f"| `{i}` | {t} | {s} | {h} | {r.replace('|', '/')} |" for i, t, s, h, r in misses]
    text = "\n".join(lines) + "\n"
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "accuracy.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
