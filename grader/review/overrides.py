"""Supervisor overrides: the one set of rules the web app and `grader override` share.

The suggested score stays on the stored scorecard; an override is an append-only audit record
(who, when, item, from, to, reason, source). The final score of an item is the latest override of
that transcript+item, applied to the current scorecard when the item is on it.

Every change bumps `review_state.revision`; a caller that says which revision it loaded
(`expected_revision`) is refused with `StaleRevision` when someone else changed the chat since.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from grader.errors import GraderError
from grader.rubric import SCENARIO_LABELS
from grader.scorecard.model import Scorecard
from grader.store import Store, now_iso, overrides, review_state, scorecards, transcripts
from grader.store_security import append_audit
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

def current_card(conn: Connection, transcript_id: str) -> tuple[int, Scorecard]:
    row = conn.execute(select(scorecards.c.id, scorecards.c.json).where(
        scorecards.c.transcript_id == transcript_id, scorecards.c.current.is_(True))).first()
    if row is None:
        raise UnknownTranscript(transcript_id)
    return row[0], Scorecard.model_validate_json(row[1])


class PurgedTranscript(ReviewError):
    """The chat's text was removed by `grader purge` (its scores are kept)."""

    def __init__(self, transcript_id: str):
        super().__init__(f"会话 {transcript_id} 的聊天原文已按保留期限删除（评分仍保留），无法查看原文或重新评分")
        self.transcript_id = transcript_id


def load_transcript(conn: Connection, transcript_id: str) -> Transcript:
    row = conn.execute(select(transcripts.c.content).where(transcripts.c.id == transcript_id)).first()
    if row is None:
        raise UnknownTranscript(transcript_id)
    if row[0] is None:
        raise PurgedTranscript(transcript_id)
    return Transcript.model_validate_json(row[0])


def revision_of(conn: Connection, transcript_id: str) -> int:
    rev = conn.execute(select(review_state.c.revision).where(review_state.c.transcript_id == transcript_id)).scalar()
    return int(rev or 0)


def review_info(store: Store, transcript_id: str) -> dict:
    with store.engine.connect() as conn:
        row = conn.execute(select(review_state).where(review_state.c.transcript_id == transcript_id)).first()
    if row is None:
        return dict(revision=0, reviewed=False, reviewed_by=None, reviewed_at=None)
    return dict(revision=int(row.revision or 0), reviewed=bool(row.reviewed), reviewed_by=row.reviewed_by,
                reviewed_at=row.reviewed_at)


def audit(store: Store, transcript_id: str) -> list[dict]:
    """Every override of this chat, oldest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(overrides).where(overrides.c.transcript_id == transcript_id)
                            .order_by(overrides.c.id))
        return [dict(r._mapping) for r in rows]


def _latest(conn: Connection, transcript_id: str) -> dict[str, dict]:
    rows = conn.execute(select(overrides).where(overrides.c.transcript_id == transcript_id).order_by(overrides.c.id))
    return {r.item_id: dict(r._mapping) for r in rows}


def _final_for(item, latest: dict[str, dict]) -> tuple[int, dict | None]:
    record = latest.get(item.id)
    if record is not None:
        try:
            value = int(record["to_value"])
        except (TypeError, ValueError):
            value = None
        if value in item.levels:  # an override of a level the current rubric no longer has is not applied
            return value, record
    return item.score, None


def final_items(store: Store, transcript_id: str) -> list[dict]:
    """The current scorecard's items with suggested and final scores (latest override applied)."""
    with store.engine.connect() as conn:
        _, card = current_card(conn, transcript_id)
        latest = _latest(conn, transcript_id)
    out = []
    for item in card.items:
        final, record = _final_for(item, latest)
        out.append(dict(
            id=item.id, label=item.label, max=item.max, levels=list(item.levels), suggested=item.score,
            final=final, overridden=record is not None, override=record, confidence=item.confidence,
            needs_review=item.needs_review, reason=item.reason, value=item.value,
            evidence=[e.model_dump() for e in item.evidence]))
    return out


def final_total(store: Store, transcript_id: str) -> int:
    return sum(i["final"] for i in final_items(store, transcript_id))


# --- writing --------------------------------------------------------------------------------------

def _bump(conn: Connection, transcript_id: str, expected: int | None, **values) -> int:
    """Bump the revision atomically; refuse when it is no longer `expected`. Returns the new revision."""
    current = revision_of(conn, transcript_id)
    if expected is not None and int(expected) != current:
        raise StaleRevision(transcript_id, int(expected), current)
    exists = conn.execute(select(review_state.c.transcript_id).where(
        review_state.c.transcript_id == transcript_id)).first()
    if exists is None:
        try:
            conn.execute(insert(review_state).values(**{"reviewed": False, **values},
                                                     transcript_id=transcript_id, revision=current + 1))
        except IntegrityError:  # someone created it between our read and insert
            raise StaleRevision(transcript_id, current, current + 1) from None
        return current + 1
    done = conn.execute(update(review_state).where(
        review_state.c.transcript_id == transcript_id, review_state.c.revision == current)
        .values(revision=current + 1, **values)).rowcount
    if done != 1:
        raise StaleRevision(transcript_id, current, revision_of(conn, transcript_id))
    return current + 1


