"""Regressions testers named (issue 23), each as a kind with its look-alikes, graded end to end.

1. a pre-sale chat in which the buyer orders (好的拍了, 买家已付款) is pre-sale, not after-sale by default;
2. a satisfied closing line after a fix (满意, 已经给你们好评了) closes the case: same_day_resolution 10;
3. a factual explanation ("是正常的霜，不影响饮用") is an answer, not a denial of the complaint;
4. sending the buyer off to do it alone ("那你申请退货吧") is a deflection: not solved, attitude 0.
And one card, one reading (issue 27): service_attitude credits a follow-up only where
presale.follow_up counted one.
"""
import pytest

from grader.pipeline import Grader
from tests.builders import transcript


@pytest.fixture(scope="module")
def grader():
    return Grader(learned=False)


def card(grader, lines, scenario=None):
    return grader.grade(transcript(*lines), scenario)


@pytest.mark.parametrize("name, lines, scenario", [
    ("buyer orders after one answer", ["c 10:00:00 这个是什么材质", "a 10:00:05 纯棉的亲", "c 10:00:20 好的拍了"], "presale"),
    ("a paid notice after the answer", ["c 10:00:00 这个杯子多大", "a 10:00:05 350毫升的", "s 10:00:40 买家已付款",
                                        "a 10:00:50 好的亲，尽快为您发货"], "presale"),
    ("已经付款了 after the agent's answer", ["c 10:00:00 今天能发吗", "a 10:00:05 下午四点前下单当天发",
                                         "c 10:00:30 已经付款了"], "presale"),
    # look-alikes: the order words are about an order made before the chat
    ("拍了 in a complaint (tricky)", ["c 10:00:00 你好", "a 10:00:05 您好，请问有什么可以帮您",
                                     "c 10:00:20 我拍了三天了怎么还没发货"], "aftersale"),
    ("an order notice before the question", ["s 10:00:00 买家已付款", "c 10:00:05 收到的杯子碎了",
                                             "a 10:00:10 非常抱歉，给您补发一个"], "aftersale"),
    ("拍了照片 is no order (tricky)", ["c 10:00:00 衣服有个洞", "a 10:00:05 麻烦拍张照片", "c 10:00:20 拍了照片"],
     "aftersale"),
])
def test_an_order_placed_in_the_chat_means_pre_sale(grader, name, lines, scenario):
    assert card(grader, lines).scenario == scenario, name


FIX = ["c 10:00:00 收到的杯子碎了", "a 10:00:05 非常抱歉，已经给您登记补发了，明天发出"]


@pytest.mark.parametrize("name, closing, score", [
    ("满意", "满意", 10),
    ("非常满意", "非常满意", 10),
    ("好评", "已经给你们好评了", 10),
    ("an evaluation card", "[评价] 非常满意", 10),
    # look-alikes: dissatisfaction and questions are no acceptance
    ("不满意 (tricky)", "不满意", 0),
    ("a question about satisfaction", "你们这样我能满意吗", 0),
    ("a bad review", "给你们差评了", 0),
    ("不会给好评 (tricky)", "这样我不会给好评的", 0),
])
def test_a_satisfied_closing_after_a_fix_is_resolved(grader, name, closing, score):
    item = card(grader, FIX + [f"c 10:00:30 {closing}"], "aftersale").item("aftersale.same_day_resolution")
    assert item.score == score, (name, item.reason)
    if score:
        assert not item.needs_review, name


@pytest.mark.parametrize("name, lines, dismissal", [
    ("normal frost, explained", ["c 10:00:00 收到的酒瓶上有白霜", "a 10:00:05 亲，是正常的霜，不影响饮用的"], False),
    ("in answer to 是怎么回事", ["c 10:00:00 酒瓶上有白霜是怎么回事", "a 10:00:05 这是正常现象"], False),
    ("a reason given", ["c 10:00:00 衣服有股味道", "a 10:00:05 属于正常现象，因为是新衣服的染料味"], False),
    # look-alikes: a bare denial of a complaint
    ("a bare denial (tricky)", ["c 10:00:00 收到的毛巾一股馊味", "a 10:00:05 这是正常现象"], True),
    ("not a quality problem", ["c 10:00:00 鞋子穿了两天就开胶了", "a 10:00:05 这个不是质量问题"], True),
])
def test_a_factual_explanation_is_no_denial(grader, name, lines, dismissal):
    c = card(grader, lines, "aftersale")
    attitude = c.item("service_attitude")
    assert any(f.kind == "dismiss" for f in attitude.findings) == dismissal, (name, attitude.reason)
    same_day = c.item("aftersale.same_day_resolution")
    assert (same_day.score == 0 and "推脱" in same_day.reason) == dismissal, (name, same_day.reason)
    if not dismissal:
        assert c.item("product_expertise").score > 0, name


@pytest.mark.parametrize("name, reply, deflects", [
    ("那你申请退货吧", "那你申请退货吧", True),
    ("您自己申请售后吧", "您自己申请售后就行", True),
    ("你自己去申请", "你自己去申请", True),
    # look-alikes: guiding the procedure while acting oneself
    ("guided, the agent approves (tricky)", "您在订单页申请退货，我这边给您审核通过", False),
    ("the agent applies", "我帮您申请退货", False),
    ("a question about what the buyer did (tricky)", "您自行在前台申请过修改是吗", False),
])
def test_pushing_the_buyer_to_self_service_deflects(grader, name, reply, deflects):
    c = card(grader, ["c 10:00:00 衣服收到有破洞", f"a 10:00:05 {reply}"], "aftersale")
    attitude, same_day = c.item("service_attitude"), c.item("aftersale.same_day_resolution")
    assert (attitude.score == 0) == deflects, (name, attitude.reason)
    if deflects:
        assert same_day.score == 0 and attitude.needs_review, (name, same_day.reason)


@pytest.mark.parametrize("name, gap_line, counted", [
    ("还在吗 after 2 min 55 s: no follow-up on either item", "a 10:03:00 亲，还在吗？", False),
    ("还在吗 after 3 min 25 s: a follow-up on both", "a 10:03:30 亲，还在吗？", True),
])
def test_follow_up_read_once_on_the_card(grader, name, gap_line, counted):
    """Issue 27: the card said "不算跟进" under presale.follow_up and "主动跟进" under service_attitude."""
    c = card(grader, ["c 10:00:00 这个沙发垫有灰色吗", "a 10:00:05 有的亲，灰色和米色都有货", gap_line], "presale")
    follow_up = c.item("presale.follow_up")
    attitude = c.item("service_attitude")
    assert (follow_up.score == 5) == counted, (name, follow_up.reason)
    credited = [f for f in attitude.findings if f.data.get("cue") == "follow_up"]
    assert bool(credited) == counted, (name, attitude.reason)
    for f in credited:
        assert f.data["from_item"] == "presale.follow_up"
