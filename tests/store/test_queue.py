"""The review queue's indexed queries: filters, search, order, pages, count, next card, and the
queue rows of a database written before the queue table (on SQLite and PostgreSQL)."""
from datetime import datetime

import pytest
from sqlalchemy import delete

from grader.dates import utc_bounds
from grader.store import Store
from grader.store.queue import QueueQuery, budget_rank
from grader.store.tables import review_queue
from grader.transcript.model import SHANGHAI, Message, Transcript


def chat(tid, day, hour, customer, texts, platform="taobao", shop="小店", agent="小店:小美"):
    messages = []
    for i, (role, text) in enumerate(texts):
        time = datetime.fromisoformat(f"{day} {hour:02d}:{i:02d}:00").replace(tzinfo=SHANGHAI)
        messages.append(Message(index=i, time=time, sender=customer if role == "c" else agent,
                                role="customer" if role == "c" else "agent", text=text))
    return Transcript(id=tid, platform=platform, shop=shop, agent=agent, customer=customer,
                      messages=messages).normalize()


CHATS = [
    chat("tb-001", "2026-11-22", 9, "buyer_lily", [("c", "我的订单 3056781234 还没发货"), ("a", "亲，帮您查一下订单"),
                                                    ("c", "好的谢谢")]),
    chat("tb-002", "2026-11-22", 10, "buyer_tom", [("c", "这件衣服是纯棉的吗"), ("a", "是纯棉的哦亲"), ("c", "那我拍了")]),
    chat("jd-003", "2026-11-22", 11, "jd_wang", [("c", "快递三天没动了，没收到货"), ("a", "您好，请稍等"),
                                                 ("c", "快点")], platform="jd", shop="京东旗舰店", agent="京东:阿杰"),
    chat("pdd-004", "2026-11-21", 23, "pdd_zhao", [("c", "能便宜点吗"), ("a", "已经是最低价了")], platform="pdd",
         shop="拼多多店"),
    chat("dy-005", "2026-11-23", 0, "dy_sun", [("c", "退款什么时候到账"), ("a", "退款一般1-3个工作日到账")],
         platform="douyin", shop="抖音小店"),
]


@pytest.fixture
def store(db_url, grader):
    s = Store(db_url)
    s.save([(t, grader.grade(t)) for t in CHATS])
    return s


def day(since, until=None):
    lo, hi = utc_bounds(since, until or since, SHANGHAI)
    return dict(lo=lo, hi=hi)


def ids(store, **kw):
    return {r["transcript_id"] for r in store.queue_page(QueueQuery(**kw), 0, 50)}


@pytest.mark.parametrize("kw, expected", [
    pytest.param(day("2026-11-22"), {"tb-001", "tb-002", "jd-003"}, id="one-local-day"),
    pytest.param(day("2026-11-21", "2026-11-23"), {c.id for c in CHATS}, id="date-range"),
    pytest.param(dict(day("2026-11-23")), {"dy-005"}, id="just-after-local-midnight-is-that-day"),
    pytest.param(dict(platform="jd"), {"jd-003"}, id="platform"),
    pytest.param(dict(shop="拼多多店"), {"pdd-004"}, id="shop"),
    pytest.param(dict(agent="京东:阿杰"), {"jd-003"}, id="agent"),
    pytest.param(dict(search="3056781234"), {"tb-001"}, id="order-number"),
    pytest.param(dict(search="30567812"), {"tb-001"}, id="partial-order-number"),
    pytest.param(dict(search="buyer_tom"), {"tb-002"}, id="buyer-account"),
    pytest.param(dict(search="buyer"), {"tb-001", "tb-002"}, id="buyer-account-prefix"),
    pytest.param(dict(search="jd-003"), {"jd-003"}, id="transcript-id"),
    pytest.param(dict(search="纯棉"), {"tb-002"}, id="word-in-chat"),
    pytest.param(dict(search="没收到货"), {"jd-003"}, id="phrase-cut-into-words"),
    pytest.param(dict(search="退款 到账"), {"dy-005"}, id="all-words-must-be-there"),
    pytest.param(dict(search="退款 纯棉"), set(), id="words-of-two-chats-match-neither"),
    pytest.param(dict(search="100%_"), set(), id="like-wildcards-are-literal"),
])
def test_filters_and_search(store, kw, expected):
    assert ids(store, **kw) == expected