def _parse_level(item_id: str, score, levels: list[int]) -> int:
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        raise LevelNotAllowed(item_id, score, levels) from None
    if value not in levels:
        raise LevelNotAllowed(item_id, value, levels)
    return value


def apply_override(store: Store, transcript_id: str, item_id: str, score, reason: str | None, by: str,
                   expected_revision: int | None = None, source: str = "cli", grader=None) -> Change:
    """Set an item of the current scorecard to one of its allowed levels, with a reason and audit record.

    Setting an item to the score it already has changes nothing (no record, no revision bump).
    `item_id="scenario"` with score "presale"/"aftersale" changes the scenario (see change_scenario).
    """
    if item_id == "scenario":
        return change_scenario(store, transcript_id, str(score), reason, by, expected_revision, source, grader)
    if not by:
        raise ReviewError("必须说明是谁修改的（--by）")
    reason = (reason or "").strip()
    with store.engine.begin() as conn:
        card_id, card = current_card(conn, transcript_id)
        ids = [i.id for i in card.items]
        if item_id not in ids:
            raise UnknownItem(item_id, ids)
        item = card.item(item_id)
        value = _parse_level(item_id, score, item.levels)
        current, _ = _final_for(item, _latest(conn, transcript_id))
        revision = revision_of(conn, transcript_id)
        if expected_revision is not None and int(expected_revision) != revision:
            raise StaleRevision(transcript_id, int(expected_revision), revision)
        if value == current:
            return Change(transcript_id, item_id, str(current), str(value), None, revision)
        if not reason:
            raise ReasonRequired(item_id)
        revision = _bump(conn, transcript_id, revision)
        oid = _record(conn, dict(transcript_id=transcript_id, scorecard_id=card_id, item_id=item_id,
                                 from_value=str(current), to_value=str(value), reason=reason, by=by, at=now_iso(),
                                 source=source))
    return Change(transcript_id, item_id, str(current), str(value), oid, revision)


def change_scenario(store: Store, transcript_id: str, scenario: str, reason: str | None, by: str,
                    expected_revision: int | None = None, source: str = "web", grader=None) -> Change:
    """Re-grade the chat as `scenario` (swapping the section) and store it; audit as item "scenario"."""
    if scenario not in SCENARIO_LABELS:
        raise LevelNotAllowed("scenario", scenario, list(SCENARIO_LABELS))
    if not by:
        raise ReviewError("必须说明是谁修改的（--by）")
    reason = (reason or "").strip()
    with store.engine.begin() as conn:
        card_id, card = current_card(conn, transcript_id)
        transcript = load_transcript(conn, transcript_id)
        revision = revision_of(conn, transcript_id)
        if expected_revision is not None and int(expected_revision) != revision:
            raise StaleRevision(transcript_id, int(expected_revision), revision)
        if card.scenario == scenario:
            return Change(transcript_id, "scenario", card.scenario, scenario, None, revision)
        if not reason:
            raise ReasonRequired("scenario")
    if grader is None:
        from grader.pipeline import Grader
        grader = Grader()
    new_card = grader.grade(transcript, scenario=scenario)
    with store.engine.begin() as conn:  # the revision check again: nobody may have slipped in meanwhile
        revision = _bump(conn, transcript_id, revision)
        oid = _record(conn, dict(transcript_id=transcript_id, scorecard_id=card_id, item_id="scenario",
                                 from_value=card.scenario, to_value=scenario, reason=reason, by=by, at=now_iso(),
                                 source=source))
    store.save([(transcript, new_card)])
    return Change(transcript_id, "scenario", card.scenario, scenario, oid, revision)


def mark_reviewed(store: Store, transcript_id: str, by: str, expected_revision: int | None = None,
                  reviewed: bool = True) -> int:
    """Mark (or unmark) the chat reviewed; returns the new revision."""
    with store.engine.begin() as conn:
        current_card(conn, transcript_id)
        revision = _bump(conn, transcript_id, expected_revision, reviewed=reviewed,
                         reviewed_by=by if reviewed else None, reviewed_at=now_iso() if reviewed else None)
        append_audit(conn, by, "reviewed" if reviewed else "unreviewed", transcript_id, {"revision": revision})
        return revision


def _record(conn: Connection, values: dict) -> int:
    """Insert an override and its entry in the hash-chained audit log (same transaction); returns its id."""
    oid = conn.execute(insert(overrides).values(**values)).inserted_primary_key[0]
    append_audit(conn, values["by"], "override", values["transcript_id"], {**values, "id": oid})
    return oid
