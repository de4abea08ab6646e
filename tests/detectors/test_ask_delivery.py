"""Tables for presale.ask_needs and presale.delivery_notes (order comes first)."""
import pytest

from grader.detectors.ask_needs import AskNeedsDetector
from grader.detectors.delivery_notes import DeliveryNotesDetector
from grader.detectors.lexicon import LexiconSet
from tests.builders import chat


@pytest.fixture(scope="module")
def lexicons():
    return LexiconSet.load()


@pytest.mark.parametrize("name, lines, count", [
    ("usual size", ["c 10:00:00 这件T恤", "a 10:00:05 您平时穿多大码呢？"], 1),
    ("height and weight", ["c 10:00:00 想买裤子", "a 10:00:05 亲，身高体重多少？"], 1),
    ("gift or self", ["c 10:00:00 这个杯子", "a 10:00:05 是送人还是自己用呢"], 1),
    ("budget", ["c 10:00:00 想买个耳机", "a 10:00:05 您的预算大概多少"], 1),
    ("colour preference", ["c 10:00:00 想要一件外套", "a 10:00:05 您喜欢什么颜色"], 1),
    ("statement is no question", ["c 10:00:00 尺码怎么选", "a 10:00:05 身高体重对照表在详情页"], 0),
    ("echo of the customer's numbers (tricky)", ["c 10:00:00 我身高170", "a 10:00:05 身高170是吗"], 0),
    ("customer asking is not the agent asking", ["c 10:00:00 你们平时穿多大码？", "a 10:00:05 好的"], 0),
    ("auto-reply question", ["c 10:00:00 在吗", "auto 10:00:01 请问您身高体重多少？", "a 10:00:09 您好"], 0),
])
def test_ask_needs(lexicons, name, lines, count):
    (m,) = AskNeedsDetector(lexicons).detect(chat(*lines))
    assert m.item == "presale.ask_needs"
    assert m.value == count, (name, [f.reason for f in m.findings])


def _with_order_notice(c, index):
    c.messages[index].kind = "order"
    return c


@pytest.mark.parametrize("name, lines, order_at, count, review", [
    ("customer says 拍了, then notes", ["c 10:00:00 我拍了", "a 10:00:05 好的亲，签收前请检查外包装"], None, 2, False),
    ("order notice, then 当面验货", ["s 10:00:00 买家已付款", "a 10:00:05 收到后请当面验货，破损请拒收"], 0, 2, False),
    ("agent confirms order", ["a 10:00:00 订单已收到", "a 10:00:05 有破损可以拒收哦"], None, 1, False),
    ("notes before the order don't count (tricky)", ["a 10:00:00 签收前请检查外包装", "c 10:00:10 好的我拍了"], None, 0, False),
    ("question 下单了吗 is no order", ["a 10:00:00 亲下单了吗？", "a 10:00:05 签收前检查外包装"], None, 0, True),
    ("还没付款 is no order", ["c 10:00:00 我还没付款", "a 10:00:05 签收前检查外包装"], None, 0, True),
    ("no order at all", ["c 10:00:00 有货吗", "a 10:00:05 有的"], None, 0, True),
    ("order but no notes", ["c 10:00:00 付款了", "a 10:00:05 好的，尽快发货"], None, 0, False),
    ("拍了照片 is no order", ["c 10:00:00 我拍了照片", "a 10:00:05 收到后有问题联系我们"], None, 0, True),
])
def test_delivery_notes(lexicons, name, lines, order_at, count, review):
    c = chat(*lines)
    if order_at is not None:
        _with_order_notice(c, order_at)
    (m,) = DeliveryNotesDetector(lexicons).detect(c)
    assert m.item == "presale.delivery_notes"
    assert m.value == count, (name, [f.reason for f in m.findings])
    assert m.needs_review == review, name
    if review:
        assert m.confidence == 0.5 and m.reason == "本次会话没有成交，无法判断签收提醒"
