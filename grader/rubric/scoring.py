"""The one place where detectors' measurements become item scores."""
from __future__ import annotations

from functools import lru_cache

from grader.detectors.findings import Measurement
from grader.rubric.rubric import Item, Rubric, load_rubric
from grader.rubric.scores import ItemScore, new_item_score

# Below this confidence a suggestion is flagged for the supervisor.
REVIEW_BELOW = 0.6
UNDECIDED_CONFIDENCE = 0.4  # a value known only as a range whose ends score differently
METRIC_KEYS = ("first_response_seconds", "avg_response_seconds", "max_wait_seconds",
               "replied_within_30s_share", "unanswered_turns", "polite_coverage")


@lru_cache(maxsize=1)
def _standard() -> Rubric:
    return load_rubric()


def band_score(item_id: str, value: float | None, rubric: Rubric | None = None) -> int:
    """The score `rubric` (the standard rubric when None) gives `item_id` for a measured value.
    Raises KeyError for an item the rubric does not have."""
    return (rubric or _standard()).item(item_id).score_for(value)


def undecided(item: Item, measurement: Measurement) -> bool:
    """Whether the two ends of the measurement's `value_range` get different scores from this item's bands."""
    if measurement.value_range is None:
        return False
    low, high = measurement.value_range
    return item.score_for(low) != item.score_for(high)


def score_item(item: Item, measurement: Measurement | None, not_applicable: str = "zero") -> ItemScore:
    """An item's suggested score from its measurement: a band of the rubric, or the fallback
    (flagged) when nothing was measured, or the N/A policy ("zero" | "full" | "rescale", see
    `Rubric.not_applicable`) when the occasion never arose."""
    if measurement is None:
        return ItemScore(
            id=item.id, label=item.label, max=item.max, levels=item.levels, score=item.unmeasured,
            confidence=0.0, needs_review=True, evidence=[],
            reason=f"没有检测器给出结果，按规则记 {item.unmeasured} 分，需人工评分")
    na = measurement.not_applicable
    score = (item.max if not_applicable == "full" else 0) if na else item.score_for(measurement.value)
    needs_review = measurement.needs_review or measurement.confidence < REVIEW_BELOW or (
        measurement.value is None and not na)
    confidence = measurement.confidence
    reason = measurement.reason
    if na:
        reason = f"不适用：{reason}"
    elif measurement.value is None:
        reason = f"{reason}（无法测量，按规则记 {item.unmeasured} 分，需复核）"
    elif undecided(item, measurement):
        confidence, needs_review = min(confidence, UNDECIDED_CONFIDENCE), True
        reason = f"{reason}，分数因此无法确定，需复核"
    # Evidence for the score: what earned points when it scored, what cost points otherwise.
    wanted = score > 0
    evidence = [e for f in measurement.findings if f.positive == wanted for e in f.evidence]
    if not evidence:
        evidence = [e for f in measurement.findings for e in f.evidence]
    return new_item_score({
        "id": item.id, "label": item.label, "max": item.max, "levels": item.levels, "score": score,
        "confidence": round(confidence, 2), "needs_review": needs_review,
        "evidence": evidence, "reason": reason, "value": measurement.value, "findings": measurement.findings,
        "not_applicable": na})


def score_items(rubric: Rubric, scenario: str, measurements: dict[str, Measurement]) -> list[ItemScore]:
    return [score_item(item, measurements.get(item.id), rubric.not_applicable) for item in rubric.items_for(scenario)]


def collect_metrics(measurements: dict[str, Measurement]) -> dict[str, float | int | None]:
    metrics: dict[str, float | int | None] = {key: None for key in METRIC_KEYS}
    for m in measurements.values():
        metrics.update(m.metrics)
    return metrics
