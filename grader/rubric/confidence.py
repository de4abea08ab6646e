"""Calibrated confidence (selective prediction): per item, the probability that a careful supervisor
gives the suggested score, and the review flag set from it.

The model is data the tool ships: `confidence.json` beside this module, fitted offline by
`scripts/confidence_jddc.py` on labelled chats (the tuning half of the real JD chats and the
project's own hand-scored chats; never the untouched half) and not refitted at run time. Per item
it holds a logistic regression over the features below (standardized), and a threshold: an item
whose probability is below its threshold needs review, as does one the detector could not decide
(`detector_flag`). The threshold is one probability for every item, chosen on the cross-validated
fit so that at most a review budget of cards (default 25 %) is flagged: the flags go to the
suggestions least likely to be right. A flag means "more likely wrong than the rest"; no flag does
not mean "certainly right" (docs/accuracy.md gives the measured agreement of the unflagged, and the
review budget's random sample keeps measuring it). The file's version goes onto every scorecard
(`Versions.confidence`).

Features of one suggested item (`features`): what its detector measured and how sure it was, the
evidence it counted for and against, the finding kinds the item's model names, the level given,
the scenario's certainty and the chat's shape (turns, lengths). The scenario has a model of its
own (pseudo-item "scenario": the probability the detected scenario is the supervisor's).
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from grader.detectors.findings import Measurement
from grader.errors import ConfigError
from grader.rubric.scores import ItemScore
from grader.rubric.scoring import UNDECIDED_CONFIDENCE
from grader.transcript.model import Transcript

BUNDLED = Path(__file__).with_name("confidence.json")
FORMAT = "grader-confidence/1"
SCENARIO = "scenario"
DEFLECTION_KINDS = ("deflection", "dismiss")  # service_attitude's findings (`_cues.deflections`)


def chat_shape(transcript: Transcript) -> dict[str, float]:
    """The chat's shape: log-counts of messages by who spoke, customer characters per turn, questions."""
    customer = [m for m in transcript.messages if m.role == "customer"]
    human = [m for m in transcript.messages if m.is_human_agent]
    chars = sum(len(m.text) for m in customer)
    return {
        "messages": math.log1p(len(transcript.messages)),
        "customer_turns": math.log1p(len(customer)),
        "agent_turns": math.log1p(len(human)),
        "customer_chars_per_turn": math.log1p(chars / len(customer)) if customer else 0.0,
        "customer_questions": math.log1p(sum(("?" in m.text or "？" in m.text or "吗" in m.text) for m in customer)),
        "auto_replies": math.log1p(sum(m.role == "agent" and not m.is_human_agent for m in transcript.messages)),
    }


def detector_flag(item: ItemScore) -> bool:
    """The detector's hard doubt, kept as a flag whatever the calibrated probability: it measured
    nothing (no value, and the occasion did arise) or could not decide between scores (its value a
    range whose ends score differently: `grader.rubric.scoring.undecided` caps the confidence at
    `UNDECIDED_CONFIDENCE`). A detector that cannot decide says so instead of guessing.

    A score resting on a deflection or a dismissal of the customer's complaint (a negative finding of
    kind `DEFLECTION_KINDS`) is flagged too: it costs the agent the whole attitude item, and telling a
    deflection from guidance or an explanation (that is the testers' regressions of issue 23) is the
    reading a supervisor checks.

    The detectors' other flags (a hand-set "below 0.6 / 0.7 sure") are a prior, not a measurement:
    under calibration they are a feature (`detector_review`) and the fitted probability decides."""
    if item.value is None and not item.not_applicable:
        return True
    deflected = any(not f.positive and f.kind in DEFLECTION_KINDS for f in item.findings)
    return item.confidence <= UNDECIDED_CONFIDENCE or deflected


def features(item: ItemScore, shape: dict[str, float], scenario_certainty: float) -> dict[str, float]:
    """The features of one suggested item before calibration (its `confidence` and `needs_review`
    are the detector's, as the rubric scored them).
    Finding kinds appear as "kind:<kind>" (log-counts); the level as "level" (score / max) and
    "score=<n>"."""
    out = {
        "detector_confidence": float(item.confidence),
        "detector_flag": float(detector_flag(item)),
        "detector_review": float(item.needs_review),
        "unmeasured": float(item.value is None and not item.not_applicable),
        "not_applicable": float(item.not_applicable),
        "level": item.score / item.max if item.max else 0.0,
        f"score={item.score}": 1.0,
        "positive_evidence": math.log1p(sum(f.positive for f in item.findings)),
        "negative_evidence": math.log1p(sum(not f.positive for f in item.findings)),
        "scenario_certainty": float(scenario_certainty),
        **shape,
    }
    kinds: dict[str, int] = {}
    for f in item.findings:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    out.update({f"kind:{k}": math.log1p(n) for k, n in kinds.items()})
    return out


