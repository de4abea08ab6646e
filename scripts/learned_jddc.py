"""The learned layer against the rules on labels the model never saw: prints the figures of docs/calibration.md.

1. Real JD chats (`../shared/corpus/jddc2019_sample/labels_dev.jsonl`, research data read from
   `../shared`, skipped when absent): trained on the *tuning* half, measured on the *untouched* half
   (the fixed split by chat-id hash of `scripts/accuracy_jddc.py`), and 5-fold cross-validation by
   chat over all of them; one "shop" (the JD export has none).
2. Our own labelled set: the constructed shop of `tests/calibration/test_learned.py` (supervisors
   who count sending a technician as initiative), trained on one seeded month, measured on another.

    python scripts/learned_jddc.py
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from accuracy_jddc import half, load, transcript  # noqa: E402

from grader.learned.model import JUDGEMENT_ITEMS, SCENARIO, Example, cross_validate, held_out  # noqa: E402
from grader.pipeline import Grader  # noqa: E402


def jd_examples(grader) -> dict[str, list[Example]] | None:
    data = load()
    if data is None:
        return None
    dialogues, labels = data
    out: dict[str, list[Example]] = {}
    for lab in labels:
        t = transcript(dialogues[lab["id"]])
        card = grader.grade(t, lab["scenario"])
        free = grader.grade(t)
        out.setdefault(SCENARIO, []).append(Example(t, free, lab["scenario"]))
        for item, level in lab["items"].items():
            out.setdefault(item, []).append(Example(t, card, level))
    return out


def fmt(ev) -> str:
    ci = lambda c: f"[{c[0]:.0%}, {c[1]:.0%}]" if c else ""  # noqa: E731
    return (f"| {ev.item} | {ev.n} | {ev.rules:.1%} {ci(ev.rules_ci)} | {ev.model:.1%} {ci(ev.model_ci)} | "
            f"{ev.difference:+.1%} {ci(ev.difference_ci)} | {'是' if ev.offered else '否'} |")


HEAD = "| item | labels | rules (95 % CI) | model (95 % CI) | model − rules (95 % CI, paired) | offered |\n|---|---|---|---|---|---|"


def main() -> int:
    grader = Grader(learned=False)
    examples = jd_examples(grader)
    if examples is None:
        print("../shared/corpus/jddc2019_sample absent: JD figures skipped")
    else:
        print("## JD dev set: train on the tuning half, measure on the untouched half\n")
        print(HEAD)
        for item, exs in sorted(examples.items()):
            if item not in JUDGEMENT_ITEMS and len(exs) < 30:
                continue
            train = [e for e in exs if half(e.transcript.id) == "tuning"]
            test = [e for e in exs if half(e.transcript.id) == "untouched"]
            print(fmt(held_out(train, test, item, min_labels=30)))
        print("\n## JD dev set: 5-fold cross-validation by chat over all labels\n")
        print(HEAD)
        for item, exs in sorted(examples.items()):
            if item not in JUDGEMENT_ITEMS and len(exs) < 30:
                continue
            print(fmt(cross_validate(exs, item, min_labels=30)))
    print("\n## Our own labelled set (constructed shop): train on one month, measure on another\n")
    sys.path.insert(0, str(ROOT))
    from tests.calibration.test_learned import ITEM, _chat, SHOP_INITIATIVE

    def month(seed: int, n: int = 80) -> list[Example]:
        rnd = random.Random(seed)
        out = []
        for k in range(n):
            special = rnd.choice(SHOP_INITIATIVE) if k % 2 else None
            t = _chat(rnd, f"o{seed}-{k}", "2026-10-01", special)
            card = grader.grade(t, "aftersale")
            out.append(Example(t, card, 20 if special else card.item(ITEM).score, "小店"))
        return out

    print(HEAD)
    print(fmt(held_out(month(3), month(4), ITEM, "小店")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
