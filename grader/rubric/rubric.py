"""The rubric as data: items, maxima, allowed levels, bands, and the detector feeding each item."""
from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from grader.errors import ConfigError

STANDARD = Path(__file__).with_name("standard.toml")
SECTIONS = ("skill", "presale", "aftersale", "attitude")
Scenario = Literal["presale", "aftersale"]
SCENARIO_LABELS = {"presale": "售前", "aftersale": "售后"}


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    label: str
    section: Literal["skill", "presale", "aftersale", "attitude"]
    max: int
    levels: list[int]
    detector: str
    value: str = ""
    compare: Literal["at_most", "at_least"]
    bands: list[tuple[float, int]]
    otherwise: int
    unmeasured: int

    @model_validator(mode="after")
    def _levels_cover_scores(self) -> "Item":
        scores = [s for _, s in self.bands] + [self.otherwise, self.unmeasured]
        bad = [s for s in scores if s not in self.levels]
        if bad or self.max != max(self.levels):
            raise ValueError(f"item {self.id}: scores {bad} not in levels {self.levels}, or max != top level")
        return self

    def score_for(self, value: float | None) -> int:
        """Map a measured value to one of the allowed levels (bands are tried in order)."""
        if value is None:
            return self.unmeasured
        for threshold, score in self.bands:
            if (value <= threshold) if self.compare == "at_most" else (value >= threshold):
                return score
        return self.otherwise


class RedLine(BaseModel):
    """A red-line (一票否决) item: its lexicon finds hits; a standing hit zeroes or caps the total."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: str
    lexicon: str
    effect: Literal["zero", "cap"] = "zero"
    cap: int | None = None  # the highest total a card with a hit keeps (effect "cap")

    @model_validator(mode="after")
    def _cap_given(self) -> "RedLine":
        if (self.effect == "cap") != (self.cap is not None) or (self.cap is not None and not 0 <= self.cap <= 100):
            raise ValueError(f"red line {self.id}: effect 'cap' needs a cap 0..100, effect 'zero' none")
        return self

    def limit(self) -> int:
        """The highest total a card with this red line standing keeps."""
        return 0 if self.effect == "zero" else int(self.cap)


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    bands: list[tuple[int, str]]
    items: list[Item]
    red_lines: list[RedLine] = []
    # 不适用 items (the occasion never arose): "zero" scores them 0 (the convention), "full" gives
    # the item's maximum, "rescale" leaves them out and scales the total to 100.
    not_applicable: Literal["zero", "full", "rescale"] = "zero"
    # The scenario of a chat with no cue for either side (flagged for review either way).
    scenario_default: Scenario = "aftersale"
    digest: str = ""

    @model_validator(mode="after")
    def _check(self) -> "Rubric":
        ids = [i.id for i in self.items] + [r.id for r in self.red_lines]
        if len(ids) != len(set(ids)):
            raise ValueError("item ids must be unique")
        for scenario in ("presale", "aftersale"):
            total = sum(i.max for i in self.items_for(scenario))
            if total != 100:
                raise ValueError(f"{scenario} items add up to {total}, not 100")
        return self

    @property
    def version_tag(self) -> str:
        return f"{self.name}:{self.version}+{self.digest[:8]}"

    def items_for(self, scenario: str) -> list[Item]:
        return [i for i in self.items if i.section in ("skill", "attitude", scenario)]

    def item(self, item_id: str) -> Item:
        """Raises KeyError for an id the rubric does not have."""
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)

    def total(self, scores: list[tuple[int, int, bool]], red_lines: list[str] = ()) -> int:
        """The card's total from its items' (score, max, not_applicable), by the N/A policy, then
        limited by the standing red-line hits (ids of `red_lines`: zero, or at most their cap).

        "zero" and "full" add the scores up (N/A items already scored 0 or full); "rescale" adds
        the applicable items and scales them to 100, rounded to a whole point. A red-line id this
        rubric does not know limits nothing.
        """
        if self.not_applicable != "rescale":
            total = sum(score for score, _, _ in scores)
        else:
            applicable = [(score, top) for score, top, na in scores if not na]
            top = sum(t for _, t in applicable)
            total = round(100 * sum(s for s, _ in applicable) / top) if top else 0
        limits = [r.limit() for r in self.red_lines if r.id in red_lines]
        return min([total, *limits])

    def band(self, total: float) -> str:
        for minimum, name in self.bands:
            if total >= minimum:
                return name
        return self.bands[-1][1]


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Raises ConfigError for a file that is no valid rubric."""
    path = Path(path) if path else STANDARD
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        return Rubric(**data, digest=hashlib.sha256(raw).hexdigest())
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ConfigError(f"rubric {path}: {exc}") from exc
