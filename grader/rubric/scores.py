"""What the rubric makes of a measurement: an item's suggested score with its evidence, confidence and reason.

A `Scorecard` (grader.scorecard.model) holds one `ItemScore` per item of the chat's scenario.
"""
from __future__ import annotations

from pydantic import BaseModel, Field

from grader.construct import constructor
from grader.detectors.findings import Evidence, Finding


class ItemScore(BaseModel):
    """One item of a card: `score` (one of `levels`, at most `max` points), `confidence` 0–1,
    `needs_review`, the `evidence` spans and the Chinese `reason`; `value` is the measured value."""

    id: str
    label: str
    max: int
    levels: list[int]
    score: int
    confidence: float
    needs_review: bool
    evidence: list[Evidence]
    reason: str
    value: float | None = None
    findings: list[Finding] = Field(default_factory=list)
    # 不适用: the occasion for the item never arose in the chat (no sale, no timed promise ...);
    # `reason` says why. How it is scored is the rubric's `not_applicable` policy.
    not_applicable: bool = False


# The grader builds these from validated measurements and the rubric: no second validation needed.
new_item_score = constructor(ItemScore, {
    "id": "i", "label": "l", "max": 5, "levels": [5, 0], "score": 5, "confidence": 0.9, "needs_review": False,
    "evidence": [], "reason": "r", "value": 1.0, "findings": [], "not_applicable": False})
