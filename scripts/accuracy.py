"""Compare suggested scores with people's scores; write docs/accuracy.md.

First the real JD chats labelled by people (`scripts/accuracy_jddc.py`, when `../shared/` is present),
then three sets of our own: the bundled samples (`transcripts/`, hand scores in `transcripts/hand_scores.csv`) and the
held-out chats (`tests/data/heldout/`), written and hand-scored before the rules were tuned; the
held-out figures are the honest estimate of how the rules generalise; and the written set of issue 23
(`tests/data/written/`), hand-scored before the tool ran on it and never tuned or fitted on.

    python scripts/accuracy.py            # prints the tables and rewrites docs/accuracy.md
"""
from __future__ import annotations

import csv
import sys
from datetime import date
from pathlib import Path

from grader.pipeline import Grader
from grader.transcript import read_paths

import accuracy_jddc
import confidence_jddc

ROOT = Path(__file__).resolve().parents[1]
SETS = [
    ("Bundled samples", ROOT / "transcripts", ROOT / "transcripts" / "hand_scores.csv"),
    ("Held-out chats", ROOT / "tests" / "data" / "heldout" / "heldout.jsonl",
     ROOT / "tests" / "data" / "heldout" / "hand_scores.csv"),
    ("Written set, issue 23", ROOT / "tests" / "data" / "written" / "written.jsonl",
     ROOT / "tests" / "data" / "written" / "hand_scores.csv"),
]


# Before the level-item rework of issue 23 (main at 911e6fa): exact agreement, all items and the two levels.
BEFORE_23 = {"Bundled samples": {"all": (200, 210), "product_expertise": (17, 22), "service_attitude": (22, 22)},
             "Held-out chats": {"all": (223, 249), "product_expertise": (18, 26), "service_attitude": (19, 26)}}


def evaluate(grader: Grader, source: Path, scores: Path) -> dict:
    hand = {row["transcript_id"]: row for row in csv.DictReader(open(scores, encoding="utf-8"))}
    chats = {t.id: t for t in read_paths([source]).transcripts}
    detected = {tid: grader.grade(t) for tid, t in chats.items()}
    scenario_ok = sum(detected[t].scenario == hand[t]["scenario"] for t in hand if t in detected)
    # Items are compared on the hand-chosen scenario, so a wrong scenario does not hide item errors.
    cards = {tid: grader.grade(t, hand[tid]["scenario"]) for tid, t in chats.items() if tid in hand}
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
    return {"hand": hand, "cards": cards, "scenario_ok": scenario_ok, "rows": rows, "misses": misses,
            "missing": sorted(set(hand) - set(cards))}


def section(title: str, source: Path, result: dict) -> list[str]:
    rows, hand = result["rows"], result["hand"]
    total_n = sum(r[2] for r in rows)
    total_e = sum(r[3] for r in rows)
    lines = [
        f"## {title} (`{source.relative_to(ROOT)}`)", "",
        f"Scenario (售前/售后) detected as in the hand scores: {result['scenario_ok']}/{len(hand)}. "
        "Items are scored with the hand-chosen scenario, so a wrong scenario does not hide item errors.",
        "",
        "| item | 中文 | chats | exact agreement | mean abs. difference (points) |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| `{i}` | {label} | {n} | {e}/{n} ({100 * e / n:.0f}%) | {m:.1f} |" for i, label, n, e, m in rows]
    lines += ["", f"Overall: {total_e}/{total_n} item scores agree exactly ({100 * total_e / max(total_n, 1):.0f}%).", ""]
    if result["missing"]:
        lines += [f"Hand-scored chats not found by the reader: {', '.join(result['missing'])}", ""]
    lines += [f"### Where they disagree ({title.lower()})", "",
              "| item | chat | suggested | hand | the tool's reason |", "|---|---|---|---|---|"]
    lines += [f"| `{i}` | {t} | {s} | {h} | {r.replace('|', '/')} |" for i, t, s, h, r in result["misses"]]
    return lines + [""]


def main() -> int:
    grader = Grader()
    results = [(title, source, evaluate(grader, source, scores)) for title, source, scores in SETS]
    lines = [
        "# Accuracy: real JD chats, the bundled samples and the held-out chats",
        "",
        f"Measured {date.today().isoformat()} with `python scripts/accuracy.py`: suggested scores against scores "
        "written by people under the scoring conventions (`docs/conventions.md`): first on real JD chats, then "
        "on three sets of invented chats:",
        "",
        "- **Bundled samples** (`transcripts/`, 22 chats): the rules were tuned while looking at these, so "
        "their agreement is optimistic.",
        "- **Held-out chats** (`tests/data/heldout/`, 26 chats, other products and wording): written and "
        "hand-scored before the rules were tuned. Their disagreements were looked at once per round of "
        "changes, and for `scenario` one rule was narrowed back after it lowered the held-out count, so "
        "these figures are somewhat optimistic too, but still the more honest estimate.",
        "- **Written set, issue 23** (`tests/data/written/`, 17 chats): written and hand-scored for the "
        "accuracy part of issue 23 before the tool ran on them, aimed at the kinds where levels and the "
        "scenario go wrong; not fitted on by the calibrated confidence, not tuned on. With the JD "
        "untouched half, the honest estimate.",
        "",
        "Both sets are small and written by the tool's authors, so read them as smoke tests of the rules, "
        "not a validation on real shops.",
        "",
        "| set | chats | exact agreement | product_expertise | service_attitude |",
        "|---|---|---|---|---|",
    ]
    frac = lambda e, n: f"{e}/{n} ({100 * e / max(n, 1):.0f}%)"  # noqa: E731
    for title, _, r in results:
        n = sum(row[2] for row in r["rows"])
        e = sum(row[3] for row in r["rows"])
        b = BEFORE_23.get(title)
        if b is not None:
            lines.append(f"| {title}, before issue 23 (911e6fa) | {len(r['cards'])} | {frac(*b['all'])} | "
                         f"{frac(*b['product_expertise'])} | {frac(*b['service_attitude'])} |")
        levels = {row[0]: frac(row[3], row[2]) for row in r["rows"]}
        lines.append(f"| **{title}, now** | {len(r['cards'])} | {frac(e, n)} | {levels.get('product_expertise', '—')} | "
                     f"{levels.get('service_attitude', '—')} |")
    lines.append("")
    data = accuracy_jddc.load()
    if data is not None:
        lines += accuracy_jddc.markdown({w: accuracy_jddc.evaluate(grader, *data, w) for w in ("tuning", "untouched")})
        lines += confidence_jddc.section()
    else:
        lines += [f"(The real JD chats were not found at {accuracy_jddc.CORPUS}; their section is left out.)", ""]
    for title, source, r in results:
        lines += section(title, source, r)
    text = "\n".join(lines)
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "accuracy.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
