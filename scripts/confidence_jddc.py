"""Fit the calibrated confidence (`grader/rubric/confidence.json`) and measure it: risk–coverage per
item and the review-flag targets, on both halves of the labelled real JD chats.

Fitted on the **tuning half** of `../shared/corpus/jddc2019_sample/labels_dev.jsonl` (the fixed split
of `accuracy_jddc.half`) and the project's own hand-scored chats (`transcripts/`, `tests/data/heldout/`);
the **untouched half** is never fitted on, only measured. Per item a logistic regression over
`grader.rubric.confidence.features` (regularization chosen by 5-fold cross-validation, folds by
chat), and one threshold for every item chosen on the out-of-fold probabilities: the highest at
which at most `--budget` of the chats (default 25 %) get a flag, so the flags go to the suggestions
least likely to be right (issue 23: a flag means "likely wrong"; the figures show what is reachable).
Re-run after any change to detectors or the rubric (item scores move, so the model must follow):

    python scripts/confidence_jddc.py --fit     # refit, write confidence.json, print the figures
    python scripts/confidence_jddc.py           # measure the shipped file only

`scripts/accuracy.py` puts `markdown()` (risk–coverage and trust gates) into docs/accuracy.md.
"""
from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

import accuracy_jddc

from grader.calibration.confidence_fit import fit_items
from grader.rubric.confidence import SCENARIO, ConfidenceModel, chat_shape, features, scenario_features

ROOT = Path(__file__).resolve().parents[1]

OWN_SETS = [("samples", ROOT / "transcripts", ROOT / "transcripts" / "hand_scores.csv"),
            ("heldout", ROOT / "tests" / "data" / "heldout" / "heldout.jsonl",
             ROOT / "tests" / "data" / "heldout" / "hand_scores.csv"),
            ("written", ROOT / "tests" / "data" / "written" / "written.jsonl",
             ROOT / "tests" / "data" / "written" / "hand_scores.csv")]
FIT_SETS = ("jd-tuning", "samples", "heldout")  # never "jd-untouched" nor "written": they are measured only
BUDGET = 0.25  # share of cards the flags may take (issue 23: cards flagged ≤ 25 %)


@dataclass
class Record:
    """One labelled chat graded without calibration, as the supervisor sees its card (detected scenario)."""

    source: str                    # jd-tuning | jd-untouched | samples | heldout
    chat: str
    scenario: str                  # the label's
    detected: str
    scenario_feats: dict
    labels: dict[str, int]         # item -> the label's score
    scores: dict[str, int] = field(default_factory=dict)        # item on the card -> suggested
    feats: dict[str, dict] = field(default_factory=dict)        # item on the card -> features
    raw_flags: dict[str, bool] = field(default_factory=dict)    # item -> the detectors' own flag
    raw_card_flag: bool = False


def polite_label(lab: dict) -> int | None:
    """polite_language from the labelled turns: coverage of the turns with words, by the rubric's bands."""
    from grader.rubric.scoring import band_score

    turns = [t for t in lab["agent_turns"] if t.get("words", True)]
    return band_score("polite_language", sum(t["polite"] for t in turns) / len(turns)) if turns else None


def record(grader, source: str, transcript, scenario: str, labels: dict[str, int]) -> Record:
    card = grader.grade(transcript)
    measured = grader.measure(transcript)
    shape = chat_shape(transcript)
    r = Record(source, transcript.id, scenario, card.scenario, scenario_features(measured["scenario"], shape), labels)
    for item in card.items:
        r.scores[item.id] = item.score
        r.feats[item.id] = features(item, shape, card.scenario_confidence)
        r.raw_flags[item.id] = item.needs_review
    r.raw_card_flag = card.needs_review
    return r


