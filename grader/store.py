"""The results database: transcripts, scorecards (with history), item scores, reviews and audit.

SQLite by default (a file path); any SQLAlchemy URL (e.g. postgresql+psycopg://...) works too.
The schema is created and upgraded here; `SCHEMA_VERSION` says which migrations ran.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text,
                        bindparam, create_engine, event, func, select, update)
from sqlalchemy.engine import Engine

from grader.scorecard.model import Scorecard, Versions
from grader.store_security import SecurityStore, migrate_security
from grader.transcript.model import SHANGHAI, Transcript

SCHEMA_VERSION = 1
DEFAULT_DB = "grader.db"

metadata = MetaData()

meta = Table("meta", metadata, Column("key", String(64), primary_key=True), Column("value", Text))

transcripts = Table(
    "transcripts", metadata,
    Column("id", String(200), primary_key=True),
    Column("platform", String(32)), Column("shop", String(200)), Column("agent", String(200)),
    Column("customer", String(200)), Column("started_at", String(40)), Column("day", String(10), index=True),
    Column("source_file", Text), Column("content_hash", String(64)), Column("content", Text),
)

scorecards = Table(
    "scorecards", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("transcript_id", String(200), ForeignKey("transcripts.id"), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("versions_key", String(64), nullable=False),
    Column("current", Boolean, nullable=False, default=True),
    Column("day", String(10)), Column("agent", String(200)),
    Column("scenario", String(16)), Column("total", Integer), Column("band", String(8)),
    Column("needs_review", Boolean), Column("graded_at", String(40)),
    Column("json", Text, nullable=False),
    Index("ux_scorecard_version", "transcript_id", "content_hash", "versions_key", "scenario", unique=True),
    Index("ix_scorecard_current", "current", "day"),
    Index("ix_scorecard_transcript", "transcript_id"),
)

item_scores = Table(
    "item_scores", metadata,
    Column("scorecard_id", Integer, ForeignKey("scorecards.id"), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    Column("score", Integer), Column("max", Integer), Column("confidence", Float), Column("needs_review", Boolean),
)

# --- supervisor review (append-only audit; the final score of an item is its latest override) ---
overrides = Table(
    "overrides", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("transcript_id", String(200), ForeignKey("transcripts.id"), nullable=False, index=True),
    Column("scorecard_id", Integer, ForeignKey("scorecards.id"), nullable=False),
    Column("item_id", String(64), nullable=False),  # a rubric item id, or "scenario"
    Column("from_value", String(32)), Column("to_value", String(32), nullable=False),
    Column("reason", Text), Column("by", String(100), nullable=False), Column("at", String(40), nullable=False),
    Column("source", String(16), default="web"),  # web | cli | dispute
)

review_state = Table(
    "review_state", metadata,
    Column("transcript_id", String(200), ForeignKey("transcripts.id"), primary_key=True),
    Column("revision", Integer, nullable=False, default=0),  # bumped by every change: refuses stale saves
    Column("reviewed", Boolean, nullable=False, default=False),
    Column("reviewed_by", String(100)), Column("reviewed_at", String(40)),
)

users = Table(
    "users", metadata,
    Column("name", String(100), primary_key=True),
    Column("role", String(16), nullable=False),  # supervisor | agent
    Column("agent_account", String(200)),  # for agents: the account whose scorecards they may read
    Column("password_hash", Text, nullable=False), Column("created_at", String(40)),
)

disputes = Table(
    "disputes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("transcript_id", String(200), ForeignKey("transcripts.id"), nullable=False, index=True),
    Column("item_id", String(64), nullable=False),
    Column("by", String(100), nullable=False), Column("at", String(40), nullable=False), Column("comment", Text),
    Column("requested", String(32)),  # the level the agent asks for, if any
    Column("status", String(16), nullable=False, default="open"),  # open | accepted | rejected
    Column("resolved_by", String(100)), Column("resolved_at", String(40)), Column("resolution", Text),
)

set_aside = Table(
    "set_aside", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer), Column("file", Text), Column("line", Integer), Column("reason", Text),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", String(40)), Column("finished_at", String(40)), Column("status", String(16)),
    Column("args", Text), Column("counts", Text),
)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def content_hash(transcript: Transcript) -> str:
    payload = [(m.time.isoformat() if m.time else None, m.sender, m.role, m.text, m.auto_reply)
               for m in transcript.messages]
    head = [transcript.platform, transcript.shop, transcript.agent, transcript.customer]
    return hashlib.sha256(json.dumps([head, payload], ensure_ascii=False).encode()).hexdigest()


def versions_key(versions: Versions) -> str:
    return hashlib.sha256(versions.key().encode()).hexdigest()[:32]


def local_day(moment: datetime | None, tz=SHANGHAI) -> str | None:
    return moment.astimezone(tz).date().isoformat() if moment else None


def db_url(db: str | None = None) -> str:
    db = db or os.environ.get("GRADER_DB") or DEFAULT_DB
    if "://" in db:
        return db
    path = Path(db).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


class Store(SecurityStore):
    """A small facade over the database; every write method is one transaction."""

    def __init__(self, db: str | None = None):
        self.url = db_url(db)
        self.engine: Engine = create_engine(self.url, future=True)
        if self.url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.migrate()

    def migrate(self) -> None:
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
            if row is None:
                conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(row[0]) > SCHEMA_VERSION:
                raise RuntimeError(f"database schema {row[0]} is newer than this grader ({SCHEMA_VERSION}); upgrade grader")
        migrate_security(self.engine)

    # --- grading -----------------------------------------------------------------------------
    def graded_keys(self, transcript_ids: list[str]) -> set[tuple[str, str, str]]:
        """(transcript_id, content_hash, versions_key) of current scorecards among these ids."""
        return {(r.transcript_id, r.content_hash, r.versions_key) for r in self._current_rows(transcript_ids)}

    def _current_rows(self, transcript_ids: list[str], *columns) -> list:
        # Looked up by transcript id only, `current` checked here: with `current = 1` in the
        # query SQLite walks the (current, day) index, every current card of the day per batch.
        if not transcript_ids:
            return []
        c = scorecards.c
        q = select(c.transcript_id, c.content_hash, c.versions_key, c.current, *columns).where(
            c.transcript_id.in_(transcript_ids))
        with self.engine.connect() as conn:
            return [r for r in conn.execute(q) if r.current]

    def save(self, pairs: list[tuple[Transcript, Scorecard]]) -> int:
        """Store scorecards in one transaction; an earlier scorecard of the same chat becomes history."""
        return self.save_rows([scorecard_rows(t, card) for t, card in pairs])

    def save_rows(self, rows: list[tuple[dict, dict, list[dict]]]) -> int:
        """Store `scorecard_rows` of many chats in one transaction, a few statements per batch.

        A chat graded before with exactly these inputs gets that scorecard back as current; any
        other earlier scorecard of the chat stays as history.
        """
        if not rows:
            return 0
        stamp = now_iso()
        with self.engine.begin() as conn:
            for group in _without_repeats(rows):
                _save_group(conn, group, stamp)
        return len(rows)

    def current_json(self, transcript_ids: list[str]) -> dict[str, str]:
        """The stored JSON of the current scorecard of each of these chats."""
        return {r.transcript_id: r.json for r in self._current_rows(transcript_ids, scorecards.c.json)}

    def current_scorecards(self, transcript_ids: list[str]) -> dict[str, Scorecard]:
        return {tid: Scorecard.model_validate_json(js) for tid, js in self.current_json(transcript_ids).items()}

    def latest_overrides(self, transcript_ids: list[str]) -> dict[str, dict[str, str]]:
        """Per chat, the latest override value of each item (and of "scenario")."""
        result: dict[str, dict[str, str]] = {}
        for chunk in _chunks(transcript_ids, 500):
            q = select(overrides.c.transcript_id, overrides.c.item_id, overrides.c.to_value).where(
                overrides.c.transcript_id.in_(chunk)).order_by(overrides.c.id)
            with self.engine.connect() as conn:
                for tid, item, value in conn.execute(q):
                    result.setdefault(tid, {})[item] = value
        return result

    def reviewed(self, transcript_ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(transcript_ids, 500):
            q = select(review_state.c.transcript_id).where(
                review_state.c.reviewed.is_(True), review_state.c.transcript_id.in_(chunk))
            with self.engine.connect() as conn:
                found.update(r[0] for r in conn.execute(q))
        return found

    def current_in_days(self, since: str | None, until: str | None) -> list[Scorecard]:
        """Current scorecards of chats that began on days since..until (ISO dates, inclusive)."""
        q = select(scorecards.c.json).where(scorecards.c.current.is_(True))
        if since:
            q = q.where(scorecards.c.day >= since)
        if until:
            q = q.where(scorecards.c.day <= until)
        with self.engine.connect() as conn:
            return [Scorecard.model_validate_json(js) for (js,) in conn.execute(q.order_by(scorecards.c.id))]

    def scenario_overrides(self, transcript_ids: list[str]) -> dict[str, str]:
        """The supervisor's latest scenario choice per chat, which a re-grade must keep."""
        if not transcript_ids:
            return {}
        q = select(overrides.c.transcript_id, overrides.c.to_value).where(
            overrides.c.item_id == "scenario", overrides.c.transcript_id.in_(transcript_ids)).order_by(overrides.c.id)
        with self.engine.connect() as conn:
            return {tid: value for tid, value in conn.execute(q)}

    def scorecard_history(self, transcript_id: str) -> list[dict]:
        q = select(scorecards.c.id, scorecards.c.current, scorecards.c.total, scorecards.c.graded_at,
                   scorecards.c.versions_key).where(scorecards.c.transcript_id == transcript_id).order_by(scorecards.c.id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    # --- runs --------------------------------------------------------------------------------
    def start_run(self, args: dict) -> int:
        with self.engine.begin() as conn:
            return conn.execute(runs.insert().values(started_at=now_iso(), status="running",
                                                     args=json.dumps(args, ensure_ascii=False))).inserted_primary_key[0]

    def add_set_aside(self, run_id: int, items: list) -> None:
        if items:
            with self.engine.begin() as conn:
                conn.execute(set_aside.insert(), [dict(run_id=run_id, file=s.file, line=s.line, reason=s.reason)
                                                  for s in items])

    def finish_run(self, run_id: int, status: str, counts: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                finished_at=now_iso(), status=status, counts=json.dumps(counts, ensure_ascii=False)))

    def count(self, table: Table, *where) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def scorecard_rows(transcript: Transcript, card: Scorecard, chash: str | None = None,
                   vkey: str | None = None) -> tuple[dict, dict, list[dict]]:
    """The `transcripts`, `scorecards` (but graded_at) and `item_scores` (but scorecard_id) rows."""
    chash = chash or content_hash(transcript)
    day = local_day(card.started_at)
    transcript_row = dict(id=transcript.id, platform=transcript.platform, shop=transcript.shop, agent=card.agent,
                          customer=transcript.customer,
                          started_at=card.started_at.isoformat() if card.started_at else None, day=day,
                          source_file=transcript.source_file, content_hash=chash, content=transcript.model_dump_json())
    card_row = dict(transcript_id=transcript.id, content_hash=chash, versions_key=vkey or versions_key(card.versions),
                    current=True, day=day, agent=card.agent, scenario=card.scenario, total=card.total,
                    band=card.band, needs_review=card.needs_review, json=card.model_dump_json())
    item_rows = [dict(item_id=i.id, score=i.score, max=i.max, confidence=i.confidence, needs_review=i.needs_review)
                 for i in card.items]
    return transcript_row, card_row, item_rows


