"""The store's security tables: hash-chained audit log, access log, sessions, failed sign-ins, purges.

Kept apart from core.py, which calls `migrate_security` and mixes in `SecurityStore` (and unit.py,
which mixes `SecurityUnit` into `Unit`):
- `audit_log` is append-only in the database (triggers refuse UPDATE/DELETE on SQLite and
  PostgreSQL, TRUNCATE too on PostgreSQL) and hash-chained: each row's `hash` is
  sha256(previous hash + the row's canonical JSON), and `audit_head` holds the last id and hash,
  so `verify_audit` finds an edited, removed or inserted row even where someone dropped the triggers.
- `overrides` (the score audit of review/) and `access_log` get the same append-only triggers;
  every override has an `audit_log` entry with the same fields, which `verify_audit` compares.
- `sessions` keeps only sha256 of each session id: a copy of the database gives no usable session.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import (Column, Index, Integer, MetaData, String, Table, Text, delete, func, insert, select, text,
                        update)
from sqlalchemy.engine import Connection, Engine

from grader.store.tables import meta, overrides, runs, scorecards, set_aside, transcripts

security_metadata = MetaData()

audit_log = Table(
    "audit_log", security_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # 1, 2, 3 … set by append_audit
    Column("at", String(40), nullable=False),
    Column("actor", String(100), nullable=False),  # an account name; "" when nobody is known (failed sign-in)
    Column("action", String(32), nullable=False),  # see ACTIONS
    Column("transcript_id", String(200), index=True),
    Column("detail", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False), Column("hash", String(64), nullable=False),
)

audit_head = Table(  # one row (id 1): the last audit entry, locked by every append
    "audit_head", security_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", Integer, nullable=False), Column("hash", String(64), nullable=False),
)

access_log = Table(
    "access_log", security_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False), Column("actor", String(100), nullable=False),
    Column("transcript_id", String(200), nullable=False), Column("address", String(64)),
    Index("ix_access_transcript", "transcript_id"),
)

sessions = Table(
    "sessions", security_metadata,
    Column("id_hash", String(64), primary_key=True),  # sha256 of the session id the cookie carries
    Column("user", String(100), nullable=False, index=True),
    Column("created_at", String(40), nullable=False), Column("last_seen", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False), Column("ended_at", String(40)),
    Column("address", String(64)),
)

login_failures = Table(
    "login_failures", security_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False), Column("name", String(100), index=True),
    Column("address", String(64), index=True),
)

purged = Table(  # chats whose text was removed by `grader purge` (scores kept)
    "purged", security_metadata,
    Column("transcript_id", String(200), primary_key=True),
    Column("at", String(40), nullable=False), Column("by", String(100), nullable=False),
)

GENESIS = "0" * 64
APPEND_ONLY = ("audit_log", "access_log", "overrides")
ACTIONS = ("override", "reviewed", "unreviewed", "dispute_open", "dispute_resolve", "login", "login_failed",
           "logout", "user_add", "secret_rotate", "purge", "retention")
OVERRIDE_FIELDS = ("id", "transcript_id", "scorecard_id", "item_id", "from_value", "to_value", "reason", "by", "at",
                   "source")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# --- schema -----------------------------------------------------------------------------------------

def _sqlite_triggers(table: str) -> list[str]:
    return [f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'grader: {table} is append-only ({op} refused)'); END"
            for op in ("UPDATE", "DELETE")]


PG_FUNCTION = """
CREATE OR REPLACE FUNCTION grader_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'grader: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$"""


def _pg_triggers(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION grader_append_only()",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION grader_append_only()"]


def trigger_ddl(dialect: str) -> list[str]:
    """The statements making APPEND_ONLY tables append-only on `dialect` ("sqlite" or "postgresql")."""
    if dialect == "sqlite":
        return [s for table in APPEND_ONLY for s in _sqlite_triggers(table)]
    if dialect == "postgresql":
        return [PG_FUNCTION] + [s for table in APPEND_ONLY for s in _pg_triggers(table)]
    raise NotImplementedError(f"append-only triggers are written for sqlite and postgresql, not {dialect}")


