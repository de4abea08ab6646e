"""The review search on the database's own full-text engine (SQLite FTS5 trigram, PostgreSQL
pg_trgm): what a piece of the search box finds, the index kept right through re-grades and
purges, and re-indexing of a database indexed before (on SQLite and PostgreSQL)."""
from datetime import datetime

import pytest
from sqlalchemy import delete, inspect, text

from grader.store import Store, meta
from grader.store import search
from grader.store.queue import QueueQuery
from grader.transcript.model import SHANGHAI, Message, Transcript


def chat(tid, lines, customer="buyer"):
    """A chat from (role letter, text) lines: c customer, a agent, s system."""
    roles = {"c": ("customer", customer), "a": ("agent", "小店:小美"), "s": ("system", "system")}
    messages = [Message(index=i, time=datetime(2026, 11, 22, 10, i, tzinfo=SHANGHAI), sender=roles[r][1],
                        role=roles[r][0], text=t) for i, (r, t) in enumerate(lines)]
    return Transcript(id=tid, platform="taobao", shop="小店", agent="小店:小美", customer=customer,
                      messages=messages).normalize()


CHATS = [
    chat("order", [("s", "客户已下单，订单号 4302918876512"), ("c", "什么时候发"), ("a", "今天就发哦")]),
    chat("refund", [("c", "我要退款"), ("a", "好的亲，已为您申请"), ("c", "收到货了但是坏的")]),
    chat("apart", [("c", "收到货"), ("a", "到货了吗"), ("c", "我想问一下")]),  # 收到货了's trigrams, apart
    chat("latin", [("c", "iPhone 15 Pro Max 有货吗"), ("a", "有的亲，SKU: AB-77")]),
    chat("phone", [("c", "我的电话 13912345678，到了打我"), ("a", "好的，已备注")]),
]


@pytest.fixture
def store(db_url, grader):
    s = Store(db_url)
    s.save([(t, grader.grade(t)) for t in CHATS])
    return s


def found(store, query):
    return {r["transcript_id"] for r in store.queue_page(QueueQuery(search=query), 0, 50)}


@pytest.mark.parametrize("query, expected", [
    pytest.param("4302918876512", {"order"}, id="order-number-only-in-a-system-message"),
    pytest.param("91887", {"order"}, id="part-of-an-order-number"),
    pytest.param("退款", {"refund"}, id="two-characters"),
    pytest.param("款", {"refund"}, id="one-character"),
    pytest.param("收到货", {"refund", "apart"}, id="three-characters"),
    pytest.param("收到货了", {"refund", "apart?"}, id="tricky-its-trigrams-lie-apart-in-another-chat"),
    pytest.param("iphone", {"latin"}, id="latin-case-ignored"),
    pytest.param("sku: ab-77", {"latin"}, id="punctuation-cuts-pieces"),
    pytest.param("退款 坏的", {"refund"}, id="every-piece-must-be-there"),
    pytest.param("退款 今天", set(), id="pieces-of-two-chats-match-neither"),
    pytest.param("了吗我想", set(), id="tricky-never-across-two-messages"),
    pytest.param("发哦今", set(), id="tricky-three-characters-across-two-messages"),
    pytest.param("100%_", set(), id="like-wildcards-are-literal"),
    pytest.param("\"", set(), id="a-quote-alone-is-no-piece"),
    pytest.param("鼙", set(), id="a-character-no-chat-has"),
    pytest.param("13912345678", {"phone"}, id="phone-number"),
])
def test_search_pieces(store, query, expected):
    # "apart?": found on SQLite, whose index has no positions (all the piece's trigrams are in the
    # chat, in two messages), not on PostgreSQL, whose ILIKE is exact
    sqlite = store.engine.dialect.name == "sqlite"
    expected = {e.rstrip("?") for e in expected if sqlite or not e.endswith("?")}
    assert found(store, query) == expected
    assert store.queue_count(QueueQuery(search=query))[0] == len(expected)


def test_query_words_cut_at_spaces_and_punctuation():
    assert search.query_words("  退款，没收到货 SKU:AB  退款 ") == ["退款", "没收到货", "sku", "ab"]
    assert len(search.query_words(" ".join(str(n) for n in range(20)))) == search.MAX_WORDS


def test_search_text_is_every_message_one_line_each():
    assert search.search_text(CHATS[0]) == "客户已下单，订单号 4302918876512\n什么时候发\n今天就发哦\n"


def test_regrade_with_new_text_forgets_the_old(store, grader):
    changed = chat("refund", [("c", "我要换货"), ("a", "好的亲")])
    store.save([(changed, grader.grade(changed))])
    assert found(store, "退款") == set() and found(store, "换货") == {"refund"}
    assert found(store, "坏的") == set()
    store.save([(CHATS[1], grader.grade(CHATS[1]))])  # back to the first text: its scorecard is current again
    assert found(store, "退款") == {"refund"} and found(store, "换货") == set()


def test_regrade_with_the_same_text_stays_searchable(store, grader):
    store.save([(CHATS[0], grader.grade(CHATS[0], scenario="aftersale"))])
    assert found(store, "4302918876512") == {"order"}
    assert store.queue_count(QueueQuery(search="发")) == (1, 0)


def test_purged_chat_leaves_the_index(store):
    assert found(store, "13912345678") == {"phone"}
    store.purge_before("2026-11-23", "主管甲")
    for query in ("13912345678", "电话", "4302918876512", "退款"):
        assert found(store, query) == set()
    assert found(store, "phone") == {"phone"}  # the transcript id still finds its scores
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            terms = conn.execute(text("SELECT count(*) FROM chat_index_terms")).scalar()
        assert terms == 0  # every trigram of the purged chats is gone from the index
    else:
        assert store.count(search.chat_text) == 0


def test_database_indexed_before_is_indexed_again(store):
    with store.engine.begin() as conn:
        conn.execute(delete(meta).where(meta.c.key == search.INDEX_KEY))
        conn.execute(text("CREATE TABLE chat_terms (transcript_id VARCHAR(200) PRIMARY KEY, terms TEXT)"))
    again = Store(store.url)
    assert found(again, "91887") == {"order"} and found(again, "退款") == {"refund"}
    assert "chat_terms" not in inspect(again.engine).get_table_names()
    with again.engine.connect() as conn:
        assert search.indexed_version(conn) == search.INDEX_VERSION
