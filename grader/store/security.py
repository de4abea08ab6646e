"""Store and Unit methods over the security tables (grader/store/audit.py): the audit log, who
opened which chat, sessions, failed sign-ins, retention and purges.

core.py mixes `SecurityStore` into `Store`, unit.py mixes `SecurityUnit` into `Unit`.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from grader.store.audit import (_iso, _now, access_log, append_audit, audit_entries, audit_log, login_failures,
                                purged, sessions, verify_audit)
from grader.store.tables import meta, runs, scorecards, set_aside, transcripts

# --- the Unit's methods (mixed into grader.store.Unit: inside the user action's transaction) ----------

class SecurityUnit:
    """Unit methods over the security tables; `self.conn` is the unit's connection."""

    conn: Connection

    def audit(self, actor: str, action: str, transcript_id: str | None = None, detail: dict | None = None,
              at: str | None = None) -> int:
        """Append an entry to the hash-chained audit log in this unit's transaction (see append_audit)."""
        return append_audit(self.conn, actor, action, transcript_id, detail, at)

    def audit_entries(self, transcript_id: str | None = None, limit: int | None = None) -> list[dict]:
        return audit_entries(self.conn, transcript_id, limit)

    def purged_at(self, transcript_id: str) -> dict | None:
        row = self.conn.execute(select(purged).where(purged.c.transcript_id == transcript_id)).first()
        return dict(row._mapping) if row else None


# --- the Store's methods (mixed into grader.store.Store) ---------------------------------------------

