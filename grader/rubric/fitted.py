"""Whether the calibrated-confidence model (`grader.rubric.confidence`) was fitted against what runs.

The model's `meta["fitted_with"]` records the versions the fit graded its examples with
(`fit_record`: the rubric's tag, each detector's version, each lexicon's version, as on every
card's `Versions`). Files fitted before that record hold `meta["detectors"]` only (the rubric's tag
and the detectors' versions, no lexicons).

Stale, precisely (`check`): the running rubric's tag differs from the fitted one, or a detector's
or a lexicon's version differs from the fitted one, counting one added or removed since the fit.
A lexicon's version carries its content's hash, so any edit or `grader calibrate --apply` counts.
Not compared: detector options (service hours, --tz: a shop's settings, which the fit cannot know),
the adopted learned model, and the confidence file's own version. A part the file does not record
(lexicons, in the older files) is "unverified": named, but not called stale.
"""
from __future__ import annotations

from dataclasses import dataclass, field

PARTS = ("rubric", "detectors", "lexicons")
PART_LABELS = {"rubric": "评分表", "detectors": "检测器", "lexicons": "词库"}


@dataclass
class Difference:
    """One part that is not what the fit used: `part` (rubric | detectors | lexicons), `name` (the
    detector or lexicon; "" for the rubric), the fitted and the running version (None: absent)."""

    part: str
    name: str
    fitted: str | None
    running: str | None


@dataclass
class Freshness:
    """`differences` (empty: fresh as far as recorded) and `unverified`: parts the fit did not record."""

    model: str
    differences: list[Difference] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return bool(self.differences)


def fit_record(versions) -> dict:
    """What a fit records in `meta["fitted_with"]` from a card's `Versions` (`grader.scorecard.model`): the
    rubric's tag and the detectors' and lexicons' versions."""
    return {"rubric": versions.rubric, "detectors": dict(versions.detectors), "lexicons": dict(versions.lexicons)}


def fitted_with(meta: dict) -> dict:
    """The versions a model's `meta` says it was fitted with: {part: ...} for the parts it records."""
    if isinstance(meta.get("fitted_with"), dict):
        return {k: v for k, v in meta["fitted_with"].items() if k in PARTS}
    if isinstance(meta.get("detectors"), dict):  # before `fitted_with`: the rubric's tag among the detectors
        detectors = dict(meta["detectors"])
        found = {"detectors": detectors}
        if "rubric" in detectors:
            found["rubric"] = detectors.pop("rubric")
        return found
    return {}


def check(model, versions) -> Freshness | None:
    """The freshness of `model` (a `ConfidenceModel`) for a grader running `versions`; None without a model."""
    if model is None:
        return None
    fitted, running = fitted_with(model.meta), fit_record(versions)
    found = Freshness(model.version)
    for part in PARTS:
        if part not in fitted:
            found.unverified.append(part)
        elif part == "rubric":
            if fitted[part] != running[part]:
                found.differences.append(Difference(part, "", fitted[part], running[part]))
        else:
            was, now = fitted[part], running[part]
            found.differences += [Difference(part, name, was.get(name), now.get(name))
                                  for name in sorted(set(was) | set(now)) if was.get(name) != now.get(name)]
    return found


def _difference_text(d: Difference) -> str:
    what = PART_LABELS[d.part] + (f" {d.name}" if d.name else "")
    if d.fitted is None:
        return f"{what}是拟合之后新加的（现在 {d.running}）"
    if d.running is None:
        return f"{what}现在已经没有了（拟合时 {d.fitted}）"
    return f"{what}拟合时是 {d.fitted}，现在是 {d.running}"


def warning_lines(found: Freshness | None, limit: int = 6) -> list[str]:
    """The Chinese warning (stale) or notice (unverified) for the supervisor; [] when fresh or no model."""
    if found is None:
        return []
    lines = []
    if found.stale:
        shown = "；".join(_difference_text(d) for d in found.differences[:limit])
        more = f"；另有 {len(found.differences) - limit} 处" if len(found.differences) > limit else ""
        lines.append(f"注意：置信度模型（版本 {found.model}）不是按现在运行的检测器、词库和评分表拟合的：{shown}{more}。"
                     "“需复核”的标记和把握因此可能不准，没有标记也不一定可以放心接受；"
                     "请用现在的版本重新拟合（python scripts/confidence_jddc.py --fit）。")
    if found.unverified:
        parts = "、".join(PART_LABELS[p] for p in found.unverified)
        lines.append(f"置信度模型（版本 {found.model}）没有记录拟合时的{parts}版本，无法核对它们是否变过；重新拟合后会记录。")
    return lines


def running_warning(grader) -> list[str]:
    """`warning_lines` for a `grader.pipeline.Grader` (its confidence model and versions)."""
    return warning_lines(check(grader.confidence, grader.versions))
