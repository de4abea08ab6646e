"""Each KPI as a table: chats that count and chats that must not (grader.report.kpis)."""
import pytest

from grader.detectors.lexicon import LexiconSet
from grader.pipeline import Grader
from grader.report.kpis import agent_kpis, chat_kpi, link_buyers
from grader.scorecard.final import final_card
from tests.builders import transcript


@pytest.fixture(scope="module")
def grader():
    return Grader()


@pytest.fixture(scope="module")
def lexicons():
    return LexiconSet.load()


def kpi(grader, lexicons, lines, scenario, overrides=None, id="t1", day="2026-11-22"):
    t = transcript(*lines, id=id, day=day)
    fc = final_card(grader.grade(t, scenario=scenario), overrides or {}, grader.rubric)
    return chat_kpi(t, fc, lexicons, slow_seconds=60)


CONVERSION = [
    pytest.param(["c 10:00:00 这件有M码吗", "a 10:00:05 您好，有的", "c 10:01:00 好的，拍了"], True, id="customer-拍了"),
    pytest.param(["c 10:00:00 有货吗", "a 10:00:05 您好，有的", "c 10:01:00 已经付款了"], True, id="customer-已经付款了"),
    pytest.param(["c 10:00:00 有货吗", "a 10:00:05 您好有的", "c 10:02:00 下好了", "a 10:02:10 订单已收到，尽快发货"],
                 True, id="agent-订单已收到"),
    pytest.param(["c 10:00:00 有货吗", "a 10:00:05 您好，有的", "c 10:01:00 我还没下单，再看看"], False, id="还没下单"),
    pytest.param(["c 10:00:00 有货吗", "a 10:00:05 您好，下单了吗"], False, id="agent-question-下单了吗"),
    pytest.param(["c 10:00:00 拍了照片给你看", "a 10:00:05 您好，收到"], False, id="tricky-拍了照片"),
]


@pytest.mark.parametrize("lines,ordered", CONVERSION)
def test_conversion_counts_chats_with_an_order(grader, lexicons, lines, ordered):
    k = kpi(grader, lexicons, lines, "presale")
    assert k.ordered is ordered
    assert bool(k.ordered_why) is ordered


LOST = [
    pytest.param(["c 10:00:00 这件有M码吗", "a 10:00:05 您好，有的", "c 10:01:00 多少钱？"], True,
                 id="last-question-unanswered"),
    pytest.param(["c 10:00:00 这件有M码吗", "a 10:03:00 您好，有的"], True, id="left-after-slow-reply"),
    pytest.param(["c 10:00:00 这件有M码吗", "a 10:00:05 您好，有的"], False, id="quick-answer-then-silence"),
    pytest.param(["c 10:00:00 这件有M码吗", "a 10:00:05 您好，有的", "c 10:01:00 好的谢谢"], False,
                 id="closing-thanks-is-no-question"),
    pytest.param(["c 10:00:00 这件有M码吗", "a 10:03:00 您好，有的", "c 10:03:30 那我拍了"], False,
                 id="slow-but-ordered"),
    pytest.param(["c 10:00:00 这件有M码吗", "a 10:03:00 您好，有的", "c 10:03:30 好", "a 10:03:35 好的呢"], False,
                 id="slow-but-buyer-wrote-again"),
]


@pytest.mark.parametrize("lines,lost", LOST)
def test_lost_customers(grader, lexicons, lines, lost):
    assert kpi(grader, lexicons, lines, "presale").lost is lost


def test_lost_and_conversion_count_only_presale_chats(grader, lexicons):
    k = kpi(grader, lexicons, ["c 10:00:00 我的快递呢？"], "aftersale")
    assert not k.lost and not k.ordered
    agents = agent_kpis([k])
    assert agents["（未知）"].values["conversion"] is None and agents["（未知）"].bases["conversion"] == 0


SOLVED = [
    pytest.param(["c 10:00:00 衣服破了个洞", "a 10:00:20 非常抱歉，已经为您补发了", "c 10:01:00 好的谢谢"], {}, True,
                 id="reissued"),
    pytest.param(["c 10:00:00 我要退款", "a 10:00:20 已经给您退款了", "c 10:01:00 收到了，谢谢"], {}, True,
                 id="refund-approved"),
    pytest.param(["c 10:00:00 快递三天没动了", "a 10:00:20 我帮您问一下，明天上午10点前联系您", "c 10:01:00 好"], {}, False,
                 id="only-next-contact-agreed"),
    pytest.param(["c 10:00:00 快递三天没动了", "a 10:00:20 有消息通知你"], {}, False, id="vague"),
    pytest.param(["c 10:00:00 快递三天没动了", "a 10:00:20 有消息通知你"],
                 {"aftersale.same_day_resolution": {"to_value": "10", "by": "主管A"}}, True,
                 id="supervisor-set-full"),
    pytest.param(["c 10:00:00 衣服破了个洞", "a 10:00:20 非常抱歉，已经为您补发了", "c 10:01:00 好的谢谢"],
                 {"aftersale.same_day_resolution": {"to_value": "0", "by": "主管A"}}, False,
                 id="supervisor-set-zero"),
]


@pytest.mark.parametrize("lines,overrides,solved", SOLVED)
def test_first_contact_resolution(grader, lexicons, lines, overrides, solved):
    k = kpi(grader, lexicons, lines, "aftersale", overrides)
    assert k.solved is solved


def test_first_contact_resolution_ignores_presale(grader, lexicons):
    assert not kpi(grader, lexicons, ["c 10:00:00 有货吗", "a 10:00:05 您好，有的"], "presale").solved


