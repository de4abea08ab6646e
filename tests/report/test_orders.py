"""Sales from an order export (grader.report.orders), joined to the chats by buyer and time; the
join is tested on an order export generated from the bundled samples."""
import csv
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from grader.detectors.lexicon import LexiconSet
from grader.pipeline import Grader
from grader.report.month import NO_ORDERS, build_month
from grader.report.month_files import write_month_html, write_month_workbook
from grader.report.orders import Order, OrderFile, OrderFileError, read_orders, sales
from grader.report.policy import load_policy
from grader.rubric import load_rubric
from grader.store import Store
from grader.transcript import read_paths
from tests.builders import transcript

SAMPLES = Path(__file__).resolve().parents[2] / "transcripts"
HEADER = ["订单编号", "买家会员名", "订单创建时间", "订单付款时间", "买家实际支付金额", "宝贝总数量", "店铺名称"]


def when(text):
    from grader.transcript.parsing import parse_time
    return parse_time(text)


def order(buyer, placed, paid, amount=100.0, items=1, id="o"):
    return Order(buyer=buyer, order_time=when(placed), paid_time=when(paid) if paid else None, amount=amount,
                 items=items, order_id=id)


def presale(id, buyer, start="10:00:00", day="2026-11-22"):
    t = transcript(f"c {start} 这件有M码吗", "a 10:00:20 您好，有的", "c 10:01:00 好的", id=id, day=day)
    t.customer = buyer
    return t


JOIN = [
    pytest.param(order("b1", "2026-11-22 10:30:00", "2026-11-22 10:31:00"), "当日", id="paid the same day"),
    pytest.param(order("b1", "2026-11-22 23:00:00", "2026-11-23 08:00:00"), "次日", id="paid the next day"),
    pytest.param(order("b1", "2026-11-24 12:00:00", "2026-11-24 12:01:00"), "最终", id="within final_days"),
    pytest.param(order("b1", "2026-11-26 12:00:00", "2026-11-26 12:01:00"), "", id="after final_days: silent"),
    pytest.param(order("b1", "2026-11-22 09:00:00", "2026-11-22 10:30:00"), "", id="tricky-placed before the chat"),
    pytest.param(order("b1", "2026-11-22 10:30:00", None), "", id="never paid"),
    pytest.param(order("someone else", "2026-11-22 10:30:00", "2026-11-22 10:31:00"), "", id="another buyer"),
]


@pytest.mark.parametrize("o, paid", JOIN)
def test_join_by_buyer_and_time(o, paid):
    s = sales([(presale("t1", "b1"), "小美", "presale")], OrderFile(orders=[o]))
    (inquiry,) = s.inquiries
    assert inquiry.paid == paid


def test_an_order_goes_to_the_last_presale_chat_before_it():
    a, b = presale("t1", "b1"), presale("t2", "b1", start="15:00:00")
    s = sales([(a, "小美", "presale"), (b, "小王", "presale")],
              OrderFile(orders=[order("b1", "2026-11-22 16:00:00", "2026-11-22 16:00:30", 88.0, 2)]))
    mine = {i.agent: i for i in s.inquiries}
    assert mine["小王"].paid == "当日" and mine["小美"].paid == ""
    assert mine["小王"].amount == 88.0 and mine["小王"].items == 2


def test_after_sale_chats_are_no_inquiry_and_their_buyers_no_silent_orders():
    s = sales([(presale("t1", "b1"), "小美", "aftersale")],
              OrderFile(orders=[order("b1", "2026-11-22 10:30:00", "2026-11-22 10:31:00")]))
    assert s.inquiries == [] and s.silent == []


def test_frame_formulas():
    chats = [(presale("t1", "b1"), "小美", "presale"), (presale("t2", "b2"), "小美", "presale"),
             (presale("t3", "b3"), "小美", "presale"), (presale("t4", "b4"), "小美", "presale")]
    orders = OrderFile(orders=[
        order("b1", "2026-11-22 10:30:00", "2026-11-22 10:31:00", 100.0, 1, "A"),
        order("b1", "2026-11-22 11:00:00", "2026-11-22 11:01:00", 50.0, 2, "B"),
        order("b2", "2026-11-22 20:00:00", "2026-11-23 09:00:00", 150.0, 3, "C"),
        order("b9", "2026-11-22 12:00:00", "2026-11-22 12:00:10", 30.0, 1, "D")])
    row = sales(chats, orders).frame().set_index("客服")
    me = row.loc["小美"]
    assert me["询单人数"] == 4 and me["付款人数"] == 2
    assert me["询单→当日付款转化率(%)"] == 25.0 and me["询单→次日付款转化率(%)"] == 50.0
    assert me["客单价(元)"] == 150.0 and me["客件数"] == 3.0  # (150 + 150) ÷ 2 buyers, (3 + 3) ÷ 2
    assert me["答问比"] == round(4 / 8, 2)  # one human reply to two buyer lines, in each chat
    silent = row.loc["（静默下单：没有咨询直接付款）"]
    assert silent["付款人数"] == 1 and silent["付款金额(元)"] == 30.0


# --- the order file -------------------------------------------------------------------------------------