def records(grader) -> list[Record]:
    """Every labelled chat: both JD halves and the project's own sets."""
    out = []
    data = accuracy_jddc.load()
    if data is not None:
        dialogues, labels = data
        for lab in labels:
            items = dict(lab["items"])
            polite = polite_label(lab)
            if polite is not None:
                items["polite_language"] = polite
            out.append(record(grader, "jd-" + accuracy_jddc.half(lab["id"]), accuracy_jddc.transcript(dialogues[lab["id"]]),
                              lab["scenario"], items))
    from grader.transcript import read_paths
    for name, source, scores in OWN_SETS:
        hand = {row["transcript_id"]: row for row in csv.DictReader(open(scores, encoding="utf-8"))}
        for t in read_paths([source]).transcripts:
            if t.id in hand:
                h = hand[t.id]
                items = {k: int(v) for k, v in h.items() if k not in ("transcript_id", "scenario") and v not in ("", None)}
                out.append(record(grader, name, t, h["scenario"], items))
    return out


# ---- fitting ----

def examples(recs: list[Record], item: str) -> list[tuple[str, dict, bool]]:
    """(chat, features, agrees) of one item (or "scenario") over `recs`."""
    if item == SCENARIO:
        return [(r.chat, r.scenario_feats, r.detected == r.scenario) for r in recs]
    return [(r.chat, r.feats[item], r.scores[item] == r.labels[item]) for r in recs if item in r.feats and item in r.labels]


def fit(recs: list[Record], budget: float = BUDGET) -> tuple[ConfidenceModel, dict]:
    """The model fitted on `recs` (the fit sets only) and the out-of-fold figures per item."""
    fit_recs = [r for r in recs if r.source in FIT_SETS]
    items = sorted({i for r in fit_recs for i in r.feats if i in r.labels}) + [SCENARIO]
    models, cv = fit_items({item: examples(fit_recs, item) for item in items}, budget)
    meta = {"fitted_on": "JD labels_dev tuning half + transcripts/hand_scores.csv + tests/data/heldout/hand_scores.csv",
            "review_budget": budget, "cross_validated": cv,
            "detectors": recs_versions(), "fitted_with": fitted_record(), "script": "scripts/confidence_jddc.py --fit"}
    return ConfidenceModel(models, "1", meta), cv


def fitted_record() -> dict:
    """The rubric, detector and lexicon versions the fit graded with (`grader.rubric.fitted`: staleness)."""
    from grader.pipeline import Grader
    from grader.rubric.fitted import fit_record
    return fit_record(Grader(confidence=False, learned=False).versions)


def recs_versions() -> dict:
    from grader.pipeline import Grader
    g = Grader(confidence=False, learned=False)
    return {"rubric": g.versions.rubric, **g.versions.detectors}


# ---- measuring ----

@dataclass
class Unit:
    """One labelled item of one chat as its card shows it."""

    item: str
    p: float | None
    flagged: bool
    agrees: bool


def item_flag(model: ConfidenceModel, r: Record, item: str) -> tuple[float | None, bool]:
    """(probability, flag) of an item on `r`'s card, as `ConfidenceModel.calibrate` sets them."""
    judged = model.judge(item, r.feats[item])
    return (None, r.raw_flags[item]) if judged is None else judged


def units(model: ConfidenceModel, r: Record) -> tuple[list[Unit], bool]:
    """The labelled items of `r` under `model` and whether its card is flagged. A labelled item that is
    not on the card (the wrong scenario) disagrees, and is flagged when the scenario is."""
    judged = model.judge(SCENARIO, r.scenario_feats)
    scenario_flag = r.scenario_feats["detector_flag"] > 0 if judged is None else judged[1]
    flags = {i: item_flag(model, r, i) for i in r.feats}
    out = []
    for item, want in r.labels.items():
        if item not in r.feats:
            out.append(Unit(item, None, scenario_flag, False))
        else:
            out.append(Unit(item, flags[item][0], flags[item][1], r.scores[item] == want))
    return out, scenario_flag or any(f for _, f in flags.values())


def raw_units(r: Record) -> tuple[list[Unit], bool]:
    """The same with the detectors' own flags (before calibration)."""
    out = [Unit(i, None, r.raw_flags.get(i, r.raw_card_flag), i in r.scores and r.scores[i] == w)
           for i, w in r.labels.items()]
    return out, r.raw_card_flag