def _triggers_missing(conn: Connection) -> bool:
    """On PostgreSQL, re-creating triggers locks the tables: done only when one is missing."""
    if conn.dialect.name != "postgresql":
        return True  # CREATE TRIGGER IF NOT EXISTS
    wanted = {f"{t}_{kind}" for t in APPEND_ONLY for kind in ("append_only", "no_truncate")}
    found = {r[0] for r in conn.execute(text(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = current_schema()"))}
    return not wanted <= found


def migrate_security(engine: Engine, legacy_secret_key: str = "review_session_secret") -> None:
    """Create the tables and triggers; chain the overrides recorded before the audit log existed;
    drop a session secret an older grader kept in `meta` (anyone with the database could sign with it)."""
    security_metadata.create_all(engine)
    with engine.begin() as conn:
        if _triggers_missing(conn):
            for statement in trigger_ddl(engine.dialect.name):
                conn.execute(text(statement))
        if conn.execute(select(audit_head.c.id)).first() is None:
            conn.execute(insert(audit_head).values(id=1, last_id=0, hash=GENESIS))
            for row in conn.execute(select(overrides).order_by(overrides.c.id)).all():
                append_audit(conn, row.by, "override", row.transcript_id, override_detail(row._mapping),
                             at=row.at)
        conn.execute(delete(meta).where(meta.c.key == legacy_secret_key))


# --- the audit log ----------------------------------------------------------------------------------

def _canonical(detail: dict) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(prev_hash: str, entry_id: int, at: str, actor: str, action: str, transcript_id: str | None,
               detail: str) -> str:
    """sha256 hex of the previous hash and the entry's fields (detail as stored)."""
    body = json.dumps([entry_id, at, actor, action, transcript_id, detail], ensure_ascii=False)
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def override_detail(row) -> dict:
    """The audit detail of an `overrides` row (a mapping): all its fields."""
    return {k: row[k] for k in OVERRIDE_FIELDS}


def append_audit(conn: Connection, actor: str, action: str, transcript_id: str | None = None,
                 detail: dict | None = None, at: str | None = None) -> int:
    """Append one entry to the chain inside the caller's transaction; returns its id.

    Ids are 1, 2, 3 … with no gaps: the head row is updated first, so concurrent appenders (other
    processes, PostgreSQL sessions) wait for this transaction instead of forking the chain.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(last_id=audit_head.c.last_id))
    head = conn.execute(select(audit_head.c.last_id, audit_head.c.hash).where(audit_head.c.id == 1)).one()
    entry_id, at, actor, body = head.last_id + 1, at or _iso(_now()), actor or "", _canonical(detail or {})
    digest = entry_hash(head.hash, entry_id, at, actor, action, transcript_id, body)
    conn.execute(insert(audit_log).values(id=entry_id, at=at, actor=actor, action=action, transcript_id=transcript_id,
                                          detail=body, prev_hash=head.hash, hash=digest))
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(last_id=entry_id, hash=digest))
    return entry_id


def verify_audit(conn: Connection) -> list[str]:
    """Problems found in the audit (Chinese, one per problem); [] when the chain and overrides agree.

    Checks: ids 1..n without gaps, each prev_hash is the previous hash, each hash recomputes, the head
    names the last entry, and every `overrides` row equals the detail of exactly one "override" entry.
    """
    problems: list[str] = []
    prev, expected_id, logged = GENESIS, 1, {}
    for row in conn.execute(select(audit_log).order_by(audit_log.c.id)):
        if row.id != expected_id:
            problems.append(f"审计记录 #{expected_id} 缺失（下一条是 #{row.id}）")
        if row.prev_hash != prev:
            problems.append(f"审计记录 #{row.id} 的前一哈希与上一条不符（之前的记录被改动或删除）")
        if entry_hash(row.prev_hash, row.id, row.at, row.actor, row.action, row.transcript_id, row.detail) != row.hash:
            problems.append(f"审计记录 #{row.id} 的内容与哈希不符（这条记录被改动过）")
        if row.action == "override":
            try:
                logged[json.loads(row.detail)["id"]] = json.loads(row.detail)
            except (ValueError, KeyError, TypeError):
                problems.append(f"审计记录 #{row.id} 的改分内容无法读取")
        prev, expected_id = row.hash, row.id + 1
    head = conn.execute(select(audit_head.c.last_id, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    if head is None or head.last_id != expected_id - 1 or head.hash != prev:
        problems.append(f"审计链的末尾与记录的末尾不符（应为 #{head.last_id if head else '?'}，"
                        f"实际为 #{expected_id - 1}）：末尾的记录被删除或改动")
    for row in conn.execute(select(overrides).order_by(overrides.c.id)):
        entry = logged.pop(row.id, None)
        if entry is None:
            problems.append(f"改分记录 #{row.id}（会话 {row.transcript_id}）没有对应的审计记录")
        elif entry != _roundtrip(override_detail(row._mapping)):
            problems.append(f"改分记录 #{row.id}（会话 {row.transcript_id}）与审计记录不符（改分记录被改动过）")
    for oid, entry in logged.items():
        problems.append(f"审计记录中的改分 #{oid}（会话 {entry.get('transcript_id')}）在改分表中已不存在")
    return problems


def _roundtrip(detail: dict) -> dict:
    return json.loads(_canonical(detail))


def audit_entries(conn: Connection, transcript_id: str | None = None, limit: int | None = None) -> list[dict]:
    """Audit entries, newest first (detail parsed)."""
    q = select(audit_log).order_by(audit_log.c.id.desc())
    if transcript_id:
        q = q.where(audit_log.c.transcript_id == transcript_id)
    if limit:
        q = q.limit(limit)
    return [{**dict(r._mapping), "detail": json.loads(r.detail)} for r in conn.execute(q)]


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

        Per chat: the transcript's messages and customer name are dropped; every stored scorecard
        (current and history) keeps its scores, items, metrics and evidence positions, but its
        evidence quotes become "" and quoted text (“…”) in reasons becomes “（已删除）”. Set-aside
        records of runs started before `day` are deleted. One transaction, audited. Returns counts.
        """
        from grader.store.core import CARD_FIELDS  # core imports this module

        with self.engine.begin() as conn:
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
        return counts

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
