"""Supervisor overrides: the one set of rules the web app and `grader override` share.

The suggested score stays on the stored scorecard; an override is an append-only audit record
(who, when, item, from, to, reason, source). The final score of an item is the latest override of
that transcript+item, applied to the current scorecard when the item is on it.

Every change bumps `review_state.revision`; a caller that says which revision it loaded
(`expected_revision`) is refused with `StaleRevision` when someone else changed the chat since.
Each action is one transaction (`Store.unit()`): its checks, audit record, revision and any
re-graded scorecard are all stored, or none is. Final scores come from `grader.scorecard.final`.
"""
from __future__ import annotations

from dataclasses import dataclass

from contextlib import contextmanager
from functools import lru_cache

from grader.errors import GraderError
from grader.rubric import SCENARIO_LABELS, load_rubric
from grader.scorecard.final import RED_LINE_LEVELS, final_card
from grader.scorecard.model import Scorecard
from grader.store import RevisionConflict, Store, Unit, now_iso
from grader.transcript.model import Transcript

SOURCES = ("web", "cli", "dispute")


class ReviewError(GraderError):
    """A review action was refused; the message says why, in Chinese, for the supervisor."""


class UnknownTranscript(ReviewError):
    def __init__(self, transcript_id: str):
        super().__init__(f"没有找到会话 {transcript_id} 的评分卡（transcript not found）")
        self.transcript_id = transcript_id


class UnknownItem(ReviewError):
    def __init__(self, item_id: str, known: list[str]):
        super().__init__(f"评分卡上没有项目 {item_id}（unknown item）；可选：{', '.join(known)}")
        self.item_id = item_id
        self.known = known


class LevelNotAllowed(ReviewError):
    def __init__(self, item_id: str, value: object, levels: list):
        allowed = " / ".join(str(v) for v in levels)
        super().__init__(f"{item_id} 只能评 {allowed} 分，不能评 {value}（level not allowed）")
        self.item_id = item_id
        self.value = value
        self.levels = levels


class ReasonRequired(ReviewError):
    def __init__(self, item_id: str):
        super().__init__(f"修改 {item_id} 必须填写原因（reason required）")
        self.item_id = item_id


class StaleRevision(ReviewError):
    """Someone changed this scorecard after the caller loaded it (HTTP 409 in the web app)."""

    def __init__(self, transcript_id: str, expected: int, current: int):
        super().__init__(f"会话 {transcript_id} 已被其他人修改（你打开时是第 {expected} 版，现在是第 {current} 版）；"
                         f"请查看当前数值后重新提交（stale revision）")
        self.transcript_id = transcript_id
        self.expected = expected
        self.current = current


@dataclass
class Change:
    """What apply_override did: the audit record id (None when the value was already that)."""

    transcript_id: str
    item_id: str
    from_value: str | None
    to_value: str
    override_id: int | None
    revision: int

    def as_dict(self) -> dict:
        return dict(transcript_id=self.transcript_id, item=self.item_id, from_value=self.from_value,
                    to_value=self.to_value, override_id=self.override_id, revision=self.revision,
                    changed=self.override_id is not None)


# --- reading --------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _standard_rubric():
    return load_rubric()


def card_of(unit: Unit, transcript_id: str) -> tuple[int, Scorecard]:
    """(row id, current scorecard) of the chat; UnknownTranscript if it has none."""
    found = unit.current_card(transcript_id)
    if found is None:
        raise UnknownTranscript(transcript_id)
    return found


class PurgedTranscript(ReviewError):
    """The chat's text was removed by `grader purge` (its scores are kept)."""

    def __init__(self, transcript_id: str):
        super().__init__(f"会话 {transcript_id} 的聊天原文已按保留期限删除（评分仍保留），无法查看原文或重新评分")
        self.transcript_id = transcript_id


def transcript_of(unit: Unit, transcript_id: str) -> Transcript:
    """The chat's transcript; PurgedTranscript if its text was purged, UnknownTranscript if missing."""
    transcript = unit.transcript(transcript_id)
    if transcript is None:
        raise PurgedTranscript(transcript_id) if unit.purged_at(transcript_id) else UnknownTranscript(transcript_id)
    return transcript


def load_card(store: Store, transcript_id: str) -> tuple[Scorecard, Transcript]:
    """The chat's current scorecard and its transcript; UnknownTranscript if either is missing,
    PurgedTranscript if the text was purged."""
    with store.reading() as u:
        _, card = card_of(u, transcript_id)
        transcript = transcript_of(u, transcript_id)
    return card, transcript


