"""The one place where detectors' measurements become item scores."""
from __future__ import annotations

from functools import lru_cache

from grader.detectors.findings import Measurement
from grader.rubric.rubric import Item, Rubric, load_rubric
from grader.scorecard.model import ItemScore, new_item_score

# Below this confidence a suggestion is flagged for the supervisor.
REVIEW_BELOW = 0.6
METRIC_KEYS = ("first_response_seconds", "avg_response_seconds", "max_wait_seconds",
               "replied_within_30s_share", "unanswered_turns", "polite_coverage")


@lru_cache(maxsize=1)
def _standard() -> Rubric:
    return load_rubric()


def band_score(item_id: str, value: float | None, rubric: Rubric | None = None) -> int:
    """The score the rubric gives `item_id` for a measured value (standard rubric by default)."""
    return (rubric or _standard()).item(item_id).score_for(value)


def score_item(item: Item, measurement: Measurement | None) -> ItemScore:
    if measurement is None:
        return ItemScore(
            id=item.id, label=item.label, max=item.max, levels=item.levels, score=item.unmeasured,
            confidence=0.0, needs_review=True, evidence=[],
            reason=f"没有检测器给出结果，按规则记 {item.unmeasured} 分，需人工评分")
    score = item.score_for(measurement.value)
    needs_review = measurement.needs_review or measurement.value is None or measurement.confidence < REVIEW_BELOW
    reason = measurement.reason
    if measurement.value is None:
        reason = f"{reason}（无法测量，按规则记 {item.unmeasured} 分，需复核）"
    # Evidence for the score: what earned points when it scored, what cost points otherwise.
    wanted = score > 0
    evidence = [e for f in measurement.findings if f.positive == wanted for e in f.evidence]
    if not evidence:
        evidence = [e for f in measurement.findings for e in f.evidence]
    return new_item_score({
        "id": item.id, "label": item.label, "max": item.max, "levels": item.levels, "score": score,
        "confidence": round(measurement.confidence, 2), "needs_review": needs_review,
        "evidence": evidence, "reason": reason, "value": measurement.value, "findings": measurement.findings,
        "not_applicable": False})


def score_items(rubric: Rubric, scenario: str, measurements: dict[str, Measurement]) -> list[ItemScore]:
    return [score_item(item, measurements.get(item.id)) for item in rubric.items_for(scenario)]


def collect_metrics(measurements: dict[str, Measurement]) -> dict[str, float | int | None]:
    metrics: dict[str, float | int | None] = {key: None for key in METRIC_KEYS}
    for m in measurements.values():
        metrics.update(m.metrics)
    return metrics
