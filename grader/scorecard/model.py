"""The pre-filled scorecard: per item a suggested score with evidence, confidence and reason."""
from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import BaseModel, Field

from grader.construct import constructor
from grader.detectors.findings import Evidence
from grader.rubric.scores import ItemScore, new_item_score  # noqa: F401  (part of the card's model)


class RedLineHit(BaseModel):
    """A red-line (一票否决) item the chat hit: what was said, where, and what it does to the total.

    `effect` "zero" makes the total 0, "cap" at most `cap` (the rubric's setting); the card always
    needs review. A supervisor dismisses a wrong hit by overriding its `id` to 0."""

    id: str
    label: str
    effect: str
    cap: int | None = None
    evidence: list[Evidence]
    reason: str
    confidence: float
    term: str | None = None


class Versions(BaseModel):
    rubric: str
    detectors: dict[str, str]
    lexicons: dict[str, str]
    settings: dict[str, str] = Field(default_factory=dict)  # grading options that differ from the defaults
    confidence: str = ""  # the calibrated-confidence model's version (grader.rubric.confidence); "" none

    def key(self) -> str:
        """One string that changes whenever anything that shapes a score changes."""
        parts = [self.rubric] + [f"{k}={v}" for k, v in sorted(self.detectors.items())]
        parts += [f"{k}={v}" for k, v in sorted(self.lexicons.items())]
        parts += [f"option:{k}={v}" for k, v in sorted(self.settings.items())]  # none by default: old keys hold
        if self.confidence:
            parts.append(f"confidence={self.confidence}")
        return ";".join(parts)


def versions_key(versions: Versions) -> str:
    """The short name of a set of versions (32 hex digits): stored with every scorecard."""
    return hashlib.sha256(versions.key().encode()).hexdigest()[:32]


class Scorecard(BaseModel):
    transcript_id: str
    platform: str
    shop: str | None
    agent: str | None
    customer: str | None
    started_at: datetime | None
    scenario: str
    scenario_label: str
    scenario_confidence: float
    total: int
    band: str
    needs_review: bool
    items: list[ItemScore]
    metrics: dict[str, float | int | None]
    versions: Versions
    notes: list[str] = Field(default_factory=list)
    source_file: str | None = None
    # The adopted learned model's part, when one is adopted: {"version": "v2", "scenario": {...},
    # "items": {item: {rule_score, score, probability, features: [[name, contribution], ...]}}}
    learned: dict | None = None
    # 一票否决: the red lines the chat hit, with evidence (empty for most chats); the total already
    # carries their effect. The queue flags each id like an item that needs review.
    red_lines: list[RedLineHit] = Field(default_factory=list)

    @property
    def red_line_ids(self) -> list[str]:
        """The ids of the red lines hit, in rubric order (e.g. ["redline.abuse"])."""
        return [r.id for r in self.red_lines]

    def item(self, item_id: str) -> ItemScore:
        """Raises KeyError for an item not on the card."""
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)


# The grader builds these from validated measurements and the rubric: no second validation needed.
new_scorecard = constructor(Scorecard, {
    "transcript_id": "t", "platform": "other", "shop": None, "agent": None, "customer": None, "started_at": None,
    "scenario": "presale", "scenario_label": "售前", "scenario_confidence": 1.0, "total": 0, "band": "b",
    "needs_review": False, "items": [], "metrics": {}, "versions": Versions(rubric="r", detectors={}, lexicons={}),
    "notes": [], "source_file": None, "learned": None, "red_lines": []})
