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
    ("skin type as alternatives", ["c 10:00:00 这个面霜怎么样", "a 10:00:05 亲，您是油痘肌还是敏感肌呢？"], 1),
    ("habit question", ["c 10:00:00 这双鞋舒服吗", "a 10:00:05 您平时通勤多还是居家多？"], 1),
    ("child's age", ["c 10:00:00 这套绘本", "a 10:00:05 孩子今年几岁啦？"], 1),
    ("room size", ["c 10:00:00 这台空调", "a 10:00:05 您家客厅大概多大面积？"], 1),
    ("use of the product", ["c 10:00:00 这款平板", "a 10:00:05 您买来主要是看剧还是画画呀？"], 1),
    ("closing question is no need", ["c 10:00:00 好的", "a 10:00:05 亲，请问还有别的需要吗？"], 0),
    ("delivery check is no need", ["c 10:00:00 嗯", "a 10:00:05 您的包裹收到了吗？"], 0),
    ("asking for the order number is clarify", ["c 10:00:00 坏了", "a 10:00:05 您方便提供下订单号吗？"], 0),
    ("nudge is no need", ["c 10:00:00 我想想", "a 10:00:05 您考虑得怎么样了？"], 0),
    ("statement ending in 呢", ["c 10:00:00 物流呢", "a 10:00:05 您的件暂时还是没有更新的呢"], 0),
    ("delivery staff is not a gift", ["c 10:00:00 还没到", "a 10:00:05 有配送人员和您联系吗？"], 0),
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


# `na`: no sale in the chat, so the item is 不适用 (scored 0 by the default policy), not a failure.
@pytest.mark.parametrize("name, lines, order_at, count, na", [
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
def test_delivery_notes(lexicons, name, lines, order_at, count, na):
    c = chat(*lines)
    if order_at is not None:
        _with_order_notice(c, order_at)
    (m,) = DeliveryNotesDetector(lexicons).detect(c)
    assert m.item == "presale.delivery_notes"
    assert m.value == count, (name, [f.reason for f in m.findings])
    assert m.not_applicable == na and not m.needs_review, name
    if na:
        assert m.reason == "本次会话没有成交，不需要签收提醒"
