"""The results database: transcripts, scorecards (with history), item scores, reviews and audit.

SQLite by default (a file path); any SQLAlchemy URL (e.g. postgresql+psycopg://...) works too.
The schema is created and upgraded by `grader.store.migrate`; rows are made by `grader.store.rows`.
"""
from __future__ import annotations

import atexit
import json
import os
import weakref
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import Table, bindparam, create_engine, delete, event, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from grader.dates import day_of, utc_bounds
from grader.scorecard.final import FinalCard, final_card
from grader.scorecard.model import Scorecard, Versions
from grader.store.codec import Packer, decode_transcript, unpack
from grader.store.rows import (ChatRows, card_from_parts, chat_rows, content_hash, versions_key,  # noqa: F401
                               view_from_parts)
from grader.store.tables import (calibration_scores, dictionaries, disputes, item_scores, meta, overrides, review_queue,
                                 review_state, runs, scorecards, self_assessments, set_aside, transcripts, versions)
from grader.store import aggregates, queue, search
from grader.store.aggregates import AggregateStore
from grader.store.audit import migrate_security
from grader.store.security import SecurityStore
from grader.store.unit import Unit
from grader.transcript.model import SHANGHAI, Transcript

DEFAULT_DB = "grader.db"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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


def checkpoint(engine: Engine) -> None:
    """Fold a SQLite database's write-ahead log into the database file and empty it, so the
    .db file stands alone (a user who copies grader.db gets the day's work). A reader still
    holding the log (the review app) only delays it: the next close folds the rest."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:  # noqa: BLE001 — a database already gone or locked keeps its log for next time
        pass


def close_all() -> None:
    """Checkpoint and close every store of this process (at exit, and after each command)."""
    for engine in list(_engines):
        checkpoint(engine)
        engine.dispose()


atexit.register(close_all)


class StaleDictionary(RuntimeError):
    """Rows were packed with a compression dictionary a purge has since replaced (pack them again)."""


class Store(SecurityStore, AggregateStore):
    """A small facade over the database; every write method is one transaction."""

    def __init__(self, db: str | None = None):
        self.url = db_url(db)
        self.engine: Engine = create_engine(self.url, future=True)
        _engines.add(self.engine)
        if self.url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.packer = Packer(self._known_dictionary)
        self._zdicts: dict[str, bytes] = {}
        self._versions: dict[str, Versions] = {}
        self._sample: tuple[float, str] | None = None
        self.migrate()

    def close(self) -> None:
        """Checkpoint (SQLite: the .db file then holds everything) and close the connections."""
        checkpoint(self.engine)
        self.engine.dispose()

    def migrate(self) -> None:
        """Create the schema, or upgrade an older one (`grader.store.migrate`)."""
        from grader.store.migrate import upgrade
        upgrade(self)
        migrate_security(self.engine)

    # --- packed documents --------------------------------------------------------------------------
    def forget_dictionaries(self) -> None:
        """Drop the dictionaries this process holds (a purge replaced some): they are read again when needed."""
        self.packer = Packer(self._known_dictionary)
        self._zdicts.clear()

    def _known_dictionary(self, kind: str, vkey: str) -> tuple[str, bytes] | None:
        q = select(dictionaries.c.id, dictionaries.c.data).where(
            dictionaries.c.kind == kind, dictionaries.c.versions_key == vkey).order_by(
            func.length(dictionaries.c.data).desc(), dictionaries.c.created_at.desc(), dictionaries.c.id).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            return None
        self._zdicts[row[0]] = bytes(row[1])
        return row[0], bytes(row[1])

    def _zdict(self, dict_id: str | None) -> bytes | None:
        if dict_id is None:
            return None
        if dict_id not in self._zdicts:
            with self.engine.connect() as conn:
                data = conn.execute(select(dictionaries.c.data).where(dictionaries.c.id == dict_id)).scalar_one()
            self._zdicts[dict_id] = bytes(data)
        return self._zdicts[dict_id]

    def _versions_of(self, vkey: str) -> Versions:
        if vkey not in self._versions:
            with self.engine.connect() as conn:
                js = conn.execute(select(versions.c.json).where(versions.c.key == vkey)).scalar_one()
            self._versions[vkey] = Versions.model_validate_json(js)
        return self._versions[vkey]

    def card_of_row(self, row, findings: bool = False) -> Scorecard:
        """The Scorecard of a `scorecards` row (CARD_FIELDS selected); its findings only if asked for."""
        if row.body is None:  # schema version 1, not yet compacted
            return Scorecard.model_validate_json(row.json)
        body = json.loads(unpack(row.body, self._zdict(row.dict_id)))
        found = None
        if findings and row.findings is not None:
            found = json.loads(unpack(row.findings, self._zdict(row.findings_dict_id)))
        return card_from_parts(row._mapping, body, self._versions_of(row.versions_key), found)

    def view_of_row(self, row) -> str:
        """The scorecards.jsonl line of a `scorecards` row."""
        if row.body is None:
            from grader.store.rows import card_docs
            return card_docs(Scorecard.model_validate_json(row.json), row.versions_key)[0]
        return view_from_parts(row._mapping, unpack(row.body, self._zdict(row.dict_id)))

    def transcript_of_row(self, row) -> Transcript | None:
        """The Transcript of a `transcripts` row (id, content, body, dict_id selected)."""
        if row.body is not None:
            return decode_transcript(row.id, json.loads(unpack(row.body, self._zdict(row.dict_id))))
        return Transcript.model_validate_json(row.content) if row.content else None

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
        try:
            return self.save_rows(chat_rows(pairs, self.packer, tz))
        except StaleDictionary:  # a purge in another process replaced a dictionary this one held
            self.forget_dictionaries()
            return self.save_rows(chat_rows(pairs, self.packer, tz))

    def save_in(self, conn, pairs: list[tuple[Transcript, Scorecard]], tz=None) -> None:
        """`save` inside the caller's transaction (a `Unit`'s connection)."""
        rows = chat_rows(pairs, self.packer, tz or SHANGHAI)
        if self._missing_dictionaries(conn, rows):
            self.forget_dictionaries()
            rows = chat_rows(pairs, self.packer, tz or SHANGHAI)
        self._write(conn, rows)

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

    def save_rows(self, rows: list[ChatRows]) -> int:
        """Store `chat_rows` of many chats in one transaction, a few statements per batch.

        A chat graded before with exactly these inputs gets that scorecard back as current; any
        other earlier scorecard of the chat stays as history.
        """
        if not rows:
            return 0
        with self.engine.begin() as conn:
            self._write(conn, rows)
        return len(rows)

    def store_dictionaries(self, conn, found: dict[str, tuple[str, str, bytes]]) -> None:
        """Insert those of these dictionaries (id -> (kind, vkey, bytes)) the database lacks."""
        if not found:
            return
        have = {r[0] for r in conn.execute(select(dictionaries.c.id).where(dictionaries.c.id.in_(list(found))))}
        stamp = now_iso()
        if add := [dict(id=i, kind=k, versions_key=v, data=d, created_at=stamp)
                   for i, (k, v, d) in found.items() if i not in have]:
            insert_missing(conn, dictionaries, add)
        self._zdicts.update({i: d for i, (_, _, d) in found.items()})

    def _missing_dictionaries(self, conn, rows: list[ChatRows]) -> set[str]:
        """Dictionary ids these rows were packed with that neither the database nor the rows hold."""
        used = {i for r in rows for i in (r.transcript.get("dict_id"), r.card.get("dict_id"),
                                          r.card.get("findings_dict_id")) if i}
        used -= {k for r in rows for k in r.dictionaries}
        if not used:
            return set()
        return used - {r[0] for r in conn.execute(select(dictionaries.c.id).where(dictionaries.c.id.in_(list(used))))}

    def _write(self, conn, rows: list[ChatRows]) -> None:
        if self._missing_dictionaries(conn, rows):
            raise StaleDictionary("压缩字典已被 grader purge 替换：这批会话需要重新打包，请重新运行（已评分的不会重复评分）")
        self.store_dictionaries(conn, {k: v for r in rows for k, v in r.dictionaries.items()})
        keys = {r.versions[0]: r.versions[1] for r in rows if r.versions[0] not in self._versions}
        if keys:
            have = {r[0] for r in conn.execute(select(versions.c.key).where(versions.c.key.in_(list(keys))))}
            if add := [dict(key=k, json=v) for k, v in keys.items() if k not in have]:
                insert_missing(conn, versions, add)
        stamp = now_iso()
        rate, seed = self.review_sample()
        for r in rows:
            queue.mark_sample(r.queue, rate, seed)
        for group in _without_repeats([(r.transcript, r.card, r.items, r.queue, r.search, r.facts) for r in rows]):
            _save_group(conn, group, stamp)

    def current_views(self, transcript_ids: list[str]) -> dict[str, str]:
        """The scorecards.jsonl line of the current scorecard of each of these chats."""
        return {r.transcript_id: self.view_of_row(r) for r in self._current_rows(transcript_ids, *_BODY)}

    def current_with_views(self, transcript_ids: list[str]) -> dict[str, tuple[Scorecard, str]]:
        """(Scorecard without findings, scorecards.jsonl line) of the current card of each chat, one read."""
        out = {}
        for r in self._current_rows(transcript_ids, *_BODY):
            if r.body is None:
                out[r.transcript_id] = (self.card_of_row(r), self.view_of_row(r))
                continue
            raw = unpack(r.body, self._zdict(r.dict_id))
            card = card_from_parts(r._mapping, json.loads(raw), self._versions_of(r.versions_key), None)
            out[r.transcript_id] = (card, view_from_parts(r._mapping, raw))
        return out

    def current_scorecards(self, transcript_ids: list[str], findings: bool = False) -> dict[str, Scorecard]:
        """The current Scorecard of each of these chats (found); with `findings`, its findings too."""
        return {r.transcript_id: self.card_of_row(r, findings) for r in self._current_rows(transcript_ids, *_BODY)}

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
        oldest first (without findings)."""
        out = []
        for chunk in _chunks(transcript_ids, 500):
            q = select(*CARD_FIELDS).where(scorecards.c.transcript_id.in_(chunk)).order_by(scorecards.c.id)
            with self.engine.connect() as conn:
                out += [(r.transcript_id, r.graded_at, self.card_of_row(r)) for r in conn.execute(q)]
        return out

    def scores_of(self, transcript_ids: list[str]) -> list[tuple[str, str, dict[str, int]]]:
        """Every stored scorecard (history included) of these chats as (transcript id, graded_at,
        item id -> suggested score), oldest first: stored columns only, no card decoded."""
        out: dict[int, tuple[str, str, dict[str, int]]] = {}
        c, i = scorecards.c, item_scores.c
        for chunk in _chunks(transcript_ids, 500):
            q = select(c.id, c.transcript_id, c.graded_at, i.item_id, i.score).select_from(
                scorecards.join(item_scores, i.scorecard_id == c.id)).where(c.transcript_id.in_(chunk))
            with self.engine.connect() as conn:
                for sid, tid, graded_at, item, score in conn.execute(q):
                    out.setdefault(sid, (tid, graded_at, {}))[2][item] = score
        return [out[sid] for sid in sorted(out)]

    def transcripts(self, transcript_ids: list[str]) -> dict[str, Transcript]:
        """The stored transcripts of these chats (those found)."""
        out: dict[str, Transcript] = {}
        t = transcripts.c
        for chunk in _chunks(transcript_ids, 500):
            with self.engine.connect() as conn:
                for row in conn.execute(select(t.id, t.content, t.body, t.dict_id).where(t.id.in_(chunk))):
                    found = self.transcript_of_row(row)
                    if found is not None:
                        out[row.id] = found
        return out

    def latest_day(self, tz=SHANGHAI) -> str | None:
        """The local day (in `tz`) of the latest chat with a current scorecard (one indexed lookup)."""
        with self.engine.connect() as conn:
            last = queue.latest_started(conn)
        if last is None:
            return None
        return day_of(datetime.fromisoformat(last).replace(tzinfo=timezone.utc), tz).isoformat()

    # --- the review budget's random sample: a setting of the database (meta), one owner -------------
    SAMPLE_KEYS = ("review_sample_rate", "review_sample_seed")

    def review_sample(self) -> tuple[float, str]:
        """(share of cards in the random sample, its seed): meta keys, default (0.10, "grader")."""
        if self._sample is None:
            with self.engine.connect() as conn:
                found = dict(conn.execute(select(meta.c.key, meta.c.value).where(meta.c.key.in_(self.SAMPLE_KEYS))).all())
            self._sample = (float(found.get("review_sample_rate", queue.DEFAULT_SAMPLE_RATE)),
                            found.get("review_sample_seed", queue.DEFAULT_SAMPLE_SEED))
        return self._sample

    def set_review_sample(self, rate: float, seed: str | None = None) -> int:
        """Set the sample (0 ≤ rate ≤ 1; seed kept when None) and draw it again for every queue row;
        returns the rows re-marked. ValueError for a rate outside 0..1."""
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"抽样比例应在 0 到 1 之间，不能是 {rate}")
        seed = self.review_sample()[1] if seed is None else str(seed)
        with self.engine.begin() as conn:
            conn.execute(meta.delete().where(meta.c.key.in_(self.SAMPLE_KEYS)))
            conn.execute(meta.insert(), [{"key": "review_sample_rate", "value": repr(float(rate))},
                                         {"key": "review_sample_seed", "value": seed}])
            done = queue.resample(conn, float(rate), seed)
        self._sample = (float(rate), seed)
        return done

    def review_figures(self, lo: datetime | None, hi: datetime | None) -> dict:
        """How many cards of [lo, hi) were reviewed and the sample's measured agreement (`queue.review_figures`)."""
        with self.engine.connect() as conn:
            return queue.review_figures(conn, lo, hi)

    # --- the review queue (indexed: `grader.store.queue`) ---------------------------------------------
    def queue_page(self, query: "queue.QueueQuery", offset: int = 0, limit: int = 50) -> list[dict]:
        """One page of the review queue in order: dicts of `queue.ROW_COLUMNS` plus reviewed,
        reviewed_by, bulk (accepted unread by a bulk accept), open_disputes, overridden. `started_utc` is UTC text ("YYYY-MM-DDTHH:MM:SS")."""
        with self.engine.connect() as conn:
            return queue.page(conn, query, offset, limit)

    def queue_count(self, query: "queue.QueueQuery") -> tuple[int, int]:
        """(cards in the queue, of which reviewed)."""
        with self.engine.connect() as conn:
            return queue.count(conn, query)

    def queue_step(self, query: "queue.QueueQuery", transcript_id: str, forward: bool = True,
                   unreviewed: bool = False, wrap: bool = False) -> str | None:
        """The chat after (`forward`) or before `transcript_id` in the queue (see `queue.step`)."""
        with self.engine.connect() as conn:
            return queue.step(conn, query, transcript_id, forward, unreviewed, wrap)

    def queue_ids(self, query: "queue.QueueQuery", limit: int) -> list[str]:
        """Transcript ids of the queue in order, at most `limit` (see `queue.ids`)."""
        with self.engine.connect() as conn:
            return queue.ids(conn, query, limit)

    def bulk_split(self, query: "queue.QueueQuery", min_certainty: float, scenarios: list[str]) -> dict[str, int]:
        """Unreviewed cards of the queue by why a bulk accept leaves them (see `queue.bulk_split`)."""
        with self.engine.connect() as conn:
            return queue.bulk_split(conn, query, min_certainty, scenarios)

    def bulk_ids(self, query: "queue.QueueQuery", limit: int, min_certainty: float, scenarios: list[str]) -> list[str]:
        """Unreviewed cards a bulk accept may take, in queue order (see `queue.bulk_ids`)."""
        with self.engine.connect() as conn:
            return queue.bulk_ids(conn, query, limit, min_certainty, scenarios)

    def queue_values(self, column: str) -> list[str]:
        """Distinct values of a queue column (agent, shop, platform) over all chats, sorted."""
        with self.engine.connect() as conn:
            return queue.distinct(conn, column)

    def review_records(self, transcript_ids: list[str]) -> tuple[list[dict], list[dict]]:
        """(every override record, every dispute) of these chats, oldest first: rows as dicts."""
        found_o, found_d = [], []
        for chunk in _chunks(transcript_ids, 500):
            with self.engine.connect() as conn:
                found_o += [dict(r._mapping) for r in conn.execute(
                    select(overrides).where(overrides.c.transcript_id.in_(chunk)))]
                found_d += [dict(r._mapping) for r in conn.execute(
                    select(disputes).where(disputes.c.transcript_id.in_(chunk)))]
        return sorted(found_o, key=lambda r: r["id"]), sorted(found_d, key=lambda r: r["id"])

    def refresh_finals(self, rubric, transcript_ids: list[str] | None = None) -> int:
        """Write the final total and band (`final_card`) of those of these chats (default: all) that have
        an override into the queue; returns how many. The queue's band filter reads them."""
        q = select(overrides.c.transcript_id).distinct()
        with self.engine.connect() as conn:
            if transcript_ids is None:
                transcript_ids = [r[0] for r in conn.execute(q)]
            else:
                transcript_ids = [r[0] for chunk in _chunks(transcript_ids, 500)
                                  for r in conn.execute(q.where(overrides.c.transcript_id.in_(chunk)))]
        done = 0
        for chunk in _chunks(transcript_ids, 500):
            finals = self.final_cards(list(self.current_scorecards(chunk).values()), rubric)
            with self.engine.begin() as conn:
                for fc in finals:
                    queue.set_final(conn, fc.card.transcript_id, fc.total, fc.band)
            done += len(finals)
        return done

    def reviewed_in_bulk(self, transcript_ids: list[str]) -> set[str]:
        """The chats among these whose finished review was a bulk accept (accepted unread)."""
        found: set[str] = set()
        for chunk in _chunks(transcript_ids, 500):
            q = select(review_state.c.transcript_id).where(
                review_state.c.reviewed.is_(True), review_state.c.bulk.is_(True), review_state.c.transcript_id.in_(chunk))
            with self.engine.connect() as conn:
                found.update(r[0] for r in conn.execute(q))
        return found

    def scenario_changes(self, transcript_ids: list[str]) -> dict[str, tuple[str, str]]:
        """Per chat among these whose scenario a supervisor changed: (the scenario before the first change,
        i.e. the tool's, the latest change's)."""
        found: dict[str, tuple[str, str]] = {}
        for chunk in _chunks(transcript_ids, 500):
            q = select(overrides.c.transcript_id, overrides.c.from_value, overrides.c.to_value).where(
                overrides.c.item_id == "scenario", overrides.c.transcript_id.in_(chunk)).order_by(overrides.c.id)
            with self.engine.connect() as conn:
                for tid, before, after in conn.execute(q):
                    found[tid] = (found[tid][0] if tid in found else before, after)
        return found

    def reviewed(self, transcript_ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(transcript_ids, 500):
            q = select(review_state.c.transcript_id).where(
                review_state.c.reviewed.is_(True), review_state.c.transcript_id.in_(chunk))
            with self.engine.connect() as conn:
                found.update(r[0] for r in conn.execute(q))
        return found

    def current_in_days(self, since: str | None, until: str | None, tz=SHANGHAI,
                        widen: bool = False, findings: bool = False) -> list[Scorecard]:
        """Current scorecards of chats that began on local days since..until in `tz` (ISO dates, inclusive).

        The stored day is the grading run's; the query widens it by a day each side and the
        chat's day in `tz` (`grader.dates.day_of`) decides. Findings are decoded only if asked for.
        """
        lo, hi = utc_bounds(since, until, tz)
        q = select(*CARD_FIELDS).where(scorecards.c.current.is_(True))
        if since:
            q = q.where(scorecards.c.day >= _shift(since, -1))
        if until:
            q = q.where(scorecards.c.day <= _shift(until, 1))
        with self.engine.connect() as conn:
            cards = [self.card_of_row(r, findings) for r in conn.execute(q.order_by(scorecards.c.id))]
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

    def change_stamp(self) -> tuple:
        """A value that changes whenever anything a month report reads changes: which scorecards are
        current, overrides, review marks, self-assessments (for caches of computed reports)."""
        c = scorecards.c
        with self.engine.connect() as conn:
            return (tuple(conn.execute(select(func.count(), func.sum(c.id)).where(c.current.is_(True))).one()),
                    conn.execute(select(func.max(overrides.c.id))).scalar(),
                    tuple(conn.execute(select(func.count(), func.sum(review_state.c.revision))).one()),
                    conn.execute(select(func.max(self_assessments.c.id))).scalar())

    def labels_stamp(self) -> tuple:
        """A value that changes whenever supervisors' labels may have: `change_stamp` and the calibration
        sessions' scores (for a cache of the trust gates)."""
        c = calibration_scores.c
        with self.engine.connect() as conn:
            scores = tuple(conn.execute(select(func.count(), func.max(c.at), func.sum(c.score))).one())
        return (*self.change_stamp(), scores)

    def self_assessments(self, months: list[str]) -> dict[tuple[str, str], dict]:
        """(agent account, month) -> its self-assessment row (total, items JSON, comment, by, at) for these months."""
        if not months:
            return {}
        q = select(self_assessments).where(self_assessments.c.month.in_(months))
        with self.engine.connect() as conn:
            return {(r.agent, r.month): dict(r._mapping) for r in conn.execute(q)}

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

    # --- one grading run at a time ------------------------------------------------------------
    # The lock is a row of `meta` (key "grade_lock"): inserting it is atomic on every database,
    # so of two runs started together exactly one gets it. Its value says who holds it.
    LOCK_KEY = "grade_lock"

    def take_run_lock(self, holder: dict) -> dict | None:
        """Take the grading lock for `holder` (JSON-able: pid, host, run id, started); None when
        taken, else what the current holder wrote."""
        value = json.dumps(holder, ensure_ascii=False)
        try:
            with self.engine.begin() as conn:
                conn.execute(meta.insert().values(key=self.LOCK_KEY, value=value))
            return None
        except IntegrityError:
            with self.engine.connect() as conn:
                row = conn.execute(select(meta.c.value).where(meta.c.key == self.LOCK_KEY)).first()
            if row is None:  # released in between: try again
                return self.take_run_lock(holder)
            return json.loads(row[0])

    def break_run_lock(self, stale: dict) -> bool:
        """Remove the lock if it is still exactly `stale` (a holder that died); True if removed."""
        with self.engine.begin() as conn:
            done = conn.execute(meta.delete().where(meta.c.key == self.LOCK_KEY,
                                                    meta.c.value == json.dumps(stale, ensure_ascii=False)))
        return done.rowcount == 1

    def release_run_lock(self, holder: dict) -> None:
        self.break_run_lock(holder)

    def mark_runs_killed(self, run_ids: list[int]) -> int:
        """Runs still marked running whose process is gone (killed, power cut) become "killed"."""
        if not run_ids:
            return 0
        with self.engine.begin() as conn:
            done = conn.execute(update(runs).where(runs.c.id.in_(run_ids), runs.c.status == "running").values(
                finished_at=now_iso(), status="killed"))
        return done.rowcount

    def running_runs(self) -> list[int]:
        """Ids of runs marked running."""
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(runs.c.id).where(runs.c.status == "running"))]

    def finish_run(self, run_id: int, status: str, counts: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                finished_at=now_iso(), status=status, counts=json.dumps(counts, ensure_ascii=False)))

    def count(self, table: Table, *where) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def insert_missing(conn, table: Table, rows: list[dict]) -> None:
    """Insert rows whose primary key may meanwhile have been inserted by another process (then kept)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        conn.execute(table.insert(), rows)
        return
    conn.execute(insert(table).on_conflict_do_nothing(), rows)


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
                               "content_hash", "content", "body", "dict_id")})
_c = scorecards.c
# What a Scorecard is read from (`Store.card_of_row`): its columns and packed documents.
CARD_FIELDS = (_c.id, _c.transcript_id, _c.agent, _c.scenario, _c.total, _c.band, _c.needs_review, _c.versions_key,
               _c.graded_at, _c.json, _c.body, _c.findings, _c.dict_id, _c.findings_dict_id)
_BODY = (_c.id, _c.agent, _c.scenario, _c.total, _c.band, _c.needs_review, _c.graded_at, _c.json, _c.body,
         _c.findings, _c.dict_id, _c.findings_dict_id)
_make_current = update(scorecards).where(scorecards.c.id == bindparam("sid")).values(current=True)


def _save_group(conn, group: list, stamp: str) -> None:
    ids = [t["id"] for t, *_ in group]
    known = {r[0] for r in conn.execute(select(transcripts.c.id).where(transcripts.c.id.in_(ids)))}
    if known:  # out of the search index while the stored text is still the one it indexed
        search.forget(conn, list(known), {t["id"]: (t["content_hash"], text) for t, _, _, _, text, _ in group
                                          if t["id"] in known})
    if new := [t for t, *_ in group if t["id"] not in known]:
        conn.execute(transcripts.insert(), new)
    if old := [{**{k: v for k, v in t.items() if k != "id"}, "tid": t["id"]} for t, *_ in group if t["id"] in known]:
        conn.execute(_update_transcript, old)
    earlier: dict[tuple, int] = {}
    if known:  # only a chat stored before can have scorecards
        c = scorecards.c
        q = select(c.id, c.transcript_id, c.content_hash, c.versions_key, c.scenario).where(c.transcript_id.in_(known))
        earlier = {tuple(r[1:]): r[0] for r in conn.execute(q)}
        conn.execute(update(scorecards).where(c.transcript_id.in_(known)).values(current=False))
        conn.execute(delete(review_queue).where(review_queue.c.transcript_id.in_(known)))
    again, fresh = [], []
    for row in group:
        card = row[1]
        sid = earlier.get((card["transcript_id"], card["content_hash"], card["versions_key"], card["scenario"]))
        (again if sid is not None else fresh).append((sid, row) if sid is not None else row)
    if again:
        conn.execute(_make_current, [{"sid": sid} for sid, _ in again])
    queued = [(sid, row[3], row[4], row[5]) for sid, row in again]
    if fresh:
        inserted = conn.execute(scorecards.insert().returning(scorecards.c.id, sort_by_parameter_order=True),
                                [{**card, "graded_at": stamp} for _, card, *_ in fresh]).all()
        items = [{**item, "scorecard_id": sid} for (sid,), (_, _, item_rows, *_) in zip(inserted, fresh)
                 for item in item_rows]
        if items:
            conn.execute(item_scores.insert(), items)
        queued += [(sid, row[3], row[4], row[5]) for (sid,), row in zip(inserted, fresh)]
    if facts := [{**f, "scorecard_id": sid} for sid, _, _, f in queued if f]:
        aggregates.replace_facts(conn, facts)
    queued = [(sid, values, text) for sid, values, text, _ in queued if values]
    if queued:
        conn.execute(review_queue.insert(), [{**values, "scorecard_id": sid} for sid, values, _ in queued])
        search.add(conn, [(values["transcript_id"], sid, text) for sid, values, text in queued])


def _shift(day: str, days: int) -> str:
    from datetime import date, timedelta
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # A new database gets 16 KB pages: a packed scorecard row (~2 KB) leaves ~1/3 of a 4 KB page unused.
    cur.execute("PRAGMA page_size=16384")
    cur.execute("PRAGMA journal_mode=WAL")  # readers (the review app) never block the batch
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Deleted and overwritten content is zeroed, not left in free pages: a purge (or a re-grade's
    # replaced rows) leaves no chat text readable in the file.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()
