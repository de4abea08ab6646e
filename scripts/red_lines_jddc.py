"""Red-line false hits on real chats: grade the JDDC sample (994 JD chats) and print every red-line
hit and every look-alike that did not count (negated, quoting the customer), so each can be read.

    PYTHONPATH=. python scripts/red_lines_jddc.py            # a summary and every hit
    PYTHONPATH=. python scripts/red_lines_jddc.py --lookalikes   # also the matches that did not count

The figures go into docs/month.md (红线). Exits 0; skips (exit 0, a note) when the corpus is absent.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts.accuracy_jddc import CORPUS, transcript  # noqa: E402  (the corpus reader of the accuracy script)


def main(argv: list[str]) -> int:
    from grader.pipeline import Grader

    path = CORPUS / "dialogues.jsonl"
    if not path.exists():
        print(f"corpus not found: {path}")
        return 0
    grader = Grader()
    lexicons = {r.lexicon: r.id for r in grader.rubric.red_lines}
    chats, hit_chats, kinds = 0, 0, Counter()
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    for row in rows:
        t = transcript(row)
        card = grader.grade(t)
        measured = grader.measure(t)
        chats += 1
        hit_chats += bool(card.red_lines)
        for r in card.red_lines:
            kinds[r.id] += 1
            for e in r.evidence:
                text = t.messages[e.message_index].text
                print(f"HIT  {row['id'][:12]} {r.id}: “{e.quote}” in #{e.message_index}: {text[:80]}")
        for name, red_line in lexicons.items():
            for finding in measured[name].findings:
                if finding.kind != "hit":
                    kinds[f"{red_line} ({finding.kind})"] += 1
                    if "--lookalikes" in argv:
                        print(f"NOT  {row['id'][:12]} {red_line} {finding.kind}: {finding.reason}")
    print(f"\n{chats} chats, {hit_chats} with a red-line hit ({100 * hit_chats / max(chats, 1):.1f}%)")
    for kind, n in sorted(kinds.items()):
        print(f"  {kind}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