OPEN = ["c 10:00:00 快递三天没动了", "a 10:00:20 我帮您问一下，明天上午10点前联系您", "c 10:01:00 好"]
RESOLVED_24H = [
    pytest.param([], False, id="no-later-chat"),
    pytest.param([(["a 09:00:00 您好，您的快递已经到站了，今天送达", "c 09:01:00 好的谢谢"], "2026-11-23")], True,
                 id="agent-called-back-next-morning"),
    pytest.param([(["c 09:00:00 快递还是没动", "a 09:00:20 非常抱歉，已经为您补发了", "c 09:01:00 好的"], "2026-11-23")], True,
                 id="buyer-came-back-solved"),
    pytest.param([(["c 11:00:00 快递还是没动", "a 11:00:20 有消息通知你"], "2026-11-23")], False,
                 id="buyer-came-back-still-open"),
    pytest.param([(["a 10:30:00 您好，您的快递到了", "c 10:31:00 好的"], "2026-11-24")], False,
                 id="contact-after-24h"),
]


@pytest.mark.parametrize("later,resolved", RESOLVED_24H)
def test_resolved_within_24h_uses_the_same_buyers_later_chats(grader, lexicons, later, resolved):
    first = kpi(grader, lexicons, OPEN, "aftersale", id="first")
    others = [kpi(grader, lexicons, lines, "aftersale", id=f"later{n}", day=day) for n, (lines, day) in enumerate(later)]
    [linked] = link_buyers([first], [first, *others], hours=24)
    assert linked.resolved_24h is resolved


def test_resolved_within_24h_needs_the_same_buyer(grader, lexicons):
    first = kpi(grader, lexicons, OPEN, "aftersale", id="first")
    t = transcript("a 09:00:00 您好，您的快递已经到站了", "c 09:01:00 好的谢谢", id="other", day="2026-11-23")
    t.customer = "别的顾客"
    other = chat_kpi(t, final_card(grader.grade(t, scenario="aftersale"), {}, grader.rubric), lexicons, 60)
    [linked] = link_buyers([first], [first, other], hours=24)
    assert not linked.resolved_24h


COMPLAINT = [
    pytest.param("再不处理我就投诉你们", True, id="threat-投诉"),
    pytest.param("已经给你们差评了", True, id="差评-made"),
    pytest.param("我要打12315", True, id="12315"),
    pytest.param("我去举报你们", True, id="举报"),
    pytest.param("我要去找工商", True, id="找工商"),
    pytest.param("放心，不会给差评的", False, id="不会给差评"),
    pytest.param("我不投诉了，谢谢", False, id="不投诉"),
    pytest.param("你们投诉电话是多少", False, id="asks-complaint-number"),
    pytest.param("东西很好，给你们好评", False, id="好评"),
]


@pytest.mark.parametrize("text,counted", COMPLAINT)
def test_complaint_share(grader, lexicons, text, counted):
    k = kpi(grader, lexicons, [f"c 10:00:00 {text}", "a 10:00:10 您好，非常抱歉"], "aftersale")
    assert k.complaint is counted


def test_agent_words_are_no_complaint(grader, lexicons):
    k = kpi(grader, lexicons, ["c 10:00:00 衣服破了", "a 10:00:10 您好，麻烦不要给差评，我们给您补发"], "aftersale")
    assert not k.complaint


REFUND = [
    pytest.param("我要退款", True, id="我要退款"),
    pytest.param("直接退货吧", True, id="退货吧"),
    pytest.param("退款什么时候到账", True, id="refund-status"),
    pytest.param("我已经申请了退款", True, id="已申请"),
    pytest.param("尺码不对，帮我换一个", True, id="exchange"),
    pytest.param("支持七天无理由退货吗", False, id="presale-policy-question"),
    pytest.param("能退吗", False, id="能退吗"),
    pytest.param("算了，不用退款了", False, id="不用退款"),
    pytest.param("不想退了", False, id="不想退"),
]


@pytest.mark.parametrize("text,counted", REFUND)
def test_refund_share(grader, lexicons, text, counted):
    k = kpi(grader, lexicons, [f"c 10:00:00 {text}", "a 10:00:10 您好"], "aftersale")
    assert k.refund is counted


def test_response_measures_weight_chats_by_their_answered_turns(grader, lexicons):
    fast = kpi(grader, lexicons, ["c 10:00:00 在吗", "a 10:00:10 您好", "c 10:01:00 有货吗", "a 10:01:10 有的"],
               "presale", id="fast")
    slow = kpi(grader, lexicons, ["c 11:00:00 在吗", "a 11:01:10 您好"], "presale", id="slow")
    a = agent_kpis([fast, slow])["小店:小美"]
    assert a.values["avg_response"] == pytest.approx((10 + 10 + 70) / 3)
    assert a.values["within_30s"] == pytest.approx(2 / 3)
    assert a.values["max_wait"] == 70 and a.counted["max_wait"] == ["slow"]
    assert a.counted["avg_response"] == ["slow"]  # a reply slower than 30 s


def test_unanswered_turns_drill_down_to_their_chats(grader, lexicons):
    answered = kpi(grader, lexicons, ["c 10:00:00 在吗", "a 10:00:10 您好"], "presale", id="ok")
    ignored = kpi(grader, lexicons, ["c 10:00:00 在吗", "a 10:00:10 您好", "c 10:01:00 有货吗"], "presale", id="open")
    a = agent_kpis([answered, ignored])["小店:小美"]
    assert a.values["unanswered"] == 1 and a.counted["unanswered"] == ["open"]
