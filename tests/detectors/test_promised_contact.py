from datetime import datetime

import pytest

from grader.detectors.lexicon import LexiconSet
from grader.detectors.promised_contact import PromisedContactDetector, cn_number, duration_seconds, time_deadline
from grader.transcript.model import SHANGHAI
from tests.builders import chat


@pytest.fixture(scope="module")
def detector():
    return PromisedContactDetector(LexiconSet.load())


def measure(detector, *lines):
    (m,) = detector.detect(chat(*lines))
    assert m.item == "aftersale.promised_contact"
    return m


ASK = "c 10:00:00 我的快递三天没动了"


@pytest.mark.parametrize("name, lines, value, verdicts", [
    ("kept at 7 of 10 minutes", [ASK, "a 10:00:10 亲，我帮您查一下，10分钟内给您回复", "a 10:07:10 查到了，明天送达"],
     1, ["kept"]),
    ("broken at 40 minutes", [ASK, "a 10:00:10 10分钟内给您回复", "c 10:30:00 怎么还没消息",
                              "a 10:40:10 不好意思，查到了"], 0, ["broken"]),
    ("半小时 kept", [ASK, "a 10:00:10 半小时内给您答复", "a 10:25:00 已经催过快递了"], 1, ["kept"]),
    ("半小时 broken", [ASK, "a 10:00:10 半小时内给您答复", "a 10:45:00 已经催过快递了"], 0, ["broken"]),
    ("两个小时内 kept", [ASK, "a 10:00:10 两个小时内会有专员联系您", "a 11:50:00 您好，专员已经核实"], 1, ["kept"]),
    ("一个半小时 broken", [ASK, "a 10:00:10 一个半小时内给您处理", "a 11:40:00 处理好了"], 0, ["broken"]),
    ("十分钟 Chinese numeral", [ASK, "a 10:00:10 十分钟之内给您回复", "a 10:09:00 查到了"], 1, ["kept"]),
    ("window beyond the transcript", [ASK, "a 10:00:10 24小时内给您答复", "c 10:01:00 好的"], None, ["unknown"]),
    ("broken: chat goes on past the window with no agent", [
        ASK, "a 10:00:10 10分钟内给您回复", "c 10:30:00 人呢？"], 0, ["broken"]),
    ("time of day kept", [ASK, "a 10:00:10 明天上午给您回电", "a 2026-11-23 09:30:00 您好，回访一下"], 1, ["kept"]),
    ("time of day broken", [ASK, "a 10:00:10 明天上午给您回电", "a 2026-11-23 15:00:00 您好"], 0, ["broken"]),
    ("下午5点前 kept", [ASK, "a 10:00:10 今天下午5点前联系您", "a 16:50:00 您好"], 1, ["kept"]),
    ("跟进 at a stated time is a contact promise", [ASK, "a 09:02:30 我下午2点前再帮您跟进一次", "c 09:03:05 行吧",
                                                 "a 13:40:12 亲，物流显示您已签收了"], 1, ["kept"]),
    ("the immediate answer to the customer keeps nothing (tricky)", [
        "c 21:07:10 我就是没收到啊", "a 21:08:02 您把订单号发我，明天中午12点前给您结果", "c 21:08:40 261121-448120",
        "a 21:09:05 收到，请您明天保持电话畅通"], None, ["unknown"]),
    ("negated is no promise", [ASK, "a 10:00:10 这个无法在10分钟内回复您"], 0, []),
    ("customer's words are no promise", ["c 10:00:00 你10分钟内给我回复", "a 10:00:10 好的亲"], 0, []),
    ("前一天 is not a window", [ASK, "a 10:00:10 预约客服会在收货日期的前一天与您联系确认送货"], 0, []),
    ("商品到达一天后 is not from now", [ASK, "a 10:00:10 商品到达一天后会有安装师傅跟您联系"], 0, []),
    ("马上联系我们 asks the customer to call", [ASK, "a 10:00:10 签收后发现问题可以马上联系我们"], 0, []),
    ("第一时间联系我们 asks the customer", [ASK, "a 10:00:10 有其他问题欢迎第一时间联系我们哦"], 0, []),
    ("没有回复 is not 有回复", [ASK, "a 10:00:10 站点没有回复我 我电话联系下配送员"], 0, []),
    ("auto-reply is no promise", [ASK, "auto 10:00:01 客服将在10分钟内回复您", "a 10:30:00 您好"], 0, []),
])
def test_promises(detector, name, lines, value, verdicts):
    m = measure(detector, *lines)
    assert m.value == value, name
    assert [f.data["verdict"] for f in m.findings] == verdicts
    assert m.not_applicable == (not verdicts), name  # no timed promise: 不适用, not a failure
    for f in m.findings:
        assert f.lexicon == "promise"
        assert f.positive == (f.data["verdict"] == "kept")