def test_bad_rows_are_set_aside_and_counted(tmp_path):
    path = tmp_path / "orders.csv"
    rows = [HEADER, ["1", "b1", "2026-11-22 10:30:00", "2026-11-22 10:31:00", "￥1,299.00", "2", "小店"],
            ["2", "", "2026-11-22 10:30:00", "", "10", "1", "小店"],
            ["3", "b2", "昨天", "", "10", "1", "小店"],
            ["4", "b3", "2026-11-22 10:30:00", "", "十元", "1", "小店"], [], ["5", "b4", "2026-11-22 11:00", "", "9.9", "", ""]]
    with open(path, "w", encoding="gbk", newline="") as f:
        csv.writer(f).writerows(rows)
    got = read_orders([path])
    assert got.rows == 5 and len(got.orders) == 2 and len(got.set_aside) == 3
    assert got.orders[0].amount == 1299.0 and got.orders[0].items == 2 and got.orders[1].items == 1
    assert [b.line for b in got.set_aside] == [3, 4, 5]
    assert "没有买家账号" in got.set_aside[0].reason and "金额不是数字" in got.set_aside[2].reason


def test_a_file_without_the_needed_columns_is_refused(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("订单编号,金额\n1,10\n", encoding="utf-8")
    with pytest.raises(OrderFileError, match="买家账号、下单时间"):
        read_orders([path])


# --- on the bundled samples: a generated order export through the month ---------------------------------

@pytest.fixture(scope="module")
def month_store(tmp_path_factory):
    chats = read_paths([SAMPLES]).transcripts
    grader = Grader()
    cards = [(t, grader.grade(t)) for t in chats]
    db = f"sqlite:///{tmp_path_factory.mktemp('orders') / 'g.db'}"
    Store(db).save(cards)
    return db, cards


def generated_export(cards, path: Path) -> dict:
    """An order export of the samples: every pre-sale chat's buyer places an order 10 minutes after
    the chat began, paid a minute later (chats begun before 23:00, every other one) or a day after
    the chat began; a buyer never seen in the chats buys too (silent); one row is broken.
    Returns what the join must find: per inquiry (agent, buyer, day of the chat), when it paid."""
    rows, expected = [HEADER], {}
    presale = [(t, c) for t, c in cards if c.scenario == "presale" and t.customer and t.started_at]
    for n, (t, card) in enumerate(presale):
        placed = t.started_at + timedelta(minutes=10)
        same_day = n % 2 == 0 and t.started_at.hour < 23
        paid = placed + timedelta(minutes=1) if same_day else t.started_at + timedelta(days=1)
        rows.append([f"S{n}", t.customer, placed.strftime("%Y-%m-%d %H:%M:%S"), paid.strftime("%Y-%m-%d %H:%M:%S"),
                     f"{100 + n}.50", str(n % 3 + 1), t.shop or ""])
        key = (card.agent, t.customer, t.started_at.date())
        expected.setdefault(key, "当日" if same_day else "次日")
    rows.append(["S99", "从没咨询过的买家", "2026-11-22 12:00:00", "2026-11-22 12:00:05", "66", "1", ""])
    rows.append(["S100", "坏行", "不是时间", "", "1", "1", ""])
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return {"paid": expected, "orders": len(presale)}


def test_order_join_on_the_bundled_samples(month_store, tmp_path):
    db, cards = month_store
    expected = generated_export(cards, tmp_path / "orders.csv")
    orders = read_orders([tmp_path / "orders.csv"])
    assert expected["orders"] >= 8 and len(orders.orders) == expected["orders"] + 1 and len(orders.set_aside) == 1
    report = build_month(Store(db), "2026-11", load_policy(), load_rubric(), LexiconSet.load(), orders=orders)
    inquiries = report.sales.inquiries
    assert {(i.agent, i.buyer, i.day): i.paid for i in inquiries} == expected["paid"]
    assert {o.order_id for i in inquiries for o in i.orders} == {f"S{n}" for n in range(expected["orders"])}
    assert [o.order_id for o in report.sales.silent] == ["S99"]
    book = openpyxl.load_workbook(write_month_workbook(report, tmp_path / "m.xlsx"))
    header = [c.value for c in book["销售（订单）"][1]]
    assert header[:3] == ["客服", "询单人数", "付款人数"] and "客单价(元)" in header and "答问比" in header
    assert book["销售明细"].max_row == len(inquiries) + 1


def test_xlsx_export_reads_like_csv(tmp_path, month_store):
    _, cards = month_store
    generated_export(cards, tmp_path / "orders.csv")
    book = openpyxl.Workbook()
    with open(tmp_path / "orders.csv", encoding="utf-8-sig") as f:
        for row in csv.reader(f):
            book.active.append(row)
    book.save(tmp_path / "orders.xlsx")
    assert read_orders([tmp_path / "orders.xlsx"]).orders == [
        o.__class__(**{**o.__dict__, "source": o.source.replace("csv", "xlsx")})
        for o in read_orders([tmp_path / "orders.csv"]).orders]


def test_without_orders_the_month_says_what_it_uses(month_store, tmp_path):
    db, _ = month_store
    report = build_month(Store(db), "2026-11", load_policy(), load_rubric(), LexiconSet.load())
    assert report.sales is None and report.sales_frame().iloc[0]["说明"] == NO_ORDERS
    assert "订单通知" in NO_ORDERS and "--orders" in NO_ORDERS
    book = openpyxl.load_workbook(write_month_workbook(report, tmp_path / "m.xlsx"))
    assert book["销售（订单）"]["A2"].value == NO_ORDERS
    assert not report.platform_frame().empty  # the samples' platforms have their own KPIs by default
    html = write_month_html(report, tmp_path / "m.html").read_text(encoding="utf-8")
    assert "平台口径指标" in html and "旺旺人工平响" in html and NO_ORDERS in html
