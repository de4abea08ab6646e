"""The results database: transcripts, scorecards (with history), item scores, reviews and audit.

SQLite by default (a file path); any SQLAlchemy URL (e.g. postgresql+psycopg://...) works too.
The schema is created and upgraded here; `SCHEMA_VERSION` says which migrations ran.
"""
from __future__ import annotations

import hashlib
import json
import os
import weakref
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Table, bindparam, create_engine, event, func, select, update
from sqlalchemy.engine import Engine

from contextlib import contextmanager
from typing import Iterator

from grader.dates import day_of, utc_bounds
from grader.scorecard.final import FinalCard, final_card
from grader.scorecard.model import Scorecard, Versions
from grader.store.security import SecurityStore, migrate_security
from grader.store.unit import Unit
from grader.transcript.model import SHANGHAI, Transcript
from grader.store.tables import (SCHEMA_VERSION, item_scores, meta, metadata, overrides, review_state, runs,
                                 scorecards, set_aside, transcripts)

DEFAULT_DB = "grader.db"

def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def content_hash(transcript: Transcript) -> str:
    payload = [(m.time.isoformat() if m.time else None, m.sender, m.role, m.text, m.auto_reply)
               for m in transcript.messages]
    head = [transcript.platform, transcript.shop, transcript.agent, transcript.customer]
    return hashlib.sha256(json.dumps([head, payload], ensure_ascii=False).encode()).hexdigest()


def versions_key(versions: Versions) -> str:
    return hashlib.sha256(versions.key().encode()).hexdigest()[:32]


def db_url(db: str | None = None) -> str:
    db = db or os.environ.get("GRADER_DB") or DEFAULT_DB
    if "://" in db:
        return db
    path = Path(db).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


_engines: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def dispose_all() -> None:
    """Close the pooled connections of every store opened in this process (tests drop schemas)."""
    for engine in list(_engines):
        engine.dispose()