@dataclass
class Targets:
    cards: int = 0
    cards_flagged: int = 0
    units: int = 0
    disagree: int = 0
    caught: int = 0
    unflagged: int = 0
    unflagged_agree: int = 0

    def add(self, us: list[Unit], card_flag: bool) -> None:
        self.cards += 1
        self.cards_flagged += card_flag
        for u in us:
            self.units += 1
            if not u.agrees:
                self.disagree += 1
                self.caught += u.flagged
            if not u.flagged:
                self.unflagged += 1
                self.unflagged_agree += u.agrees


def targets(recs: list[Record], model: ConfidenceModel | None) -> Targets:
    t = Targets()
    for r in recs:
        t.add(*(units(model, r) if model is not None else raw_units(r)))
    return t


def pct(a: int, n: int) -> str:
    return f"{a}/{n} ({100 * a / n:.0f}%)" if n else "—"


def scenario_unit(model: ConfidenceModel, r: Record) -> Unit:
    judged = model.judge(SCENARIO, r.scenario_feats)
    p, flag = judged if judged is not None else (None, r.scenario_feats["detector_flag"] > 0)
    return Unit(SCENARIO, p, flag, r.detected == r.scenario)


def risk_coverage(recs: list[Record], model: ConfidenceModel, item: str) -> dict:
    """For one item (or "scenario"): accuracy of the unflagged at the threshold, and of the rest when
    the least probable 10/25/50 % are flagged."""
    if item == SCENARIO:
        us = [scenario_unit(model, r) for r in recs]
    else:
        us = [u for r in recs for u in units(model, r)[0] if u.item == item]
    ranked = sorted(us, key=lambda u: (u.p if u.p is not None else -1.0))
    out = {"n": len(us), "agree": sum(u.agrees for u in us),
           "flagged": sum(u.flagged for u in us),
           "rest": (sum(u.agrees for u in us if not u.flagged), sum(not u.flagged for u in us))}
    for share in (0.1, 0.25, 0.5):
        rest = ranked[round(share * len(ranked)):]
        out[share] = (sum(u.agrees for u in rest), len(rest))
    return out


def by_source(recs, *names):
    return [r for r in recs if r.source in names]


def card_coverage(sets: list[tuple[str, list[Record]]], model: ConfidenceModel) -> list[str]:
    """The risk–coverage trade-off per card: flag the cards least likely to be right as a whole (the
    product of their items' probabilities) and read what the flags catch and how often the rest agree."""
    lines = ["", "Risk–coverage per card (what is reachable): the given share of cards, least probable first, "
             "flagged; *caught* is the share of all disagreements on those cards, *unflagged agree* the "
             "agreement of the items on the other cards. (Cards with more items rank lower, so even a ranking "
             "with no information catches somewhat more than the share flagged.) This card ranking is not "
             "shipped: it flags a card for being long, not for a doubt a supervisor can act on, and the flags "
             "it would set are still mostly right suggestions.", "",
             "| set | cards | 10 % flagged: caught / unflagged agree | 25 % | 50 % | 75 % |", "|---|---|---|---|---|---|"]
    for name, rs in sets:
        cards = []
        for r in rs:
            us, _ = units(model, r)
            risk = 1.0
            for u in us:
                risk *= u.p if u.p is not None else 0.5
            cards.append((risk, us))
        if not cards:
            continue
        cards.sort(key=lambda c: c[0])
        wrong = sum(not u.agrees for _, us in cards for u in us)
        cells = []
        for share in (0.1, 0.25, 0.5, 0.75):
            k = round(share * len(cards))
            caught = sum(not u.agrees for _, us in cards[:k] for u in us)
            rest = [u.agrees for _, us in cards[k:] for u in us]
            cells.append(f"{pct(caught, wrong)} / {pct(sum(rest), len(rest))}")
        lines.append(f"| {name} | {len(cards)} | " + " | ".join(cells) + " |")
    return lines


