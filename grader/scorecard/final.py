"""The final card of a chat: the suggested scorecard with the supervisor's latest overrides applied.

This is the one place "suggested or overridden" is decided; the report, the review app and
calibration all read a chat's final scores from `final_card`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from grader.scorecard.model import ItemScore, RedLineHit, Scorecard

# A red line's override: 0 dismisses the hit (the supervisor found it wrong), 1 confirms it.
RED_LINE_LEVELS = [0, 1]


@dataclass(frozen=True)
class FinalItem:
    """One item: the suggested score, the final one, and the override record that set it (if any)."""

    item: ItemScore
    final: int
    override: dict | None = None  # the audit record applied: {"to_value", "by", "at", "reason", ...}

    @property
    def overridden(self) -> bool:
        return self.override is not None


@dataclass(frozen=True)
class FinalCard:
    """A chat's current scorecard with final item scores; `band` comes from the rubric's bands."""

    card: Scorecard
    items: list[FinalItem]
    total: int
    band: str
    scenario_override: dict | None = None
    ignored: list[dict] = field(default_factory=list)  # overrides not applied (level no longer allowed)
    red_lines: list["FinalRedLine"] = field(default_factory=list)

    @property
    def red_lines_standing(self) -> list[RedLineHit]:
        """The red-line hits not dismissed by a supervisor: they limit the total."""
        return [r.hit for r in self.red_lines if r.standing]

    @property
    def overridden(self) -> bool:
        """True when any item (not the scenario) carries an override."""
        return any(i.overridden for i in self.items)

    def scores(self) -> dict[str, int]:
        """item id -> final score."""
        return {i.item.id: i.final for i in self.items}

    def item(self, item_id: str) -> FinalItem:
        """Raises KeyError for an item not on the card."""
        for i in self.items:
            if i.item.id == item_id:
                return i
        raise KeyError(item_id)


@dataclass(frozen=True)
class FinalRedLine:
    """A red-line hit and the supervisor's word on it: standing unless overridden to 0 (dismissed)."""

    hit: RedLineHit
    override: dict | None = None

    @property
    def standing(self) -> bool:
        return stands(self.override)


def stands(record: dict | None) -> bool:
    """Whether a red-line hit stands under its latest override record (None: no override): unless
    the record dismisses it (value 0)."""
    return record is None or str(record.get("to_value", "")).strip() != "0"


def override_level(item: ItemScore, record: dict | None) -> int | None:
    """The level an override record sets on `item`, or None when it is not one of the item's levels
    (an override of a level the current rubric no longer has is not applied)."""
    if record is None:
        return None
    try:
        value = int(str(record["to_value"]).strip())
    except (TypeError, ValueError, KeyError):
        return None
    return value if value in item.levels else None


def final_card(card: Scorecard, latest: dict[str, dict], rubric) -> FinalCard:
    """Apply `latest` (item id -> latest override record, "scenario" included) to `card`.

    `rubric` is a `grader.rubric.Rubric`: its N/A policy and the red-line hits not dismissed (a record
    for the red line's id with value 0) make the total, and its bands name it. Records for items not on
    the card are ignored (an earlier scenario's section); so are values that are not allowed levels.
    """
    items, ignored = [], []
    for item in card.items:
        record = latest.get(item.id)
        level = override_level(item, record)
        if record is not None and level is None:
            ignored.append(record)
        items.append(FinalItem(item, item.score if level is None else level, record if level is not None else None))
    red_lines = [FinalRedLine(hit, latest.get(hit.id)) for hit in card.red_lines]
    standing = [r.hit.id for r in red_lines if r.standing]
    total = rubric.total([(i.final, i.item.max, i.item.not_applicable) for i in items], standing)  # N/A, red lines
    return FinalCard(card, items, total, rubric.band(total), latest.get("scenario"), ignored, red_lines)