def review_info(store: Store, transcript_id: str) -> dict:
    with store.reading() as u:
        return u.review_state(transcript_id)


def audit(store: Store, transcript_id: str) -> list[dict]:
    """Every override of this chat, oldest first."""
    with store.reading() as u:
        return u.overrides(transcript_id)


def _final(store: Store, transcript_id: str, rubric=None):
    with store.reading() as u:
        _, card = card_of(u, transcript_id)
        latest = u.latest_overrides(transcript_id)
    return final_card(card, latest, rubric or _standard_rubric())


def final_items(store: Store, transcript_id: str, rubric=None) -> list[dict]:
    """The current scorecard's items with suggested and final scores (latest override applied)."""
    final = _final(store, transcript_id, rubric)
    return [dict(id=f.item.id, label=f.item.label, max=f.item.max, levels=list(f.item.levels),
                 suggested=f.item.score, final=f.final, overridden=f.overridden, override=f.override,
                 confidence=f.item.confidence, needs_review=f.item.needs_review, reason=f.item.reason,
                 value=f.item.value, not_applicable=f.item.not_applicable,
                 evidence=[e.model_dump() for e in f.item.evidence]) for f in final.items]


def final_red_lines(store: Store, transcript_id: str, rubric=None) -> list[dict]:
    """The card's red-line hits: label, effect, evidence, and whether each still stands (not dismissed)."""
    final = _final(store, transcript_id, rubric)
    return [dict(id=r.hit.id, label=r.hit.label, reason=r.hit.reason, confidence=r.hit.confidence,
                 effect="本会话总分记 0 分" if r.hit.effect == "zero" else f"本会话总分最多 {r.hit.cap} 分",
                 standing=r.standing, override=r.override,
                 evidence=[e.model_dump() for e in r.hit.evidence]) for r in final.red_lines]


def final_total(store: Store, transcript_id: str, rubric=None) -> int:
    """The final card's total (overrides applied, the rubric's N/A policy)."""
    return _final(store, transcript_id, rubric).total


# --- writing --------------------------------------------------------------------------------------

@contextmanager
def _action(store: Store):
    """One user action: one transaction; a revision conflict becomes StaleRevision."""
    try:
        with store.unit() as u:
            yield u
    except RevisionConflict as exc:
        raise StaleRevision(exc.transcript_id, exc.expected, exc.current) from None


def _check_revision(unit: Unit, transcript_id: str, expected: int | None) -> int:
    revision = unit.revision(transcript_id)
    if expected is not None and int(expected) != revision:
        raise StaleRevision(transcript_id, int(expected), revision)
    return revision


def _parse_level(item_id: str, score, levels: list[int]) -> int:
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        raise LevelNotAllowed(item_id, score, levels) from None
    if value not in levels:
        raise LevelNotAllowed(item_id, value, levels)
    return value


def _levels(card: Scorecard, item_id: str, score, final) -> tuple[int, int]:
    """(the level asked for, the current final level) of an item, or of a red-line hit (1 standing, 0 dismissed)."""
    if item_id in card.red_line_ids:
        standing = next(r.standing for r in final.red_lines if r.hit.id == item_id)
        return _parse_level(item_id, score, RED_LINE_LEVELS), int(standing)
    return _parse_level(item_id, score, card.item(item_id).levels), final.item(item_id).final


def _record_final(unit: Unit, transcript_id: str, card: Scorecard, rubric=None) -> None:
    """Keep the queue's final total and band (what its band filter reads) in step with the overrides."""
    final = final_card(card, unit.latest_overrides(transcript_id), rubric or _standard_rubric())
    unit.set_final(transcript_id, final.total, final.band)


def override_in(unit: Unit, transcript_id: str, item_id: str, score, reason: str | None, by: str,
                expected_revision: int | None, source: str, rubric=None) -> Change:
    """`apply_override`'s work inside the caller's unit (for actions that do more, e.g. disputes);
    `rubric` the cards were graded with (None: the standard one) names the final band.
    Raises ReviewError without `by`, UnknownItem, LevelNotAllowed, ReasonRequired, StaleRevision."""
    if not by:
        raise ReviewError("必须说明是谁修改的（--by）")
    reason = (reason or "").strip()
    card_id, card = card_of(unit, transcript_id)
    ids = [i.id for i in card.items] + card.red_line_ids
    if item_id not in ids:
        raise UnknownItem(item_id, ids)
    value, current = _levels(card, item_id, score, final_card(card, unit.latest_overrides(transcript_id),
                                                              rubric or _standard_rubric()))
    revision = _check_revision(unit, transcript_id, expected_revision)
    if value == current:
        return Change(transcript_id, item_id, str(current), str(value), None, revision)
    if not reason:
        raise ReasonRequired(item_id)
    revision = unit.bump(transcript_id, revision)
    oid = unit.add_override(transcript_id, card_id, item_id, str(current), str(value), reason, by, now_iso(), source)
    _record_final(unit, transcript_id, card, rubric)
    return Change(transcript_id, item_id, str(current), str(value), oid, revision)


