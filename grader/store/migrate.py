"""Create the schema, or upgrade a database written by an earlier grader.

Version 1 → 2 (compact storage): new columns and tables are added in one transaction, then every
scorecard and transcript still held as JSON is packed (`grader.store.rows`) in batches of 500, each
its own transaction; an upgrade interrupted part-way goes on where it stopped the next time the
database is opened (rows not yet packed are read as JSON meanwhile). SQLite is vacuumed afterwards
so the file shrinks.
"""
from __future__ import annotations

import sys

from sqlalchemy import Boolean, LargeBinary, String, select, text, update
from sqlalchemy.exc import OperationalError

from grader.scorecard.model import Scorecard
from grader.store.rows import card_docs, pack_cards, pack_transcripts
from grader.store.tables import (SCHEMA_VERSION, item_scores, meta, metadata, scorecards, transcripts,
                                 versions)
from grader.transcript.model import Transcript

CHUNK = 500
_NEW_COLUMNS = [("transcripts", "body", LargeBinary()), ("transcripts", "dict_id", String(16)),
                ("scorecards", "body", LargeBinary()), ("scorecards", "findings", LargeBinary()),
                ("scorecards", "dict_id", String(16)), ("scorecards", "findings_dict_id", String(16)),
                ("item_scores", "not_applicable", Boolean())]
# Columns added after schema 2, nullable: added to an older database when it is opened (no version bump,
# since an older grader reads the table without them).
LATER_COLUMNS = [("review_state", "bulk", Boolean())]
_DROPPED_INDEXES = ["ix_scorecard_transcript", "ix_transcripts_day"]  # the unique index serves these lookups


class SchemaTooNew(RuntimeError):
    pass


def upgrade(store) -> None:
    """Bring `store`'s database to SCHEMA_VERSION (creating it when empty).
    Raises SchemaTooNew for a database written by a newer grader."""
    engine = store.engine
    metadata.create_all(engine)
    with engine.begin() as conn:
        row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
        version = int(row[0]) if row else None
        if version is None:
            conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
            from grader.store import search
            search.create(conn)
            search.set_indexed_version(conn)  # an empty index is up to date
            return
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(f"database schema {version} is newer than this grader ({SCHEMA_VERSION}); upgrade grader")
        if version == 1:
            _add_columns(conn, engine.dialect)
            conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="2"))
    add_later_columns(engine)
    ensure_indexes(engine)
    if compact_legacy_rows(store) and engine.dialect.name == "sqlite":
        vacuum(engine)
    rebuild_stale_queue(engine)
    fill_queue(store)
    index_for_search(store)


_SUPERSEDED_INDEXES = {"review_queue": ["ix_queue_started"]}  # ix_queue_month starts with its column


def ensure_indexes(engine) -> None:
    """Create the indexes the tables have now that an older database lacks, and drop those they superseded."""
    from sqlalchemy import inspect

    have = inspect(engine)
    tables = set(have.get_table_names())
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if table.name not in tables:
                continue
            names = {ix["name"] for ix in have.get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in names:
                    index.create(conn)
            for name in _SUPERSEDED_INDEXES.get(table.name, []):
                if name in names:
                    conn.execute(text(f"DROP INDEX {name}"))


def add_later_columns(engine) -> list[str]:
    """Add the `LATER_COLUMNS` a database written before them lacks; returns "table.column" of each added."""
    from sqlalchemy import inspect

    added = []
    for table, column, type_ in LATER_COLUMNS:
        if column not in {c["name"] for c in inspect(engine).get_columns(table)}:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {type_.compile(dialect=engine.dialect)}"))
            added.append(f"{table}.{column}")
    return added


def rebuild_stale_queue(engine) -> bool:
    """Drop a `review_queue` written before columns it has now (the review budget): it is derived from the
    current scorecards, and `fill_queue` writes it again."""
    from sqlalchemy import inspect

    from grader.store.tables import review_queue

    have = {c["name"] for c in inspect(engine).get_columns("review_queue")}
    if not {c.name for c in review_queue.columns} - have:
        return False
    with engine.begin() as conn:
        review_queue.drop(conn)
        review_queue.create(conn)
    return True


def index_for_search(store) -> int:
    """Create the review search's index (`grader.store.search`); a database indexed by another
    version, or not at all (an older grader's `chat_terms`), is indexed afresh from its stored
    transcripts. Returns how many chats were indexed afresh."""
    from grader.store import search

    with store.engine.begin() as conn:
        search.create(conn)
        if search.indexed_version(conn) == search.INDEX_VERSION:
            return 0
        done = search.reindex(conn)
        search.drop_old(conn)
        search.set_indexed_version(conn)
    if done:
        print(f"grader: 已为 {done} 个会话建立复核搜索索引", file=sys.stderr)
    return done


def fill_queue(store) -> int:
    """Write the `review_queue` row of every current scorecard that has none (a database written
    before the queue table), 500 chats per transaction; final totals are refreshed by the review app."""
    from grader.store.core import CARD_FIELDS
    from grader.store import search
    from grader.store.queue import queue_row
    from grader.store.tables import review_queue

    done = 0
    c = scorecards.c
    missing = (select(*CARD_FIELDS).select_from(scorecards.outerjoin(
        review_queue, review_queue.c.transcript_id == c.transcript_id)).where(
        c.current.is_(True), review_queue.c.transcript_id.is_(None)).order_by(c.id).limit(CHUNK))
    while True:
        with store.engine.begin() as conn:
            rows = conn.execute(missing).all()
            if not rows:
                break
            conn.execute(review_queue.insert(), [{**queue_row(store.card_of_row(r)), "scorecard_id": r.id}
                                                 for r in rows])
            search.set_stale(conn)  # the search index is rebuilt next (`index_for_search`)
            done += len(rows)
    if done:
        print(f"grader: 已为 {done} 张评分卡建立复核队列索引", file=sys.stderr)
    return done


def vacuum(engine) -> bool:
    """Give an upgraded SQLite file's space back, in 16 KB pages (a page size changes only outside WAL
    mode, which needs the only connection to the file). False when another program has it open."""
    engine.dispose()
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("PRAGMA journal_mode=DELETE"))
            conn.execute(text("PRAGMA page_size=16384"))
            conn.execute(text("VACUUM"))
            conn.execute(text("PRAGMA journal_mode=WAL"))
    except OperationalError:
        print("grader: 数据库文件正被其他程序使用，升级已完成，但文件空间要等下次独占打开时才会收回", file=sys.stderr)
        return False
    finally:
        engine.dispose()
    return True