def _hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class SecurityStore:
    """Store methods over the security tables; `self.engine` is the Store's engine."""

    engine: Engine

    def database_file(self):
        """The SQLite database file (a Path), or None for a server database or an in-memory one."""
        from pathlib import Path
        if self.engine.dialect.name != "sqlite" or self.engine.url.database in (None, "", ":memory:"):
            return None
        return Path(self.engine.url.database)

    # audit
    def audit(self, actor: str, action: str, transcript_id: str | None = None, detail: dict | None = None) -> int:
        """Append one audit entry in its own transaction (see append_audit); returns its id."""
        with self.engine.begin() as conn:
            return append_audit(conn, actor, action, transcript_id, detail)

    def count_audit(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(audit_log)).scalar_one()

    def verify_audit(self) -> list[str]:
        with self.engine.connect() as conn:
            return verify_audit(conn)

    def audit_entries(self, transcript_id: str | None = None, limit: int | None = None) -> list[dict]:
        with self.engine.connect() as conn:
            return audit_entries(conn, transcript_id, limit)

    # sessions
    def create_session(self, session_id: str, user: str, lifetime: timedelta, address: str | None = None) -> None:
        """Record a new session (only the hash of `session_id` is stored) and audit the sign-in."""
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(insert(sessions).values(id_hash=_hash_id(session_id), user=user, created_at=_iso(now),
                                                 last_seen=_iso(now), expires_at=_iso(now + lifetime), address=address))
            append_audit(conn, user, "login", None, {"address": address})

    def session_user(self, session_id: str | None, idle: timedelta) -> str | None:
        """The account of a live session: not ended, not past its expiry, seen within `idle`."""
        if not session_id:
            return None
        now = _now()
        key = _hash_id(session_id)
        with self.engine.connect() as conn:
            row = conn.execute(select(sessions).where(sessions.c.id_hash == key)).first()
        if row is None or row.ended_at or row.expires_at <= _iso(now) or row.last_seen <= _iso(now - idle):
            return None
        if row.last_seen <= _iso(now - timedelta(seconds=60)):  # one write a minute per session at most
            with self.engine.begin() as conn:
                conn.execute(update(sessions).where(sessions.c.id_hash == key).values(last_seen=_iso(now)))
        return row.user

    def end_session(self, session_id: str | None, actor: str | None = None) -> None:
        """End one session (logout): its cookie is refused from now on."""
        if not session_id:
            return
        with self.engine.begin() as conn:
            done = conn.execute(update(sessions).where(sessions.c.id_hash == _hash_id(session_id),
                                                       sessions.c.ended_at.is_(None)).values(ended_at=_iso(_now())))
            if done.rowcount and actor:
                append_audit(conn, actor, "logout")

    def end_sessions(self, user: str | None = None) -> int:
        """End every live session (of `user`, or of everyone); returns how many."""
        q = update(sessions).where(sessions.c.ended_at.is_(None))
        if user is not None:
            q = q.where(sessions.c.user == user)
        with self.engine.begin() as conn:
            return conn.execute(q.values(ended_at=_iso(_now()))).rowcount

    # failed sign-ins
    def record_login_failure(self, name: str, address: str | None) -> None:
        """Count a failed sign-in for throttling and audit it (actor "", the name tried in detail)."""
        with self.engine.begin() as conn:
            conn.execute(insert(login_failures).values(at=_iso(_now()), name=name, address=address))
            append_audit(conn, "", "login_failed", None, {"name": name, "address": address})

    def login_failures(self, name: str, address: str | None, window: timedelta) -> dict:
        """Failures within `window`: {"name": (count, last ISO time), "address": (count, last ISO time)}."""
        since = _iso(_now() - window)
        out = {}
        with self.engine.connect() as conn:
            for key, column, value in (("name", login_failures.c.name, name),
                                       ("address", login_failures.c.address, address)):
                row = conn.execute(select(func.count(), func.max(login_failures.c.at)).where(
                    column == value, login_failures.c.at > since)).one()
                out[key] = (int(row[0]), row[1]) if value is not None else (0, None)
        return out

    def clear_login_failures(self, name: str) -> None:
        """A successful sign-in forgets the account's failures (the audit keeps them)."""
        with self.engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.name == name))

    # who opened which chat
    def log_access(self, actor: str, transcript_id: str, address: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(access_log).values(at=_iso(_now()), actor=actor, transcript_id=transcript_id,
                                                   address=address))

    def access_entries(self, transcript_id: str | None = None, actor: str | None = None,
                       limit: int | None = None) -> list[dict]:
        """Card views, newest first."""
        q = select(access_log).order_by(access_log.c.id.desc())
        if transcript_id:
            q = q.where(access_log.c.transcript_id == transcript_id)
        if actor:
            q = q.where(access_log.c.actor == actor)
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    # retention: chat text removed, scores kept
    def retention_days(self) -> int | None:
        """The saved retention period in days (`grader retention set`), or None."""
        with self.engine.connect() as conn:
            value = conn.execute(select(meta.c.value).where(meta.c.key == RETENTION_KEY)).scalar()
        return int(value) if value else None

    def set_retention_days(self, days: int, by: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(meta).where(meta.c.key == RETENTION_KEY))
            conn.execute(insert(meta).values(key=RETENTION_KEY, value=str(int(days))))
            append_audit(conn, by, "retention", None, {"retention_days": int(days)})

    def purge_before(self, day: str, by: str, dry_run: bool = False) -> dict:
        """Remove the text of chats that began before `day` (ISO date, local), keeping their scores.

        Per chat: the transcript's messages and customer name are dropped and the chat leaves the
        review search's index; every stored scorecard (current and history) keeps its scores, items,
        metrics and evidence positions, but its evidence quotes become "" and quoted text (“…”) in
        reasons becomes “（已删除）”. Set-aside records of runs started before `day` are deleted. One
        transaction, audited; then the search index is rewritten without the purged chats
        (`search.scrub`) and, on SQLite, the write-ahead log is checkpointed into the file. Freed
        pages are zeroed (secure_delete) so the removed text leaves the file. Returns counts.
        """
        from grader.store import search
        from grader.store.core import CARD_FIELDS  # core imports this module

        with self.engine.begin() as conn:
            _secure_delete(conn, True)
            ids = [r[0] for r in conn.execute(select(transcripts.c.id).where(
                transcripts.c.day < day, transcripts.c.id.not_in(select(purged.c.transcript_id))))]
            aside = conn.execute(select(func.count()).select_from(set_aside).where(
                set_aside.c.run_id.in_(select(runs.c.id).where(runs.c.started_at < day)))).scalar_one()
            counts = {"before": day, "chats": len(ids), "scorecards": 0, "set_aside": aside}
            if dry_run:
                for chunk in [ids[i:i + 500] for i in range(0, len(ids), 500)]:
                    counts["scorecards"] += conn.execute(select(func.count()).select_from(scorecards).where(
                        scorecards.c.transcript_id.in_(chunk))).scalar_one()
                return counts
            stamp = _iso(_now())
            for chunk in [ids[i:i + 500] for i in range(0, len(ids), 500)]:
                search.forget(conn, chunk)  # needs the text it indexed: before the text goes
                conn.execute(update(transcripts).where(transcripts.c.id.in_(chunk)).values(
                    content=None, body=None, dict_id=None, customer=None))
                rows = conn.execute(select(*CARD_FIELDS).where(scorecards.c.transcript_id.in_(chunk))).all()
                for row in rows:
                    conn.execute(update(scorecards).where(scorecards.c.id == row.id).values(**self._stripped(row)))
                counts["scorecards"] += len(rows)
                conn.execute(insert(purged), [dict(transcript_id=t, at=stamp, by=by) for t in chunk])
            conn.execute(delete(set_aside).where(set_aside.c.run_id.in_(select(runs.c.id).where(runs.c.started_at < day))))
            conn.execute(delete(sessions).where(sessions.c.expires_at < day))
            conn.execute(delete(login_failures).where(login_failures.c.at < day))
            append_audit(conn, by, "purge", None, counts)
        if ids:
            self._scrub()
        return counts

    def _scrub(self) -> None:
        """Rewrite the search index without forgotten chats and (SQLite) move the write-ahead log
        into the file, with freed pages zeroed."""
        from grader.store import search

        with self.engine.begin() as conn:
            _secure_delete(conn, True)
            search.scrub(conn)
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                _secure_delete(conn, False)

    def _stripped(self, row) -> dict:
        """New stored columns of a `scorecards` row without chat text (see strip_text), packed with
        the row's own dictionaries; a schema-1 row (whole JSON) is rewritten as such."""
        from grader.scorecard.model import Scorecard
        from grader.store.codec import pack
        from grader.store.rows import card_docs

        if row.body is None:
            return {"json": strip_text(row.json)}
        card = self.card_of_row(row, findings=True)
        card = Scorecard.model_validate_json(strip_text(card.model_dump_json()))
        _, body, found = card_docs(card, row.versions_key)
        return {"body": pack(body, self._zdict(row.dict_id)),
                "findings": pack(found, self._zdict(row.findings_dict_id)) if found is not None else None}

    def purged_at(self, transcript_id: str) -> dict | None:
        """When and by whom the chat's text was purged, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(purged).where(purged.c.transcript_id == transcript_id)).first()
        return dict(row._mapping) if row else None


RETENTION_KEY = "retention_days"


def _secure_delete(conn, on: bool) -> None:
    """SQLite: whether deleted content is overwritten with zeros on this connection."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA secure_delete={'ON' if on else 'OFF'}")
_QUOTED = re.compile(r"“[^”]*”")


def strip_text(card_json: str) -> str:
    """A scorecard JSON without chat text: evidence quotes emptied (positions kept), customer
    dropped, “quoted” text in reasons replaced by “（已删除）”."""
    doc = json.loads(card_json)

    def walk(value):
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k == "quote" and isinstance(v, str):
                    out[k] = ""
                elif k == "reason" and isinstance(v, str):
                    out[k] = _QUOTED.sub("“（已删除）”", v)
                else:
                    out[k] = walk(v)
            return out
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    doc = walk(doc)
    if "customer" in doc:
        doc["customer"] = None
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
