import pytest

from grader.detectors.lexicon import LexiconSet
from grader.detectors.same_day_resolution import SameDayResolutionDetector
from tests.builders import chat


@pytest.fixture(scope="module")
def detector():
    return SameDayResolutionDetector(LexiconSet.load())


ASK = "c 10:00:00 收到的杯子是碎的"


@pytest.mark.parametrize("name, lines, value, kind", [
    ("refund done, customer thanks", [ASK, "a 10:00:10 非常抱歉，已经给您退款了", "c 10:01:00 好的谢谢"], 2, "resolved"),
    ("resend done", [ASK, "a 10:00:10 已为您补发一个新的", "a 10:00:20 还有其他问题吗"], 2, "resolved"),
    ("return agreed", [ASK, "a 10:00:10 已同意退货，您寄回就行"], 2, "resolved"),
    ("处理好了", [ASK, "a 10:00:10 亲，地址已经处理好了"], 2, "resolved"),
    ("customer confirms 解决了", [ASK, "a 10:00:10 您重启一下试试", "c 10:05:00 解决了，谢谢"], 2, "customer_solved"),
    ("concrete next contact", [ASK, "a 10:00:10 专员明天上午10点前联系您", "c 10:00:30 好的"], 2, "next_contact"),
    ("24 hours", [ASK, "a 10:00:10 24小时内给您答复", "c 10:00:30 行"], 2, "next_contact"),
    ("vague promise", [ASK, "a 10:00:10 稍后联系您", "c 10:00:30 好的"], 0, "vague"),
    ("vague: result notice", [ASK, "a 10:00:10 有结果通知您", "c 10:00:30 好"], 0, "vague"),
    ("hand-off only", [ASK, "a 10:00:10 已经为您反馈给仓库了", "c 10:00:30 嗯"], 0, "pending"),
    ("hand-off to a specialist, no time", [ASK, "a 10:00:10 好的 我联系一下", "c 10:00:30 谢谢",
                                          "a 10:00:40 一会专员会和您联系的", "c 10:00:50 好的谢谢"], 0, "vague"),
    ("specialist call-back within masked hours (tricky)", [ASK, "a 10:00:10 帮您升级到专员，会在[数字x]小时内电话联系您",
                                                          "c 10:00:30 好的"], 2, "next_contact"),
    ("answer plus an if-anything-happens offer is no hand-off", [
        "c 10:00:00 快递信息一直不更新", "a 10:00:10 预计明天给您送达，您放心",
        "a 10:00:20 如果有异常小妹会第一时间联系您的", "c 10:00:30 不用啦 谢谢"], 2, "customer_accepts"),
    ("customer will see to it alone (tricky)", [ASK, "a 10:00:10 建议您问问快递员", "c 10:00:30 好的，我先问问他",
                                                "a 10:00:40 请问还有其他问题吗", "c 10:00:50 没有了 谢谢"], 0, "protest"),
    ("waiting on the customer's screenshot", [ASK, "a 10:00:10 您后台设置的促销截图提供一下呢", "c 10:00:30 知道了",
                                              "a 10:00:40 请问还有什么可以帮您呢? 怠慢之处请您谅解"], 0, "waiting"),
    ("收到了 opening a complaint is not solved (tricky)", ["c 10:00:00 收到了，但是水箱裂了", "a 10:00:10 您好，我看下",
                                                         "c 10:01:00 嗯"], 2, "answered"),
    ("last message unanswered", [ASK, "a 10:00:10 您好", "c 10:01:00 那怎么办"], 0, "unanswered"),
    ("auto-reply is no answer", [ASK, "a 10:00:10 您好", "c 10:01:00 那怎么办", "auto 10:01:01 稍等"], 0, "unanswered"),
    ("still complaining", [ASK, "a 10:00:10 已经给您退款了", "c 10:30:00 怎么还没到账", "a 10:30:10 亲请耐心等待"],
     0, "protest"),
    ("protest then fixed", [ASK, "c 10:00:05 怎么还没人处理", "a 10:00:10 已经给您退款了", "c 10:01:00 好的"],
     2, "resolved"),
    ("deflect", [ASK, "a 10:00:10 这个我们也没办法，您自己联系快递", "c 10:01:00 哦"], 0, "deflect"),
    ("accepts without explicit fix", [ASK, "a 10:00:10 拍照给我看一下", "c 10:01:00 [图片]",
                                      "a 10:01:10 这个可以正常使用的", "c 10:02:00 好的谢谢"], 2, "customer_accepts"),
    ("negated refund is no fix", [ASK, "a 10:00:10 还没有给您退款", "c 10:00:20 嗯"], 0, "not_done"),
    ("resolved next day without agreement", [ASK, "a 10:00:10 您好，我看下", "c 10:01:00 嗯",
                                             "a 2026-11-23 10:00:00 已经给您退款了"], 0, "resolved"),
    ("resolved next day as agreed", [ASK, "a 10:00:10 明天上午给您答复", "c 10:01:00 嗯",
                                     "a 2026-11-23 10:00:00 已经给您退款了"], 2, "resolved"),
])
def test_same_day_resolution(detector, name, lines, value, kind):
    (m,) = detector.detect(chat(*lines))
    assert m.item == "aftersale.same_day_resolution"
    assert m.value == value, name
    assert [f.kind for f in m.findings][:1] == ([kind] if kind else [])
    assert m.needs_review == (m.confidence < 0.6 or kind in ("vague", "pending")), name
    assert 0.3 <= m.confidence <= 0.8