def _without_repeats(rows: list) -> list[list]:
    """Consecutive groups without a repeated chat: a chat met twice is saved in input order."""
    groups, seen = [[]], set()
    for row in rows:
        tid = row[0]["id"]
        if tid in seen:
            groups.append([])
            seen = set()
        groups[-1].append(row)
        seen.add(tid)
    return groups


_update_transcript = update(transcripts).where(transcripts.c.id == bindparam("tid")).values(
    {c: bindparam(c) for c in ("platform", "shop", "agent", "customer", "started_at", "day", "source_file",
                               "content_hash", "content")})
_make_current = update(scorecards).where(scorecards.c.id == bindparam("sid")).values(current=True)


def _save_group(conn, group: list, stamp: str) -> None:
    ids = [t["id"] for t, _, _ in group]
    known = {r[0] for r in conn.execute(select(transcripts.c.id).where(transcripts.c.id.in_(ids)))}
    if new := [t for t, _, _ in group if t["id"] not in known]:
        conn.execute(transcripts.insert(), new)
    if old := [{**{k: v for k, v in t.items() if k != "id"}, "tid": t["id"]} for t, _, _ in group if t["id"] in known]:
        conn.execute(_update_transcript, old)
    earlier: dict[tuple, int] = {}
    if known:  # only a chat stored before can have scorecards
        c = scorecards.c
        q = select(c.id, c.transcript_id, c.content_hash, c.versions_key, c.scenario).where(c.transcript_id.in_(known))
        earlier = {tuple(r[1:]): r[0] for r in conn.execute(q)}
        conn.execute(update(scorecards).where(c.transcript_id.in_(known)).values(current=False))
    again, fresh = [], []
    for row in group:
        card = row[1]
        sid = earlier.get((card["transcript_id"], card["content_hash"], card["versions_key"], card["scenario"]))
        (again if sid is not None else fresh).append(sid if sid is not None else row)
    if again:
        conn.execute(_make_current, [{"sid": sid} for sid in again])
    if not fresh:
        return
    inserted = conn.execute(scorecards.insert().returning(scorecards.c.id, sort_by_parameter_order=True),
                            [{**card, "graded_at": stamp} for _, card, _ in fresh]).all()
    items = [{**item, "scorecard_id": sid} for (sid,), (_, _, item_rows) in zip(inserted, fresh) for item in item_rows]
    if items:
        conn.execute(item_scores.insert(), items)


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers (the review app) never block the batch
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