def test_pages_count_and_order_agree(store):
    q = QueueQuery()
    assert store.queue_count(q) == (5, 0)
    whole = [r["transcript_id"] for r in store.queue_page(q, 0, 50)]
    paged = [r["transcript_id"] for n in range(3) for r in store.queue_page(q, n * 2, 2)]
    assert paged == whole and len(set(whole)) == 5
    keys = [(budget_rank(r["budget"] or "", r["sampled"]), 0 if r["needs_review"] else 1,
             -len(r["flagged_items"].split()), r["certainty"]) for r in store.queue_page(q, 0, 50)]
    assert keys == sorted(keys)


def test_next_skips_reviewed_and_wraps(store):
    from grader.review.overrides import mark_reviewed
    q = QueueQuery()
    order = [r["transcript_id"] for r in store.queue_page(q, 0, 50)]
    mark_reviewed(store, order[1], "主管")
    assert store.queue_step(q, order[0], unreviewed=True) == order[2]
    assert store.queue_step(q, order[-1], unreviewed=True) is None
    assert store.queue_step(q, order[-1], unreviewed=True, wrap=True) == order[0]
    assert store.queue_step(q, order[2], forward=False) == order[1]
    assert store.queue_count(q) == (5, 1)
    assert ids(store, reviewed=True) == {order[1]}
    assert order[1] not in ids(store, reviewed=False)


def test_item_filter_and_needs_review(store):
    rows = store.queue_page(QueueQuery(), 0, 50)
    flagged = {i for r in rows for i in (r["flagged_items"] or "").split()}
    for item in flagged:
        assert ids(store, item=item) == {r["transcript_id"] for r in rows if f" {item} " in r["flagged_items"]}
    assert ids(store, needs_review=True) | ids(store, needs_review=False) == {c.id for c in CHATS}


def test_regrade_keeps_one_queue_row(store, grader):
    store.save([(CHATS[0], grader.grade(CHATS[0], scenario="aftersale"))])
    assert store.count(review_queue) == 5
    row = next(r for r in store.queue_page(QueueQuery(search="tb-001"), 0, 5))
    assert row["scenario"] == "aftersale"


def test_queue_rows_are_built_for_an_older_database(store):
    with store.engine.begin() as conn:
        conn.execute(delete(review_queue))
    again = Store(store.url)  # opening the database writes the missing rows
    assert again.count(review_queue) == 5
    assert ids(again, search="纯棉") == {"tb-002"}


def test_latest_day_is_local(store):
    assert store.latest_day(SHANGHAI) == "2026-11-23"


def test_queue_final_follows_overrides_and_regrades(store, grader):
    from grader.review.overrides import apply_override, final_total

    card = store.current_scorecards(["tb-002"])["tb-002"]
    item = next(i for i in card.items if len(i.levels) > 1)
    level = next(v for v in item.levels if v != item.score)
    apply_override(store, "tb-002", item.id, level, "主管改分", "主管")
    row = store.queue_page(QueueQuery(search="tb-002"), 0, 5)[0]
    assert row["final_total"] == final_total(store, "tb-002", grader.rubric) != row["suggested"]
    t = next(c for c in CHATS if c.id == "tb-002")
    store.save([(t, grader.grade(t))])  # stored again: the queue row starts from the suggested total
    store.refresh_finals(grader.rubric, ["tb-002", "tb-001"])  # as the daily run does after each batch
    row = store.queue_page(QueueQuery(search="tb-002"), 0, 5)[0]
    assert row["final_total"] == final_total(store, "tb-002", grader.rubric)
