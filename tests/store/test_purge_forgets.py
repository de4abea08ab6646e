"""A purge forgets: no copy of a purged chat's text is left anywhere in the database, the file included.

The purged chats carry a phone number, a street address, a buyer nick and a sentence of their own;
they are stored first, so the compression dictionaries are trained from their text, and one of
them is graded twice (its first rows replaced). After `purge_before`:
- SQLite: the raw database file and its -wal hold none of those strings;
- both databases: no row of any table — packed documents unpacked, dictionaries as bytes —
  holds them; the kept chats read back exactly and are still found by search.
"""
import json

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from grader.pipeline import Grader
from grader.store import Store
from grader.store.audit import REDACTED
from grader.store.codec import unpack
from grader.store.queue import QueueQuery
from grader.store.tables import dictionaries, disputes, overrides
from tests.builders import transcript

PHONE, ADDRESS, NICK, SENTENCE = "13912345678", "幸福路88号3栋502室", "买家_zx9q", "我家小猫叫咪咪七号"
SECRETS = [PHONE, ADDRESS, NICK, SENTENCE]


def old_chat(n: int):
    t = transcript(f"c 10:00:00 在吗，我的电话{PHONE}，地址{ADDRESS}", "a 10:00:10 您好亲，已经帮您备注好了",
                   f"c 10:01:00 谢谢，{SENTENCE}", "a 10:01:20 不客气，祝您生活愉快", day=f"2026-01-0{1 + n % 5}",
                   id=f"old{n}")
    return t.model_copy(update=dict(customer=NICK))


def new_chat(n: int):
    return transcript(f"c 10:00:00 有优惠吗 订单{n:04d}", "a 10:00:10 您好，现在满200减30哦",
                      "c 10:01:00 好的我拍了", "a 10:01:20 感谢您的支持", id=f"new{n}")


@pytest.fixture
def purged_store(db_url):
    grader = Grader()
    store = Store(db_url)
    olds = [old_chat(n) for n in range(12)]
    store.save([(t, grader.grade(t)) for t in olds])  # the dictionaries are trained from these
    again = olds[0].model_copy(deep=True)
    again.messages[-1].text = "不客气，祝您生活愉快！"
    store.save([(again, grader.grade(again))])  # re-graded: its first rows are replaced
    news = [new_chat(n) for n in range(6)]
    store.save([(t, grader.grade(t)) for t in news])
    with store.engine.connect() as conn:
        before = [bytes(d) for (d,) in conn.execute(select(dictionaries.c.data))]
    assert any(PHONE.encode() in d for d in before), "the test needs a dictionary trained from the purged text"
    reviews = review_the_old_chats(store, grader)
    nodes = filenodes(store)
    counts = store.purge_before("2026-06-01", "主管甲")
    return store, counts, news, reviews, nodes


def filenodes(store) -> dict:
    """PostgreSQL: the file each table lives in (VACUUM FULL writes a new one); {} on SQLite."""
    if store.engine.dialect.name != "postgresql":
        return {}
    from sqlalchemy import text
    with store.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT pg_relation_filenode('{t}')")).scalar()
                for t in ("transcripts", "scorecards", "overrides", "audit_log", "disputes", "chat_text")}


def review_the_old_chats(store, grader):
    """Supervisors and an agent write about old chats, quoting the buyer: an override's reason, a
    dispute's comment and its resolution (accepted: an override too), a rejected dispute's reason.
    Returns what must survive of each override: (item, to_value, by, at, source)."""
    from grader.review.disputes import accept_dispute, open_dispute, reject_dispute
    from grader.review.overrides import apply_override

    def level_of(tid):
        item = next(i for i in store.current_scorecards([tid])[tid].items if len(i.levels) > 1)
        return item.id, str(next(v for v in item.levels if v != item.score))

    item, level = level_of("old1")
    apply_override(store, "old1", item, level, f"顾客留的电话{PHONE}是真的，已核实", "主管甲", rubric=grader.rubric)
    item, level = level_of("old2")
    did = open_dispute(store, "old2", item, "小美", f"顾客说了“{SENTENCE}”，不是我编的", level)
    accept_dispute(store, did, "主管甲", note=f"地址{ADDRESS}核对无误", rubric=grader.rubric)
    item, _ = level_of("old3")
    did = open_dispute(store, "old3", item, "小美", f"买家{NICK}自己改了主意", None)
    reject_dispute(store, did, "主管甲", f"{NICK}的原话不是这样")
    with store.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(
            overrides.c.item_id, overrides.c.to_value, overrides.c.by, overrides.c.at, overrides.c.source)))


def stored_values(store):
    """Every value of every table in the database (the search index's too), packed documents unpacked
    with their dictionaries."""
    from sqlalchemy import MetaData

    every = MetaData()
    every.reflect(store.engine)
    with store.engine.connect() as conn:
        zdicts = {i: bytes(d) for i, d in conn.execute(select(dictionaries.c.id, dictionaries.c.data))}
        for table in every.sorted_tables:
            try:
                rows = conn.execute(select(table)).all()
            except OperationalError:  # SQLite's contentless full-text table keeps no text to read (the file is grepped)
                continue
            for row in rows:
                m = row._mapping
                for column, value in m.items():
                    if isinstance(value, (bytes, memoryview)):
                        value = bytes(value)
                        dict_column = {"body": "dict_id", "findings": "findings_dict_id"}.get(column)
                        if dict_column and dict_column in m and table.name != "dictionaries":
                            value = unpack(value, zdicts.get(m[dict_column]))
                        yield table.name, column, value.decode("utf-8", errors="replace")
                    elif value is not None:
                        yield table.name, column, str(value)