# A promise with no stated time is shown, but it is no timed promise: 0, 不适用, unflagged (the
# convention: 5 only for contact promised within a stated time; "no timed promise → 0, N/A").
@pytest.mark.parametrize("name, lines, verdicts", [
    ("稍后 kept a few minutes later", [ASK, "a 10:00:10 我核实一下，稍后给您回复", "a 10:05:00 核实好了"], ["kept"]),
    ("稍后 with nothing after", [ASK, "a 10:00:10 稍后给您回复"], ["unknown"]),
    ("有消息通知你 (the tester's 你)", [ASK, "a 10:00:10 仓库在打包了，有消息通知你", "c 10:01:00 行吧"], ["unknown"]),
    ("有结果第一时间通知您, answered later", [ASK, "a 10:00:10 有结果第一时间通知您", "a 13:00:00 已经查到了"], ["kept"]),
    ("核实后联系您", [ASK, "a 10:00:10 我这边核实后联系您", "c 10:00:30 好"], ["unknown"]),
])
def test_untimed_promise_is_not_applicable(detector, name, lines, verdicts):
    m = measure(detector, *lines)
    assert (m.value, m.not_applicable, m.needs_review) == (0, True, False), name
    assert [f.data["verdict"] for f in m.findings] == verdicts, name
    assert "没有说定时限" in m.reason


@pytest.mark.parametrize("name, lines, value", [
    ("a timed promise kept beside a vague one", [ASK, "a 10:00:10 稍后给您回复", "a 10:03:00 10分钟内给您结果",
                                                "a 10:09:00 查到了"], 1),
    ("a timed promise broken beside a kept vague one", [ASK, "a 10:00:10 10分钟内给您回复", "a 10:40:00 稍后给您回复",
                                                       "a 10:45:00 查到了"], 0),
])
def test_timed_promise_decides_beside_vague_ones(detector, name, lines, value):
    m = measure(detector, *lines)
    assert (m.value, m.not_applicable) == (value, False), name


def test_no_promise_is_not_applicable(detector):
    m = measure(detector, ASK, "a 10:00:10 亲，已经帮您催了")
    assert m.not_applicable and m.value == 0 and not m.needs_review
    assert m.reason == "客服没有作出限时联系的承诺"


def test_unknown_reason(detector):
    m = measure(detector, ASK, "a 10:00:10 24小时内给您答复")
    assert m.needs_review and "承诺时限在会话记录之外，无法核实" in m.reason


def test_no_timestamps(detector):
    m = measure(detector, "c 快递没动", "a 10分钟内给您回复", "a 查到了")
    assert m.value is None and m.needs_review
    assert "时间戳" in m.reason


def test_kept_evidence_points_at_both_messages(detector):
    m = measure(detector, ASK, "a 10:00:10 亲，10分钟内给您回复", "a 10:07:10 查到了")
    (f,) = m.findings
    assert [e.message_index for e in f.evidence] == [1, 2]
    assert f.evidence[0].quote == "10分钟内给您回复"


@pytest.mark.parametrize("text, number", [("10", 10), ("十", 10), ("十五", 15), ("二十四", 24), ("两", 2),
                                           ("半", 0.5), ("一百", 100), ("三十", 30)])
def test_cn_number(text, number):
    assert cn_number(text) == number


@pytest.mark.parametrize("text, seconds", [("10分钟内", 600), ("半小时", 1800), ("半个小时", 1800),
                                            ("两个小时", 7200), ("一个半小时", 5400), ("24小时", 86400),
                                            ("3个工作日", 3 * 86400)])
def test_duration_seconds(text, seconds):
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text, said, deadline", [
    ("明天上午给您回电", "2026-11-22T15:00", "2026-11-23T12:00"),
    ("今天下午5点前联系您", "2026-11-22T10:00", "2026-11-22T17:00"),
    ("10点给您回电", "2026-11-22T15:00", "2026-11-23T10:05"),
    ("明天给您答复", "2026-11-22T15:00", "2026-11-23T23:59:59"),
])
def test_time_deadline(text, said, deadline):
    at = lambda s: datetime.fromisoformat(s).replace(tzinfo=SHANGHAI)  # noqa: E731
    assert time_deadline(text, at(said), 300, SHANGHAI) == at(deadline)


@pytest.mark.parametrize("tz, value", [
    ("Asia/Shanghai", 1),  # 3点前 is 15:00 Beijing: 14:30 keeps it
    ("Asia/Tokyo", 0),     # 3点前 on a Tokyo clock is 14:00 Beijing: 14:30 is late
], ids=["shanghai-kept", "tokyo-broken"])
def test_promise_deadlines_are_on_the_run_tz_clock(tz, value):
    """Tricky: the same words, the deadline read on the shop's clock (--tz), not Beijing always."""
    detector = PromisedContactDetector(LexiconSet.load(), {"tz": tz})
    m = measure(detector, ASK, "a 10:00:10 今天下午3点前给您回复", "a 14:30:00 查到了，明天送达")
    assert m.value == value


def test_time_deadline_takes_the_zone():
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    said = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)
    assert time_deadline("今天下午3点前", said, 0, tokyo) == datetime(2026, 11, 22, 15, 0, tzinfo=tokyo)