def markdown(recs: list[Record], model: ConfidenceModel) -> list[str]:
    """The docs/accuracy.md section: targets and risk–coverage on both halves."""
    halves = [("tuning (fitted)", by_source(recs, "jd-tuning")), ("untouched", by_source(recs, "jd-untouched"))]
    cv = model.meta.get("cross_validated", {})
    budget = model.meta.get("review_budget", BUDGET)
    lines = ["## Calibrated confidence and the review flag (selective prediction)", "",
             f"`grader/rubric/confidence.json` (version `{model.version}`, on every scorecard as "
             "`versions.confidence`) gives each suggested item the probability that a careful supervisor "
             "gives the same score. Fitted by `python scripts/confidence_jddc.py --fit` on the JD **tuning "
             "half** and the project's own hand-scored chats (bundled samples, held-out chats); the **untouched "
             "half** and the **written set** of issue 23 were not fitted on. A labelled item missing from the "
             "card (wrong scenario) counts as a disagreement, caught when the scenario is flagged.", "",
             "**The policy.** An item is flagged (需复核) when its probability is below one threshold shared by "
             f"all items, chosen on 5-fold out-of-fold probabilities as the highest at which at most {budget:.0%} "
             "of the cards get a flag **and** the suggestions it flags disagree with the label at least half the "
             "time (a flag means \"likely wrong\"). On the fit sets no threshold passes the second test (the "
             "least probable suggestions out of fold are mostly right), so the shipped threshold is 0: the flags "
             "are a detector that could not decide (nothing measured, a value straddling two scores, a scenario "
             "with no cue), which flags whatever the probability, and a zero for deflection or a dismissed "
             "complaint, which costs the agent the whole attitude item and is always checked (the testers' "
             "regressions were about exactly that reading). The detectors' own hand-set flags (\"below 0.6 / "
             "0.7 sure\") are a feature of the model, not a flag: kept as flags they put a flag on every card. "
             "So a flag marks the suggestions least likely to be right, within a review budget a supervisor "
             "can read; no flag means \"no specific doubt\", not \"certainly right\". The queue's random "
             "sample (10 %) keeps measuring the unflagged.", "",
             "Targets (issue 23): cards flagged ≤ 25 %; flags catch ≥ 85 % of disagreements; unflagged "
             "items agree ≥ 97 %. They are not jointly reachable at this accuracy: the model's probabilities "
             "separate right from wrong suggestions only weakly (the per-card table below), so catching 85 % "
             "of disagreements means flagging most cards, and the unflagged agree about as often as all "
             "suggestions do.", "",
             "| set | flags | cards flagged | disagreements caught | unflagged items agree |",
             "|---|---|---|---|---|"]
    for name, rs in halves:
        for label, m in (("detectors' own (before)", None), ("calibrated", model)):
            t = targets(rs, m)
            lines.append(f"| {name} | {label} | {pct(t.cards_flagged, t.cards)} | {pct(t.caught, t.disagree)} | "
                         f"{pct(t.unflagged_agree, t.unflagged)} |")
    for label, names in (("own chats (fitted)", ("samples", "heldout")), ("written set (not fitted)", ("written",))):
        own = by_source(recs, *names)
        if own:
            t = targets(own, model)
            lines.append(f"| {label} | calibrated | {pct(t.cards_flagged, t.cards)} | {pct(t.caught, t.disagree)} | "
                         f"{pct(t.unflagged_agree, t.unflagged)} |")
    lines += card_coverage(halves + [("written set", by_source(recs, "written"))], model)
    lines += ["", "Risk–coverage per item: agreement of the suggestions left unflagged when the least probable "
              "share is flagged (0 % = every suggestion accepted), and at the shipped threshold. "
              "*cv* is the fit sets' out-of-fold figure the threshold was chosen on.", ""]
    for name, rs in halves:
        lines += [f"### {name} half", "",
                  "| item | agree, none flagged | rest after 10 % flagged | after 25 % | after 50 % | "
                  "at threshold: flagged | unflagged agree | cv: flagged / unflagged agree |",
                  "|---|---|---|---|---|---|---|---|"]
        items = sorted({u.item for r in rs for u in units(model, r)[0]}) + [SCENARIO]
        for item in items:
            rc = risk_coverage(rs, model, item)
            c = cv.get(item, {})
            cvs = f"{pct(c['flagged'], c['n'])} / {pct(c['unflagged_agree'], c['unflagged'])}" if c else "—"
            lines.append(f"| `{item}` | {pct(rc['agree'], rc['n'])} | {pct(*rc[0.1])} | {pct(*rc[0.25])} | "
                         f"{pct(*rc[0.5])} | {pct(rc['flagged'], rc['n'])} | {pct(*rc['rest'])} | {cvs} |")
        lines.append("")
    return lines