class Store(SecurityStore):
    """A small facade over the database; every write method is one transaction."""

    def __init__(self, db: str | None = None):
        self.url = db_url(db)
        self.engine: Engine = create_engine(self.url, future=True)
        _engines.add(self.engine)
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

    def save(self, pairs: list[tuple[Transcript, Scorecard]], tz=SHANGHAI) -> int:
        """Store scorecards in one transaction; an earlier scorecard of the same chat becomes history.

        `tz` is the zone whose local date is stored as each chat's day (the run's --tz).
        """
        return self.save_rows([scorecard_rows(t, card, tz=tz) for t, card in pairs])

    def save_in(self, conn, pairs: list[tuple[Transcript, Scorecard]], tz=None) -> None:
        """`save` inside the caller's transaction (a `Unit`'s connection)."""
        rows = [scorecard_rows(t, card, tz=tz or SHANGHAI) for t, card in pairs]
        stamp = now_iso()
        for group in _without_repeats(rows):
            _save_group(conn, group, stamp)

    @contextmanager
    def unit(self) -> Iterator[Unit]:
        """One transaction for one user action: committed at the end of the block, rolled back on error."""
        with self.engine.begin() as conn:
            yield Unit(self, conn)

    @contextmanager
    def reading(self) -> Iterator[Unit]:
        """A connection for reads (nothing written is committed)."""
        with self.engine.connect() as conn:
            yield Unit(self, conn)

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

    def latest_overrides(self, transcript_ids: list[str]) -> dict[str, dict[str, dict]]:
        """Per chat, item id (or "scenario") -> its latest override record (to_value, by, at, reason ...)."""
        result: dict[str, dict[str, dict]] = {}
        for chunk in _chunks(transcript_ids, 500):
            q = select(overrides).where(overrides.c.transcript_id.in_(chunk)).order_by(overrides.c.id)
            with self.engine.connect() as conn:
                for r in conn.execute(q):
                    result.setdefault(r.transcript_id, {})[r.item_id] = dict(r._mapping)
        return result

    def final_cards(self, cards: list[Scorecard], rubric) -> list[FinalCard]:
        """The final card (`grader.scorecard.final.final_card`) of each of these current scorecards."""
        latest = self.latest_overrides([c.transcript_id for c in cards])
        return [final_card(c, latest.get(c.transcript_id, {}), rubric) for c in cards]

    def reviewed_at(self, transcript_ids: list[str]) -> dict[str, str | None]:
        """Chats whose review is finished -> when it was finished."""
        found: dict[str, str | None] = {}
        for chunk in _chunks(transcript_ids, 500):
            q = select(review_state.c.transcript_id, review_state.c.reviewed_at).where(
                review_state.c.reviewed.is_(True), review_state.c.transcript_id.in_(chunk))
            with self.engine.connect() as conn:
                found.update(dict(conn.execute(q).all()))
        return found

    def scorecards_of(self, transcript_ids: list[str]) -> list[tuple[str, str, Scorecard]]:
        """Every stored scorecard (history included) of these chats: (transcript id, graded_at, card),
        oldest first."""
        out = []
        for chunk in _chunks(transcript_ids, 500):
            q = select(scorecards.c.transcript_id, scorecards.c.graded_at, scorecards.c.json).where(
                scorecards.c.transcript_id.in_(chunk)).order_by(scorecards.c.id)
            with self.engine.connect() as conn:
                out += [(tid, at, Scorecard.model_validate_json(js)) for tid, at, js in conn.execute(q)]
        return out

    def transcripts(self, transcript_ids: list[str]) -> dict[str, Transcript]:
        """The stored transcripts of these chats (those found)."""
        out: dict[str, Transcript] = {}
        for chunk in _chunks(transcript_ids, 500):
            with self.engine.connect() as conn:
                for tid, content in conn.execute(select(transcripts.c.id, transcripts.c.content).where(
                        transcripts.c.id.in_(chunk))):
                    if content:
                        out[tid] = Transcript.model_validate_json(content)
        return out

    def latest_day(self, tz=SHANGHAI) -> str | None:
        """The local day (in `tz`) of the latest chat with a current scorecard."""
        q = select(scorecards.c.day).where(scorecards.c.current.is_(True), scorecards.c.day.is_not(None))
        with self.engine.connect() as conn:
            last = conn.execute(q.order_by(scorecards.c.day.desc()).limit(1)).scalar()
        if last is None:
            return None
        cards = self.current_in_days(last, None, tz, widen=True)
        days = [day_of(c.started_at, tz) for c in cards if c.started_at]
        return max(days).isoformat() if days else None

    def reviewed(self, transcript_ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(transcript_ids, 500):
            q = select(review_state.c.transcript_id).where(
                review_state.c.reviewed.is_(True), review_state.c.transcript_id.in_(chunk))
            with self.engine.connect() as conn:
                found.update(r[0] for r in conn.execute(q))
        return found

    def current_in_days(self, since: str | None, until: str | None, tz=SHANGHAI,
                        widen: bool = False) -> list[Scorecard]:
        """Current scorecards of chats that began on local days since..until in `tz` (ISO dates, inclusive).

        The stored day is the grading run's; the query widens it by a day each side and the
        chat's day in `tz` (`grader.dates.day_of`) decides.
        """
        lo, hi = utc_bounds(since, until, tz)
        q = select(scorecards.c.json).where(scorecards.c.current.is_(True))
        if since:
            q = q.where(scorecards.c.day >= _shift(since, -1))
        if until:
            q = q.where(scorecards.c.day <= _shift(until, 1))
        with self.engine.connect() as conn:
            cards = [Scorecard.model_validate_json(js) for (js,) in conn.execute(q.order_by(scorecards.c.id))]
        if widen:
            return cards
        return [c for c in cards if c.started_at is not None and (lo is None or c.started_at >= lo)
                and (hi is None or c.started_at < hi)]

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
                   vkey: str | None = None, tz=SHANGHAI) -> tuple[dict, dict, list[dict]]:
    """The `transcripts`, `scorecards` (but graded_at) and `item_scores` (but scorecard_id) rows;
    the day is the chat's local day in `tz`."""
    chash = chash or content_hash(transcript)
    found = day_of(card.started_at, tz)
    day = found.isoformat() if found else None
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


def _shift(day: str, days: int) -> str:
    from datetime import date, timedelta
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers (the review app) never block the batch
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
