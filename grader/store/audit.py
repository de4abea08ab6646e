"""The security tables and the audit chain: audit log, access log, sessions, failed sign-ins, purges.

The methods over them are in security.py (mixed into Store and Unit); core.py calls
`migrate_security` after the schema upgrade.

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
from datetime import datetime, timezone

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, delete, insert, select, text, update
from sqlalchemy.engine import Connection, Engine

from grader.store.tables import meta, overrides

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
           "login_throttled",
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
            last = conn.execute(select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).first()
            if last is not None:  # the head row was deleted: rebuilt from the last entry, and remembered
                conn.execute(insert(audit_head).values(id=1, last_id=last.id, hash=last.hash))
                conn.execute(delete(meta).where(meta.c.key == HEAD_REBUILT))
                conn.execute(insert(meta).values(key=HEAD_REBUILT, value=f"{_iso(_now())} #{last.id}"))
            else:
                conn.execute(insert(audit_head).values(id=1, last_id=0, hash=GENESIS))
                for row in conn.execute(select(overrides).order_by(overrides.c.id)).all():
                    append_audit(conn, row.by, "override", row.transcript_id, override_detail(row._mapping),
                                 at=row.at)
        conn.execute(delete(meta).where(meta.c.key == legacy_secret_key))


# --- redaction (a purge): the free text of reviews goes, who, when and which score stay -------------

REDACTED = "（已随聊天记录清除）"
TEXT_FIELDS = ("reason", "comment", "resolution")  # what a supervisor or agent wrote: it may quote the buyer
_REVIEW_ACTIONS = ("override", "dispute_open", "dispute_resolve")


def redact_reviews(conn: Connection, ids: list[str]) -> list[int]:
    """Replace the text (`TEXT_FIELDS`) of these chats' overrides, disputes and their audit entries by
    `REDACTED`, keeping every other field; returns the ids of the audit entries changed. The
    append-only triggers of `overrides` and `audit_log` are lifted inside the caller's transaction
    only (DDL is transactional on SQLite and PostgreSQL); the purge's own audit entry then vouches
    for the redacted entries (`redaction_seal`), so `verify_audit` still finds any other change."""
    from grader.store.tables import disputes

    for field in ("comment", "resolution"):
        column = disputes.c[field]
        conn.execute(update(disputes).where(disputes.c.transcript_id.in_(ids), column.is_not(None), column != "",
                                            column != REDACTED).values({field: REDACTED}))
    changed = []
    with _appendable(conn, ("overrides", "audit_log")):
        conn.execute(update(overrides).where(overrides.c.transcript_id.in_(ids), overrides.c.reason.is_not(None),
                                             overrides.c.reason != "", overrides.c.reason != REDACTED)
                     .values(reason=REDACTED))
        for row in conn.execute(select(audit_log.c.id, audit_log.c.detail).where(
                audit_log.c.transcript_id.in_(ids), audit_log.c.action.in_(_REVIEW_ACTIONS))).all():
            detail = json.loads(row.detail)
            texts = [f for f in TEXT_FIELDS if detail.get(f) not in (None, "", REDACTED)]
            if texts:
                detail.update({f: REDACTED for f in texts})
                conn.execute(update(audit_log).where(audit_log.c.id == row.id).values(detail=_canonical(detail)))
                changed.append(row.id)
    return changed


def redaction_seal(details: dict[int, str]) -> str:
    """sha256 hex of audit entries as redacted ({id: detail as stored}): what a purge's entry records."""
    body = json.dumps(sorted(details.items()), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class _appendable:
    """Inside a transaction: the append-only triggers of `tables` dropped, and created again on exit."""

    def __init__(self, conn: Connection, tables: tuple[str, ...]):
        self.conn, self.tables = conn, tables

    def __enter__(self):
        for table in self.tables:
            if self.conn.dialect.name == "sqlite":
                for op in ("update", "delete"):
                    self.conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{op}"))
            else:
                self.conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
        return self

    def __exit__(self, *exc) -> None:
        for table in self.tables:
            ddl = _sqlite_triggers(table) if self.conn.dialect.name == "sqlite" else _pg_triggers(table)[:2]
            for statement in ddl:
                self.conn.execute(text(statement))


HEAD_REBUILT = "audit_head_rebuilt"  # meta key: when the deleted head row was rebuilt, from which entry


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
    Raises ValueError for an action the log does not know.
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

    Checks: ids 1..n without gaps, each prev_hash is the previous hash, each hash recomputes (or, for
    an entry a purge redacted, is as the purge's own entry sealed it), the head names the last entry,
    and every `overrides` row equals the detail of exactly one "override" entry.
    """
    problems: list[str] = []
    prev, expected_id, logged = GENESIS, 1, {}
    changed: dict[int, str] = {}  # entries whose hash does not recompute: a purge must vouch for each
    for row in conn.execute(select(audit_log).order_by(audit_log.c.id)):
        if row.id != expected_id:
            problems.append(f"审计记录 #{expected_id} 缺失（下一条是 #{row.id}）")
        if row.prev_hash != prev:
            problems.append(f"审计记录 #{row.id} 的前一哈希与上一条不符（之前的记录被改动或删除）")
        if entry_hash(row.prev_hash, row.id, row.at, row.actor, row.action, row.transcript_id, row.detail) != row.hash:
            changed[row.id] = row.detail
        if row.action == "purge":
            problems += _unvouched(row, changed)
        if row.action == "override":
            try:
                logged[json.loads(row.detail)["id"]] = json.loads(row.detail)
            except (ValueError, KeyError, TypeError):
                problems.append(f"审计记录 #{row.id} 的改分内容无法读取")
        prev, expected_id = row.hash, row.id + 1
    problems += [f"审计记录 #{entry} 的内容与哈希不符（这条记录被改动过）" for entry in sorted(changed)]
    rebuilt = conn.execute(select(meta.c.value).where(meta.c.key == HEAD_REBUILT)).scalar()
    if rebuilt:
        when, _, last = rebuilt.partition(" ")
        problems.append(f"审计链的末尾记录（audit_head 表）被删除过，{when} 按当时最后一条审计记录 {last} 重建："
                        "删除之前的末尾记录无法再核对")
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


def _unvouched(purge, changed: dict[int, str]) -> list[str]:
    """Problems with the entries a purge says it redacted: each must have been changed and be now as
    the purge sealed it. The vouched ones leave `changed`."""
    try:
        detail = json.loads(purge.detail)
    except ValueError:
        return []
    entries = detail.get("redacted_entries") or []
    if not entries:
        return []
    if not set(entries) <= changed.keys() or redaction_seal({e: changed[e] for e in entries}) != detail.get("redacted_sha256"):
        return [f"清除记录 #{purge.id} 清除过文字的审计记录与它当时记下的不符（清除之后又被改动过）"]
    for entry in entries:
        del changed[entry]
    return []


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
