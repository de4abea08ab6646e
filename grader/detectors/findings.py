"""What detectors return: findings with evidence, and measurements the rubric turns into scores."""
from __future__ import annotations

from pydantic import BaseModel, Field

from grader.construct import constructor


class Evidence(BaseModel):
    """A span of one message: `text[start:end] == quote`."""

    message_index: int
    start: int
    end: int
    quote: str


class Finding(BaseModel):
    """One thing a detector noticed, with the words and the reason a supervisor reads."""

    detector: str
    item: str
    kind: str
    positive: bool = True  # counts for the agent (True) or against (False)
    evidence: list[Evidence] = Field(default_factory=list)
    reason: str
    term: str | None = None
    lexicon: str | None = None
    lexicon_version: str | None = None
    data: dict = Field(default_factory=dict)


class Measurement(BaseModel):
    """A detector's measure for one rubric item.

    `value` is what the rubric's bands map to a score (seconds, a share, a count, a level index);
    None means the item could not be measured, and the rubric's fallback applies with a review flag.
    `not_applicable` means the occasion for the item never arose (不适用: no sale, so no delivery
    notes; no timed promise); `reason` says why, and the rubric's `not_applicable` policy scores it.
    `value_range` (low, high): the value is only known within this range (times to the minute); the
    rubric flags the item when its bands score the two ends differently.
    """

    item: str
    value: float | None
    confidence: float = 1.0
    needs_review: bool = False
    reason: str
    findings: list[Finding] = Field(default_factory=list)
    metrics: dict[str, float | int | None] = Field(default_factory=dict)
    not_applicable: bool = False
    value_range: tuple[float, float] | None = None


# Detectors build findings from checked parts (message indexes, match spans): no validation needed.
new_evidence = constructor(Evidence, {"message_index": 0, "start": 0, "end": 1, "quote": "x"})
new_finding = constructor(Finding, {
    "detector": "d", "item": "i", "kind": "k", "positive": True, "evidence": [], "reason": "r", "term": None,
    "lexicon": None, "lexicon_version": None, "data": {}})