def apply_override(store: Store, transcript_id: str, item_id: str, score, reason: str | None, by: str,
                   expected_revision: int | None = None, source: str = "cli", grader=None, rubric=None) -> Change:
    """Set an item of the current scorecard to one of its allowed levels, with a reason and audit record.

    Setting an item to the score it already has changes nothing (no record, no revision bump).
    `item_id="scenario"` with score "presale"/"aftersale" changes the scenario (see change_scenario).
    `rubric`: the one the cards were graded with (the settings'; default `grader.rubric`, else the
    standard one): its N/A policy and bands make the final total and band the queue shows.
    Raises UnknownTranscript, UnknownItem, LevelNotAllowed, ReasonRequired, StaleRevision (ReviewError).
    """
    if item_id == "scenario":
        return change_scenario(store, transcript_id, str(score), reason, by, expected_revision, source, grader)
    rubric = rubric if rubric is not None else getattr(grader, "rubric", None)
    with _action(store) as u:
        return override_in(u, transcript_id, item_id, score, reason, by, expected_revision, source, rubric)


def change_scenario(store: Store, transcript_id: str, scenario: str, reason: str | None, by: str,
                    expected_revision: int | None = None, source: str = "web", grader=None) -> Change:
    """Re-grade the chat as `scenario` (swapping the section) and store it; audit as item "scenario".

    `grader` must be the process's grader (`GradeSettings.grader()`), so the re-graded card uses the
    run's rubric, lexicons and options. The audit record, the revision and the new scorecard are
    written in one transaction, after the re-grade (which touches no database).
    Raises LevelNotAllowed, ReasonRequired, StaleRevision, ReviewError (no `by`, re-graded meanwhile).
    """
    if scenario not in SCENARIO_LABELS:
        raise LevelNotAllowed("scenario", scenario, list(SCENARIO_LABELS))
    if not by:
        raise ReviewError("必须说明是谁修改的（--by）")
    reason = (reason or "").strip()
    with store.reading() as u:
        loaded_id, card = card_of(u, transcript_id)
        transcript = transcript_of(u, transcript_id)
    if card.scenario != scenario:
        if not reason:
            raise ReasonRequired("scenario")
        if grader is None:
            from grader.settings import GradeSettings
            grader = GradeSettings().grader()
        new_card = grader.grade(transcript, scenario=scenario)
    with _action(store) as u:
        card_id, now = card_of(u, transcript_id)
        revision = _check_revision(u, transcript_id, expected_revision)
        if now.scenario == scenario:
            return Change(transcript_id, "scenario", now.scenario, scenario, None, revision)
        if card_id != loaded_id:  # re-graded meanwhile (by a batch run)
            raise ReviewError(f"会话 {transcript_id} 刚刚被重新评分，请刷新页面后再修改场景")
        revision = u.bump(transcript_id, revision)
        oid = u.add_override(transcript_id, card_id, "scenario", card.scenario, scenario, reason, by, now_iso(),
                             source)
        u.save([(transcript, new_card)], getattr(grader, "tz", None))
        _record_final(u, transcript_id, new_card, getattr(grader, "rubric", None))
    return Change(transcript_id, "scenario", card.scenario, scenario, oid, revision)


def mark_reviewed(store: Store, transcript_id: str, by: str, expected_revision: int | None = None,
                  reviewed: bool = True, bulk: bool = False) -> int:
    """Mark (or unmark) the chat reviewed, with who and when in `review_state` and the audit log; returns
    the new revision. `bulk`: accepted unread by a bulk accept (`grader.review.bulk`), recorded as such
    so that it never counts as a supervisor's agreement (`grader.calibration.labels`).
    Raises UnknownTranscript, StaleRevision."""
    with _action(store) as u:
        card_of(u, transcript_id)
        revision = u.bump(transcript_id, expected_revision, reviewed=reviewed,
                          reviewed_by=by if reviewed else None, reviewed_at=now_iso() if reviewed else None,
                          bulk=bool(bulk and reviewed) or None)
        detail = {"revision": revision, **({"bulk": True} if bulk and reviewed else {})}
        u.audit(by, "reviewed" if reviewed else "unreviewed", transcript_id, detail)
        return revision