def test_no_timestamps_lowers_confidence(detector):
    (m,) = detector.detect(chat("c 杯子碎了", "a 已经给您退款了"))
    assert m.value == 2 and m.confidence == 0.6
    assert "时间戳" in m.reason


def test_no_customer(detector):
    (m,) = detector.detect(chat("a 10:00:00 您好"))
    assert m.value is None and m.needs_review


@pytest.mark.parametrize("tz, value", [
    ("Asia/Shanghai", 2),  # 07:30 and 08:30 Beijing time: one day
    ("UTC", 0),            # 23:30 and 00:30 UTC: the fix came the next day, nothing agreed
], ids=["shanghai-same-day", "utc-next-day"])
def test_the_day_is_the_run_tz_day(tz, value):
    """Tricky: the same chat, the day decided by the run's --tz (grader.dates.day_of), not Beijing always."""
    detector = SameDayResolutionDetector(LexiconSet.load(), {"tz": tz, "service_hours": "00:00-24:00"})
    (m,) = detector.detect(chat("c 07:30:00 收到的杯子是碎的", "a 07:30:10 您好，我看下", "c 07:31:00 嗯",
                                "a 08:30:00 已经给您退款了"))
    assert m.value == value


# "The day" of a question sent while the shop is closed is the day the shop could first serve it.
@pytest.mark.parametrize("name, hours, lines, value", [
    ("23:40 after closing, solved 08:01 next morning", "08:00-23:00", [
        "c 2026-11-22 23:40:00 我的耳机订单能改地址吗", "a 2026-11-23 08:00:30 您好，让您久等了，改到哪个地址呢？",
        "c 2026-11-23 08:01:00 杭州市西湖区文三路100号", "a 2026-11-23 08:01:20 好的，已经为您修改好了"], 2),
    ("03:00 before opening, solved at 09:00 the same date", "08:00-23:00", [
        "c 03:00:00 杯子碎了", "a 09:00:00 已经给您补发了"], 2),
    ("asked in service hours at 22:50, solved next morning (tricky)", "08:00-23:00", [
        "c 2026-11-22 22:50:00 杯子碎了", "a 2026-11-22 22:50:20 您好，我看一下",
        "a 2026-11-23 08:10:00 已经给您补发了"], 0),
    ("round-the-clock shop: 23:40 is that day's business", "00:00-24:00", [
        "c 2026-11-22 23:40:00 杯子碎了", "a 2026-11-23 08:10:00 已经给您补发了"], 0),
])
def test_the_day_starts_when_the_shop_opens(name, hours, lines, value):
    detector = SameDayResolutionDetector(LexiconSet.load(), {"service_hours": hours})
    (m,) = detector.detect(chat(*lines))
    assert m.value == value, (name, m.reason)


# The customer's words read in context: resolution is judged from the agent's actions and the end
# of the chat, not from a 收到了 or 好的 taken alone.
@pytest.mark.parametrize("name, lines, value", [
    ("收到了 opening a complaint (tricky)", ["c 10:00:00 收到了，但是水箱裂了", "a 10:00:10 非常抱歉，麻烦拍个照片",
                                           "c 10:01:00 [图片]"], 0),
    ("收到了 after the reissue is solved", ["c 10:00:00 少发了一个", "a 10:00:10 已为您补发",
                                           "c 2026-11-22 18:00:00 收到了，谢谢"], 2),
    ("好的 but still leaking", ["c 10:00:00 漏水", "a 10:00:10 已经给您退款了", "c 10:01:00 好的，可是还是没到账"], 0),
    ("可以了 after the agent's steps", ["c 10:00:00 打不开", "a 10:00:10 您长按开关十秒重启一下", "c 10:02:00 可以了"], 2),
    ("可以了吗 is a question, not a confirmation", ["c 10:00:00 地址改一下", "a 10:00:10 您好", "c 10:01:00 改好了吗"], 0),
])
def test_customer_words_in_context(detector, name, lines, value):
    (m,) = detector.detect(chat(*lines))
    assert m.value == value, (name, m.reason)
