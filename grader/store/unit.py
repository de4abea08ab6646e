"""One unit of work on the database: the reads and writes of one user action, in one transaction.

`Store.unit()` opens one (committed when the `with` block ends, rolled back on any error);
`Store.reading()` opens one for reads only. The review app and calibration act on the database only
through these methods: they hold no SQL of their own.
"""
from __future__ import annotations

import json

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from grader.errors import GraderError
from grader.scorecard.model import Scorecard
from grader.store.security import SecurityUnit
from grader.store.tables import (calibration_scores, calibration_sessions, disputes, meta, overrides, review_state,
                                 scorecards, self_assessments, transcripts, users)
from grader.transcript.model import Transcript


class RevisionConflict(GraderError):
    """The chat's review revision is not the one the caller expected (someone changed it meanwhile)."""

    def __init__(self, transcript_id: str, expected: int, current: int):
        super().__init__(f"revision of {transcript_id} is {current}, not {expected}")
        self.transcript_id, self.expected, self.current = transcript_id, expected, current


class Unit(SecurityUnit):
    """Database operations of one transaction (see module docstring). Made by `Store.unit()`.

    The audit log, access log, sessions and purges are in grader/store/security.py."""

    def __init__(self, store, conn: Connection):
        self.store = store
        self.conn = conn

    # --- scorecards and transcripts -----------------------------------------------------------
    def current_card(self, transcript_id: str) -> tuple[int, Scorecard] | None:
        """(scorecard row id, Scorecard) of the chat's current scorecard, or None."""
        from grader.store.core import CARD_FIELDS
        # by transcript id alone, `current` checked here: with `current = 1` in the query SQLite walks
        # the (current, day) index, every current card, instead of the chat's few rows
        rows = self.conn.execute(select(*CARD_FIELDS, scorecards.c.current).where(
            scorecards.c.transcript_id == transcript_id)).all()
        row = next((r for r in rows if r.current), None)
        return (row.id, self.store.card_of_row(row)) if row else None

    def transcript(self, transcript_id: str) -> Transcript | None:
        t = transcripts.c
        row = self.conn.execute(select(t.id, t.content, t.body, t.dict_id).where(t.id == transcript_id)).first()
        return self.store.transcript_of_row(row) if row else None

    def set_final(self, transcript_id: str, total: int, band: str) -> None:
        """Record the chat's final total and band (from `grader.scorecard.final.final_card`) in the queue."""
        from grader.store.queue import set_final
        set_final(self.conn, transcript_id, total, band)

    def save(self, pairs: list[tuple[Transcript, Scorecard]], tz=None) -> None:
        """Store scorecards (see `Store.save`) inside this transaction."""
        self.store.save_in(self.conn, pairs, tz)

    # --- overrides and review state ---------------------------------------------------------------
    def overrides(self, transcript_id: str) -> list[dict]:
        """Every override record of the chat, oldest first."""
        rows = self.conn.execute(select(overrides).where(overrides.c.transcript_id == transcript_id)
                                 .order_by(overrides.c.id))
        return [dict(r._mapping) for r in rows]

    def latest_overrides(self, transcript_id: str) -> dict[str, dict]:
        """item id (or "scenario") -> the latest override record."""
        return {r["item_id"]: r for r in self.overrides(transcript_id)}

    def add_override(self, transcript_id: str, scorecard_id: int, item_id: str, from_value: str | None,
                     to_value: str, reason: str, by: str, at: str, source: str) -> int:
        """Insert an override and its entry in the hash-chained audit log; returns the override id."""
        values = dict(transcript_id=transcript_id, scorecard_id=scorecard_id, item_id=item_id, from_value=from_value,
                      to_value=to_value, reason=reason, by=by, at=at, source=source)
        oid = self.conn.execute(insert(overrides).values(**values)).inserted_primary_key[0]
        self.audit(by, "override", transcript_id, {**values, "id": oid})
        return oid

    def review_state(self, transcript_id: str) -> dict:
        """{revision, reviewed, reviewed_by, reviewed_at, bulk (accepted unread by a bulk accept)} of the chat."""
        row = self.conn.execute(select(review_state).where(review_state.c.transcript_id == transcript_id)).first()
        if row is None:
            return dict(revision=0, reviewed=False, reviewed_by=None, reviewed_at=None, bulk=False)
        return dict(revision=int(row.revision or 0), reviewed=bool(row.reviewed), reviewed_by=row.reviewed_by,
                    reviewed_at=row.reviewed_at, bulk=bool(row.reviewed and row.bulk))

    def revision(self, transcript_id: str) -> int:
        rev = self.conn.execute(select(review_state.c.revision).where(
            review_state.c.transcript_id == transcript_id)).scalar()
        return int(rev or 0)

    def bump(self, transcript_id: str, expected: int | None, **values) -> int:
        """Bump the review revision (and set `values` of review_state); returns the new revision.

        Raises RevisionConflict when the revision is not `expected` (None: whatever it is now), also
        when another transaction bumps it between our read and write.
        """
        current = self.revision(transcript_id)
        if expected is not None and int(expected) != current:
            raise RevisionConflict(transcript_id, int(expected), current)
        exists = self.conn.execute(select(review_state.c.transcript_id).where(
            review_state.c.transcript_id == transcript_id)).first()
        if exists is None:
            try:
                self.conn.execute(insert(review_state).values(**{"reviewed": False, **values},
                                                              transcript_id=transcript_id, revision=current + 1))
            except IntegrityError:  # someone created it meanwhile; the whole unit rolls back
                raise RevisionConflict(transcript_id, current, current + 1) from None
            return current + 1
        done = self.conn.execute(update(review_state).where(
            review_state.c.transcript_id == transcript_id, review_state.c.revision == current)
            .values(revision=current + 1, **values)).rowcount
        if done != 1:
            raise RevisionConflict(transcript_id, current, self.revision(transcript_id))
        return current + 1

    # --- disputes ---------------------------------------------------------------------------------
    def add_dispute(self, transcript_id: str, item_id: str, by: str, at: str, comment: str,
                    requested: str | None) -> int:
        values = dict(transcript_id=transcript_id, item_id=item_id, by=by, at=at, comment=comment, status="open",
                      requested=requested)
        did = self.conn.execute(insert(disputes).values(**values)).inserted_primary_key[0]
        self.audit(by, "dispute_open", transcript_id, {**values, "id": did})
        return did

    def disputes(self, transcript_id: str | None = None, status: str | None = None,
                 dispute_id: int | None = None) -> list[dict]:
        q = select(disputes)
        if transcript_id is not None:
            q = q.where(disputes.c.transcript_id == transcript_id)
        if status is not None:
            q = q.where(disputes.c.status == status)
        if dispute_id is not None:
            q = q.where(disputes.c.id == int(dispute_id))
        return [dict(r._mapping) for r in self.conn.execute(q.order_by(disputes.c.id))]

    def resolve_dispute(self, dispute_id: int, status: str, by: str, at: str, resolution: str) -> bool:
        """Close an open dispute (audited); False when it was no longer open."""
        done = self.conn.execute(update(disputes).where(disputes.c.id == dispute_id, disputes.c.status == "open")
                                 .values(status=status, resolved_by=by, resolved_at=at,
                                         resolution=resolution)).rowcount == 1
        if done:
            tid = self.conn.execute(select(disputes.c.transcript_id).where(disputes.c.id == dispute_id)).scalar()
            self.audit(by, "dispute_resolve", tid, {"id": dispute_id, "status": status, "resolution": resolution})
        return done

    # --- reviewer calibration sessions ---------------------------------------------------------------
    def add_calibration_session(self, name: str, by: str, at: str, transcript_ids: list[str],
                                raters: list[str]) -> int:
        return self.conn.execute(insert(calibration_sessions).values(
            name=name, created_by=by, created_at=at, transcript_ids=json.dumps(transcript_ids, ensure_ascii=False),
            raters=json.dumps(raters, ensure_ascii=False), status="open")).inserted_primary_key[0]

    def calibration_sessions(self, session_id: int | None = None) -> list[dict]:
        """Sessions (newest first) with transcript_ids and raters as lists."""
        q = select(calibration_sessions).order_by(calibration_sessions.c.id.desc())
        if session_id is not None:
            q = q.where(calibration_sessions.c.id == int(session_id))
        out = []
        for r in self.conn.execute(q):
            row = dict(r._mapping)
            row["transcript_ids"], row["raters"] = json.loads(row["transcript_ids"]), json.loads(row["raters"])
            out.append(row)
        return out

    def close_calibration_session(self, session_id: int) -> None:
        self.conn.execute(update(calibration_sessions).where(calibration_sessions.c.id == int(session_id))
                          .values(status="closed"))

    def put_calibration_scores(self, session_id: int, transcript_id: str, rater: str, scores: dict[str, int],
                               at: str) -> None:
        """Replace this rater's scores of one chat of the session."""
        c = calibration_scores.c
        self.conn.execute(delete(calibration_scores).where(c.session_id == int(session_id),
                                                           c.transcript_id == transcript_id, c.rater == rater))
        if scores:
            self.conn.execute(insert(calibration_scores), [
                dict(session_id=int(session_id), transcript_id=transcript_id, rater=rater, item_id=k, score=int(v),
                     at=at) for k, v in scores.items()])

    def calibration_scores(self, session_id: int) -> list[dict]:
        """Every score of the session: dicts of transcript_id, rater, item_id, score, at."""
        c = calibration_scores.c
        q = select(c.transcript_id, c.rater, c.item_id, c.score, c.at).where(c.session_id == int(session_id))
        return [dict(r._mapping) for r in self.conn.execute(q)]
    # --- monthly self-assessment ------------------------------------------------------------------
    def self_assessment(self, agent: str, month: str) -> dict | None:
        """The agent account's self-assessment of `month` (YYYY-MM): total, items (JSON text), comment,
        by, at; or None."""
        row = self.conn.execute(select(self_assessments).where(
            self_assessments.c.agent == agent, self_assessments.c.month == month)).first()
        return dict(row._mapping) if row else None

    def add_self_assessment(self, agent: str, month: str, total: float, items: str | None, comment: str,
                            by: str, at: str) -> bool:
        """Record it; False when the agent already has one for that month (entered once a month)."""
        if self.self_assessment(agent, month) is not None:
            return False
        try:
            self.conn.execute(insert(self_assessments).values(agent=agent, month=month, total=total, items=items,
                                                              comment=comment, by=by, at=at))
        except IntegrityError:  # entered meanwhile by another session
            return False
        return True

    # --- accounts and settings --------------------------------------------------------------------
    def user(self, name: str) -> dict | None:
        """The account row (password hash included), or None."""
        row = self.conn.execute(select(users).where(users.c.name == name)).first()
        return dict(row._mapping) if row else None

    def put_user(self, name: str, values: dict, created_at: str, replace: bool) -> bool:
        """Insert the account, or update it when `replace`; False if it exists and not `replace`."""
        if self.conn.execute(select(users.c.name).where(users.c.name == name)).first():
            if not replace:
                return False
            self.conn.execute(update(users).where(users.c.name == name).values(**values))
        else:
            self.conn.execute(insert(users).values(name=name, created_at=created_at, **values))
        return True

    def users(self) -> list[dict]:
        rows = self.conn.execute(select(users.c.name, users.c.role, users.c.agent_account, users.c.created_at)
                                 .order_by(users.c.name))
        return [dict(r._mapping) for r in rows]

    def meta_value(self, key: str) -> str | None:
        return self.conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()

    def set_meta_value(self, key: str, value: str) -> None:
        if self.meta_value(key) is None:
            self.conn.execute(insert(meta).values(key=key, value=value))
        else:
            self.conn.execute(update(meta).where(meta.c.key == key).values(value=value))