def trust_markdown(recs: list[Record]) -> list[str]:
    """The trust-gate table of docs/accuracy.md: per item the tool's agreement with the JD labels (on the
    card as a supervisor sees it) beside the labellers' agreement with each other (human_agreement.toml)."""
    from grader.calibration.trust import SOURCE_LABELS, interval_text, trust_table
    from grader.rubric import load_rubric

    items = [(SCENARIO, "场景（售前/售后）")] + [(i.id, i.label) for i in load_rubric().items]
    lines = ["## Trust gates: the tool's agreement beside supervisors' agreement with each other", "",
             "Per item: exact agreement of the suggested score with the label (95 % Wilson interval) and "
             "Cohen's kappa (95 % bootstrap interval, 1000 resamples), beside the labellers' agreement with "
             "each other (`grader/calibration/human_agreement.toml`, from LABELS.md; a shop's own calibration "
             "sessions replace it). **Trusted** (may be bulk-accepted): at least 20 labels and the tool's share "
             "at least the lower end of the human interval (`grader/calibration/trust.py`). The review app's "
             "calibration page and `grader calibrate` show the same table from a shop's reviews, overrides and "
             "calibration sessions.", ""]
    for name, source in (("tuning", "jd-tuning"), ("untouched", "jd-untouched")):
        tool: dict[str, list] = {}
        for r in by_source(recs, source):
            tool.setdefault(SCENARIO, []).append((r.detected, r.scenario))
            for item, want in r.labels.items():
                if item in r.scores:
                    tool.setdefault(item, []).append((r.scores[item], want))
        rows = trust_table(items, tool, {})
        lines += [f"### {name} half", "",
                  "| item | labels | tool agreement | tool kappa | human agreement | human source | trusted |",
                  "|---|---|---|---|---|---|---|"]
        for row in rows:
            lines.append(f"| `{row.item}` | {row.tool_n} | {interval_text(row.tool_agreement)} | "
                         f"{interval_text(row.tool_kappa, share=False)} | "
                         f"{interval_text(row.human_agreement)} ({row.human_n}) | {SOURCE_LABELS[row.human_source]} | "
                         f"{'yes' if row.trusted else 'no'}: {row.reason} |")
        lines.append("")
    return lines


def section() -> list[str]:
    """The docs section for scripts/accuracy.py (empty without the corpus or the shipped model)."""
    from grader.pipeline import Grader
    from grader.rubric import confidence as conf

    model = conf.load()
    if accuracy_jddc.load() is None or model is None:
        return []
    recs = records(Grader(confidence=False, learned=False))
    return markdown(recs, model) + trust_markdown(recs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", action="store_true", help="refit and write grader/rubric/confidence.json")
    ap.add_argument("--budget", type=float, default=BUDGET, help="share of cards the flags may take")
    args = ap.parse_args()
    from grader.pipeline import Grader
    from grader.rubric import confidence as conf

    if accuracy_jddc.load() is None:
        print(f"corpus not found at {accuracy_jddc.CORPUS}")
        return 0
    recs = records(Grader(confidence=False, learned=False))
    if args.fit:
        model, _ = fit(recs, args.budget)
        conf.write(model)
    model = conf.load()
    print("\n".join(markdown(recs, model) + trust_markdown(recs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
