"""Upgrading a database written by schema version 1 (whole JSON per scorecard and transcript)."""
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select, text

from grader.review.disputes import list_disputes
from grader.review.overrides import apply_override, audit, final_items, review_info
from grader.scorecard.model import Scorecard
from grader.store import SCHEMA_VERSION, Store, content_hash, meta
from grader.transcript.model import Transcript
from tests.conftest import BACKENDS, fresh_database

V1 = Path(__file__).resolve().parents[1] / "data" / "store" / "v1.db"


def _query(path, sql):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # never creates nor changes the file
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _v1_contents():
    cards = dict(_query(V1, "select id, json from scorecards"))
    texts = dict(_query(V1, "select id, content from transcripts"))
    return cards, texts


@pytest.fixture(params=BACKENDS)
def v1_url(request, tmp_path):
    """A copy of the version-1 database, on SQLite or (rows copied with its own DDL) on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "v1.db"
        shutil.copy(V1, path)
        return str(path)
    url = fresh_database("postgresql", tmp_path, request)
    source = create_engine(f"sqlite:///{V1}")
    old = MetaData()
    old.reflect(source)  # version 1's tables, as that grader created them
    target = create_engine(url)
    old.create_all(target)
    with source.connect() as src, target.begin() as dst:
        for table in old.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(select(table))]
            if rows:
                dst.execute(table.insert(), rows)
            if "id" in table.c and table.c.id.primary_key and table.c.id.type.python_type is int and rows:
                dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                 f"(SELECT max(id) FROM {table.name}))"))
    source.dispose()
    target.dispose()
    return url


def test_the_fixture_is_version_1():
    assert _query(V1, "select value from meta where key='schema_version'") == [("1",)]
    assert "body" not in {r[1] for r in _query(V1, "pragma table_info(scorecards)")}


def test_upgrade_keeps_every_card_transcript_and_review_record(v1_url):
    cards, texts = _v1_contents()
    store = Store(v1_url)
    with store.engine.connect() as conn:
        assert conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar() == str(SCHEMA_VERSION)
        left = conn.execute(text("select count(*) from scorecards where body is null")).scalar()
        assert left == 0  # every card packed
    for tid, card, at in [(t, c, a) for t, a, c in store.scorecards_of(["t1", "t2", "t3"])]:
        assert any(Scorecard.model_validate_json(js).model_dump(exclude={"items": {"__all__": {"findings"}}})
                   == card.model_dump(exclude={"items": {"__all__": {"findings"}}}) for js in cards.values())
    for tid, stored in store.transcripts(["t1", "t2", "t3"]).items():
        assert stored.model_dump() == Transcript.model_validate_json(texts[tid]).model_dump()
    # findings come back exactly when asked for
    current = store.current_scorecards(["t1", "t2", "t3"], findings=True)
    originals = [Scorecard.model_validate_json(js) for js in cards.values()]
    for card in current.values():
        assert any(card.model_dump() == o.model_dump() for o in originals)
    # the review trail is untouched and still applies
    assert [a["item_id"] for a in audit(store, "t1")] == ["first_response"]
    assert review_info(store, "t1")["reviewed"] and review_info(store, "t1")["reviewed_by"] == "主管甲"
    assert {i["id"]: i["final"] for i in final_items(store, "t1")}["first_response"] == 10
    assert len(list_disputes(store, "t2")) == 1
    assert [h["current"] for h in store.scorecard_history("t2")] == [False, False, True]
    # content hashes are shortened: an unchanged chat is still recognised as graded
    t1 = store.transcripts(["t1"])["t1"]
    assert {(k[0], k[1]) for k in store.graded_keys(["t1"])} == {("t1", content_hash(t1))}
    # and the upgraded database takes new records (ids and sequences carried over)
    card = store.current_scorecards(["t3"])["t3"]
    item = next(i for i in card.items if len(i.levels) > 1)
    level = next(v for v in item.levels if v != item.score)
    assert apply_override(store, "t3", item.id, level, "升级后改分", "主管甲").override_id
    Store(v1_url)  # opening again upgrades nothing


def test_an_upgrade_interrupted_midway_finishes_next_time(tmp_path, monkeypatch):
    path = tmp_path / "v1.db"
    shutil.copy(V1, path)
    from grader.store import migrate
    monkeypatch.setattr(migrate, "CHUNK", 2)
    calls = {"n": 0}
    real = migrate.pack_cards

    def dies_on_second_chunk(*a, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **kw)

    monkeypatch.setattr(migrate, "pack_cards", dies_on_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        Store(str(path))
    assert _query(path, "select count(*) from scorecards where body is not null") == [(2,)]
    from grader.store import dispose_all
    dispose_all()
    monkeypatch.setattr(migrate, "pack_cards", real)
    store = Store(str(path))
    assert len(store.scorecards_of(["t1", "t2", "t3"])) == 5
    with store.engine.connect() as conn:
        assert conn.execute(text("select count(*) from scorecards where body is null")).scalar() == 0


def test_a_newer_schema_is_refused(tmp_path):
    from grader.store.migrate import SchemaTooNew
    path = str(tmp_path / "g.db")
    store = Store(path)
    with store.engine.begin() as conn:
        conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION + 1)))
    with pytest.raises(SchemaTooNew):
        Store(path)


@pytest.mark.parametrize("drop", [
    pytest.param(True, id="written-before-bulk-accept-was-recorded"),
    pytest.param(False, id="already-has-it"),
])
def test_columns_added_after_schema_2_are_added_on_open(db_url, drop):
    from sqlalchemy import inspect

    from grader.pipeline import Grader
    from grader.review.overrides import mark_reviewed
    from grader.store.migrate import add_later_columns
    from tests.builders import transcript

    store = Store(db_url)
    t = transcript("c 10:00:00 在吗", "a 10:00:05 您好", id="old1")
    store.save([(t, Grader(confidence=False).grade(t))])
    mark_reviewed(store, "old1", "主管甲")
    if drop:
        with store.engine.begin() as conn:
            conn.execute(text("ALTER TABLE review_state DROP COLUMN bulk"))
    store.engine.dispose()
    again = Store(db_url)  # opening adds what is missing
    assert "bulk" in {c["name"] for c in inspect(again.engine).get_columns("review_state")}
    assert add_later_columns(again.engine) == []  # and only once
    assert again.reviewed(["old1"]) == {"old1"} and again.reviewed_in_bulk(["old1"]) == set()
    mark_reviewed(again, "old1", "主管甲", bulk=True)
    assert again.reviewed_in_bulk(["old1"]) == {"old1"}