def _add_columns(conn, dialect) -> None:
    for table, column, type_ in _NEW_COLUMNS:
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {type_.compile(dialect=dialect)}"))
    for name in _DROPPED_INDEXES:
        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    conn.execute(update(item_scores).where(item_scores.c.not_applicable.is_(None)).values(not_applicable=False))
    for table in ("transcripts", "scorecards"):  # content hashes are 32 hex digits now
        conn.execute(text(f"UPDATE {table} SET content_hash = substr(content_hash, 1, 32)"))
    if dialect.name == "sqlite":  # rebuild item_scores WITHOUT ROWID (nothing refers to it)
        conn.execute(text("ALTER TABLE item_scores RENAME TO item_scores_v1"))
        item_scores.create(conn)
        names = ", ".join(c.name for c in item_scores.columns)
        conn.execute(text(f"INSERT INTO item_scores ({names}) SELECT {names} FROM item_scores_v1"))
        conn.execute(text("DROP TABLE item_scores_v1"))


def compact_legacy_rows(store) -> int:
    """Pack the scorecards and transcripts still stored as JSON; returns how many rows were packed."""
    done = 0
    c, t = scorecards.c, transcripts.c
    while True:
        with store.engine.begin() as conn:
            rows = conn.execute(select(c.id, c.versions_key, c.json).where(c.body.is_(None)).order_by(c.id)
                                .limit(CHUNK)).all()
            if not rows:
                break
            cards = [Scorecard.model_validate_json(r.json) for r in rows]
            _store_versions(conn, {r.versions_key: card.versions for r, card in zip(rows, cards)})
            packed = pack_cards([(r.versions_key, *card_docs(card, r.versions_key)[1:]) for r, card in zip(rows, cards)],
                                store.packer)
            _store_dictionaries(conn, store, [v["dict_id"] for v in packed] + [v["findings_dict_id"] for v in packed])
            for r, values in zip(rows, packed):
                conn.execute(update(scorecards).where(c.id == r.id).values(json="", **values))
            done += len(rows)
    while True:
        with store.engine.begin() as conn:
            rows = conn.execute(select(t.id, t.content).where(t.body.is_(None), t.content.is_not(None))
                                .order_by(t.id).limit(CHUNK)).all()
            if not rows:
                break
            packed = pack_transcripts([Transcript.model_validate_json(r.content) for r in rows], store.packer)
            _store_dictionaries(conn, store, [v["dict_id"] for v in packed])
            for r, values in zip(rows, packed):
                conn.execute(update(transcripts).where(t.id == r.id).values(content=None, **values))
            done += len(rows)
    if done:
        print(f"grader: 数据库已升级为紧凑存储（{done} 行）", file=sys.stderr)
    return done


def _store_versions(conn, found: dict) -> None:
    have = {r[0] for r in conn.execute(select(versions.c.key).where(versions.c.key.in_(list(found))))}
    add = [dict(key=k, json=v.model_dump_json()) for k, v in found.items() if k not in have]
    if add:
        from grader.store.core import insert_missing
        insert_missing(conn, versions, add)


def _store_dictionaries(conn, store, ids: list) -> None:
    store.store_dictionaries(conn, store.packer.trained_for(ids))