def test_reviews_keep_who_when_and_which_score_but_not_their_text(purged_store):
    store, counts, _, reviews, _ = purged_store
    with store.engine.connect() as conn:
        kept = sorted(tuple(r) for r in conn.execute(select(
            overrides.c.item_id, overrides.c.to_value, overrides.c.by, overrides.c.at, overrides.c.source)))
        reasons = {r for (r,) in conn.execute(select(overrides.c.reason))}
        notes = {v for row in conn.execute(select(disputes.c.comment, disputes.c.resolution)) for v in row}
    assert kept == reviews and len(reviews) == 2  # the override, and the accepted dispute's
    assert reasons == {REDACTED} and notes == {REDACTED}
    assert counts["redacted"] >= 5  # 2 overrides, 2 disputes opened, 2 resolved
    assert store.verify_audit() == []  # the chain still verifies: the purge's entry vouches for the redactions


def test_a_change_after_the_purge_is_still_found(purged_store):
    from sqlalchemy import update

    from grader.store.audit import _appendable, audit_log

    store, *_ = purged_store
    with store.engine.begin() as conn:
        entry = conn.execute(select(audit_log.c.id, audit_log.c.detail).where(audit_log.c.action == "override")
                             .order_by(audit_log.c.id)).first()
        with _appendable(conn, ("audit_log",)):
            conn.execute(update(audit_log).where(audit_log.c.id == entry.id).values(
                detail=entry.detail.replace('"by":"主管甲"', '"by":"主管乙"')))
    problems = store.verify_audit()
    assert any("清除之后又被改动过" in p for p in problems) and any(f"#{entry.id}" in p for p in problems)


def test_postgresql_tables_are_vacuumed_in_full(purged_store):
    store, counts, *_, before = purged_store
    if store.engine.dialect.name != "postgresql":
        assert counts["vacuumed"] is None  # SQLite: secure_delete and the checkpoint (the file is grepped below)
        return
    assert set(before) <= set(counts["vacuumed"])
    after = filenodes(store)
    assert [t for t in before if after[t] == before[t]] == []  # every table written afresh: old row versions gone


def test_no_table_holds_purged_text(purged_store):
    store, counts, *_ = purged_store
    assert counts["chats"] == 12 and counts["dictionaries"] >= 1
    found = [(t, c) for t, c, v in stored_values(store) for s in SECRETS if s in v]
    assert found == []


def test_the_sqlite_file_and_its_wal_hold_no_purged_text(purged_store):
    store, counts, *_ = purged_store
    path = store.database_file()
    if path is None:
        pytest.skip("a server database has no file to read (its tables are checked above)")
    assert counts["checkpointed"] is True
    raw = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert [s for s in SECRETS if s.encode("utf-8") in raw] == []
    assert "感谢您的支持".encode("utf-8") in raw or b"new3" in raw  # the kept chats are there: the read was real


def test_kept_chats_read_back_and_search_finds_them_but_not_the_purged(purged_store):
    store, _, news, *_ = purged_store
    kept = store.transcripts([t.id for t in news])
    assert {tid: t.messages for tid, t in kept.items()} == {t.id: t.messages for t in news}
    assert store.transcripts(["old1"]) == {}
    assert store.current_scorecards(["old1"])["old1"].total is not None  # scores stay
    find = lambda text: [r["transcript_id"] for r in store.queue_page(QueueQuery(search=text), 0, 50)]
    assert find("订单0003") == ["new3"]
    assert find(PHONE) == [] and find(NICK) == [] and find("咪咪七号") == []


def test_a_process_holding_a_replaced_dictionary_packs_again(db_url):
    """The review app keeps the dictionaries it read; after a purge elsewhere replaced them, its next
    save (a scenario change re-grades a chat) must not point at a dictionary that is gone."""
    grader = Grader()
    app_store = Store(db_url)
    app_store.save([(t, grader.grade(t)) for t in [old_chat(n) for n in range(6)] + [new_chat(1)]])
    Store(db_url).purge_before("2026-06-01", "主管甲")
    t = new_chat(2)
    app_store.save([(t, grader.grade(t))])  # packed with what app_store held: must be packed again
    assert Store(db_url).transcripts(["new2"])["new2"].messages == t.messages


def test_stored_reports_and_month_facts_are_dropped(db_url):
    from grader.store.tables import chat_facts, stored_reports

    grader = Grader()
    store = Store(db_url)
    store.save([(t, grader.grade(t)) for t in [old_chat(1)]])
    store.put_facts([dict(transcript_id="old1", month="2026-01", agent="a", scorecard_id=1, revision=0, basis="b",
                          facts=json.dumps({"why": PHONE}))])
    store.put_report("calibration:all", "s", {"html": PHONE}, 1.0)
    store.purge_before("2026-06-01", "主管甲")
    assert store.count(chat_facts) == 0 and store.count(stored_reports) == 0
