"""Agreement with people on real JD chats: `../shared/corpus/jddc2019_sample/labels_dev.jsonl`.

100 real JD chats (JDDC 2019), labelled by people under the scoring conventions (docs/conventions.md).
The chats have no times: each turn gets a synthetic time 15 s apart and only text judgements are
compared (first_response and promised_contact are not labelled). The set is split by a hash of the
chat id: rules were tuned while looking at the *tuning half* only; the *untouched half* was never
read, only its figures were printed.

Research data: read from `../shared/` (skipped when absent), never copied into the project.

    python scripts/accuracy_jddc.py          # prints both halves' figures
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "jddc2019_sample"
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone(timedelta(hours=8)))
TURN_SECONDS = 15


def half(chat_id: str) -> str:
    """"tuning" or "untouched": a fixed split by the chat id's SHA-256."""
    return "tuning" if int(hashlib.sha256(chat_id.encode()).hexdigest(), 16) % 2 == 0 else "untouched"


def load() -> tuple[dict[str, dict], list[dict]] | None:
    """(dialogues by id, labels), or None when the corpus is not beside the project."""
    if not (CORPUS / "labels_dev.jsonl").exists():
        return None
    with open(CORPUS / "dialogues.jsonl", encoding="utf-8") as f:
        dialogues = {row["id"]: row for row in map(json.loads, f)}
    with open(CORPUS / "labels_dev.jsonl", encoding="utf-8") as f:
        labels = [json.loads(line) for line in f]
    return dialogues, labels


def transcript(row: dict):
    from grader.transcript.model import Message, Transcript
    messages = [Message(time=T0 + timedelta(seconds=TURN_SECONDS * k), sender=t["role"], role=t["role"], text=t["text"])
                for k, t in enumerate(row["turns"])]
    return Transcript(id=row["id"], platform="jd", messages=messages).normalize()


@dataclass
class Result:
    chats: int = 0
    scenario_ok: int = 0
    polite: list[int] = field(default_factory=lambda: [0, 0])       # agree, turns
    items: dict[str, list[int]] = field(default_factory=dict)        # item -> [agree, n] on the labelled scenario
    card_items: list[int] = field(default_factory=lambda: [0, 0])    # on the detected scenario (the card a supervisor sees)
    misses: list[tuple] = field(default_factory=list)                # (what, chat, suggested, label, reason)

    @property
    def item_totals(self) -> tuple[int, int]:
        return sum(a for a, _ in self.items.values()), sum(n for _, n in self.items.values())


def evaluate(grader, dialogues: dict, labels: list[dict], which: str) -> Result:
    r = Result()
    for lab in labels:
        if half(lab["id"]) != which:
            continue
        t = transcript(dialogues[lab["id"]])
        short = lab["id"][:8]
        detected = grader.grade(t)
        r.chats += 1
        r.scenario_ok += detected.scenario == lab["scenario"]
        if detected.scenario != lab["scenario"]:
            r.misses.append(("scenario", short, detected.scenario, lab["scenario"],
                             next((n for n in detected.notes if n.startswith("场景")), "")))
        card = grader.grade(t, lab["scenario"])
        polite = {f.evidence[0].message_index: f.kind == "polite" for f in card.item("polite_language").findings
                  if f.kind in ("polite", "not_polite")}
        for turn in lab["agent_turns"]:
            if not turn.get("words", True):
                continue
            got = polite.get(turn["index"])
            r.polite[1] += 1
            r.polite[0] += got == turn["polite"]
            if got != turn["polite"]:
                r.misses.append(("polite", f"{short}#{turn['index']}", got, turn["polite"], t.messages[turn["index"]].text[:40]))
        on_card = {i.id: i.score for i in detected.items}
        for item, want in lab["items"].items():
            got = card.item(item)
            tally = r.items.setdefault(item, [0, 0])
            tally[1] += 1
            tally[0] += got.score == want
            r.card_items[1] += 1
            r.card_items[0] += on_card.get(item) == want
            if got.score != want:
                r.misses.append((item, short, got.score, want, got.reason))
    return r


def pct(a: int, n: int) -> str:
    return f"{a}/{n} ({100 * a / max(n, 1):.0f}%)"


def summary(r: Result) -> str:
    a, n = r.item_totals
    return (f"scenario {pct(r.scenario_ok, r.chats)} · per-turn polite {pct(*r.polite)} · "
            f"items exact {pct(a, n)} · items on the detected scenario's card {pct(*r.card_items)}")


def main() -> int:
    from grader.pipeline import Grader
    data = load()
    if data is None:
        print(f"corpus not found at {CORPUS}")
        return 0
    grader = Grader()
    for which in ("tuning", "untouched"):
        print(which, summary(evaluate(grader, *data, which)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