def scenario_features(measurement: Measurement, shape: dict[str, float]) -> dict[str, float]:
    """The scenario model's features: the scenario measurement (value 1 after-sale, 0 pre-sale, None no
    cue or tied cues: the hard doubt, `detector_flag`), its own review flag (mixed cues), its cue
    weights' margin and total, and the chat's shape."""
    a = float(measurement.metrics.get("aftersale_weight") or 0.0)
    p = float(measurement.metrics.get("presale_weight") or 0.0)
    return {"detector_confidence": float(measurement.confidence), "detector_flag": float(measurement.value is None),
            "detector_review": float(measurement.needs_review),
            "unmeasured": float(measurement.value is None), "aftersale": float(measurement.value == 1),
            "cue_margin": abs(a - p) / (a + p) if a + p else 0.0, "cue_weight": math.log1p(a + p),
            "both_sides": float(a > 0 and p > 0), **shape}


@dataclass
class ItemModel:
    """Logistic regression on standardized features; `constant` (a probability) when the fit data had
    too few labels or too few of either outcome. `threshold`: below it the item needs review."""

    names: list[str]
    means: list[float]
    scales: list[float]
    coefs: list[float]
    intercept: float
    threshold: float
    constant: float | None = None

    def probability(self, feats: dict[str, float]) -> float:
        if self.constant is not None:
            return self.constant
        z = self.intercept + sum(c * (feats.get(n, 0.0) - m) / s
                                 for n, m, s, c in zip(self.names, self.means, self.scales, self.coefs))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


class ConfidenceModel:
    """The shipped calibration: `items` (item id or "scenario" -> ItemModel), `version`, `meta`
    (how it was fitted: data, target, cross-validated figures). An item without a model keeps the
    detector's confidence and flag."""

    def __init__(self, items: dict[str, ItemModel], version: str, meta: dict | None = None):
        self.items, self.version, self.meta = items, version, meta or {}

    @property
    def tag(self) -> str:
        return self.version

    def probability(self, item_id: str, feats: dict[str, float]) -> float | None:
        model = self.items.get(item_id)
        return None if model is None else model.probability(feats)

    def threshold(self, item_id: str) -> float | None:
        model = self.items.get(item_id)
        return None if model is None else model.threshold

    def calibrate(self, items: list[ItemScore], transcript: Transcript, scenario_certainty: float) -> list[ItemScore]:
        """The items with `confidence` = calibrated probability and `needs_review` = below the item's
        threshold, or flagged by the detector itself (`detector_flag`)."""
        shape = chat_shape(transcript)
        out = []
        for item in items:
            judged = self.judge(item.id, features(item, shape, scenario_certainty))
            if judged is None:
                out.append(item)
                continue
            out.append(item.model_copy(update={"confidence": round(judged[0], 3), "needs_review": judged[1]}))
        return out

    def judge(self, item_id: str, feats: dict[str, float]) -> tuple[float, bool] | None:
        """(probability, needs review) of an item (or "scenario") from its features; None without a model.
        A flag the detector raised itself stays, and its confidence then bounds the probability (the
        fit data holds few such cases)."""
        p = self.probability(item_id, feats)
        if p is None:
            return None
        own = feats.get("detector_flag", 0.0) > 0
        if own:
            p = min(p, feats.get("detector_confidence", p))
        return p, own or p < self.items[item_id].threshold

    def scenario(self, measurement: Measurement, transcript: Transcript) -> tuple[float, bool] | None:
        """(probability the detected scenario is right, needs review), or None without a scenario model.
        The detector's own flag (no cue, mixed cues: `needs_review`) stays."""
        judged = self.judge(SCENARIO, scenario_features(measurement, chat_shape(transcript)))
        return None if judged is None else (round(judged[0], 3), judged[1])

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": self.version, "meta": self.meta,
                "items": {k: vars(m) for k, m in sorted(self.items.items())}}


def from_dict(data: dict, source: str = "") -> ConfidenceModel:
    """The model a `to_dict` mapping describes; `source` names it in errors.
    Raises ConfigError when the format is not this module's or an item's fields do not fit."""
    if data.get("format") != FORMAT:
        raise ConfigError(f"置信度模型 {source} 格式不对（应为 {FORMAT}）")
    try:
        items = {k: ItemModel(**v) for k, v in data["items"].items()}
    except (TypeError, KeyError) as exc:
        raise ConfigError(f"置信度模型 {source} 无法读取：{exc}") from exc
    return ConfidenceModel(items, str(data["version"]), data.get("meta"))


def load(path: str | Path | None = None) -> ConfidenceModel | None:
    """The model in `path` (default: the bundled file); None when the bundled file is absent.
    Its version is the file's `version` and the first 8 hex digits of its SHA-256.
    Raises ConfigError when a named file is missing or not a model of this format."""
    target = Path(path) if path else BUNDLED
    if not target.exists():
        if path:
            raise ConfigError(f"置信度模型文件不存在：{target}")
        return None
    raw = target.read_bytes()
    model = from_dict(json.loads(raw.decode("utf-8")), str(target))
    model.version = f"{model.version}+{hashlib.sha256(raw).hexdigest()[:8]}"
    return model


def write(model: ConfidenceModel, path: str | Path = BUNDLED) -> Path:
    """Write the model as indented JSON (reviewable in a diff); returns the path."""
    path = Path(path)
    path.write_text(json.dumps(model.to_dict(), ensure_ascii=False, indent=1, sort_keys=False) + "\n",
                    encoding="utf-8")
    return path
