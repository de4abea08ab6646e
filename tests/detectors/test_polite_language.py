import pytest

from grader.detectors.lexicon import LexiconSet
from grader.detectors.polite_language import PoliteLanguageDetector
from tests.builders import chat


@pytest.fixture(scope="module")
def detector():
    return PoliteLanguageDetector(LexiconSet.load())


def measure(detector, *lines):
    (m,) = detector.detect(chat(*lines))
    assert m.item == "polite_language"
    return m


# One agent message per case: is it polite, and which term shows it.
@pytest.mark.parametrize("name, text, polite, term", [
    ("请 as a word", "请稍后再试一下", True, "请"),
    ("请问", "请问要什么颜色", True, "请问"),
    ("您好", "您好，在的", True, "您好"),
    ("您 alone", "这个给您发顺丰", True, "您"),
    ("谢谢", "谢谢支持", True, "谢谢"),
    ("感谢", "感谢惠顾", True, "感谢"),
    ("对不起", "对不起，发错了", True, "对不起"),
    ("不好意思", "不好意思久等了", True, "不好意思"),
    ("抱歉", "抱歉哈，没货了", True, "抱歉"),
    ("不客气 holds no listed word but is polite", "不客气哈", True, "不客气"),
    ("亲 as address", "亲，有货的", True, "亲"),
    ("亲亲", "亲亲，已经发货了", True, "亲亲"),
    ("申请 is not 请", "可以申请退款", False, None),
    ("邀请 is not 请", "邀请好友下单有返现", False, None),
    ("请假 is not 请", "仓库同事请假了", False, None),
    ("亲自 is not 亲", "我亲自去仓库看过了", False, None),
    ("plain answer", "有货的，今天发", False, None),
])
def test_polite_single_message(detector, name, text, polite, term):
    m = measure(detector, "c 10:00:00 在吗", f"a 10:00:05 {text}")
    assert m.value == (1.0 if polite else 0.0), name
    (f,) = m.findings
    assert f.positive == polite
    assert f.evidence[0].message_index == 1
    if polite:
        assert f.kind == "polite" and f.evidence[0].quote == term and f.lexicon == "polite"
    else:
        assert f.kind == "not_polite" and f.evidence[0].quote == text


@pytest.mark.parametrize("name, text, quote", [
    ("你 instead of 您", "你要哪个颜色", "你"),
    ("你们", "你们那边签收一下", "你们"),
    ("你的", "你的快递到了", "你的"),
    ("你好", "你好，在的", "你好"),
    ("请 does not save a 你 message", "请你提供一下订单号", "你"),
    ("谢谢你", "谢谢你的支持", "谢谢你"),
])
def test_you_address_is_negative(detector, name, text, quote):
    m = measure(detector, "c 10:00:00 在吗", f"a 10:00:05 {text}")
    assert m.value == 0.0, name
    (f,) = m.findings
    assert f.kind == "you_address" and not f.positive
    assert f.evidence[0].quote == quote


def test_mini_is_not_you(detector):
    m = measure(detector, "c 10:00:00 有小号吗", "a 10:00:05 您看这款迷你款")
    assert m.value == 1.0
    assert [f.kind for f in m.findings] == ["polite"]


def test_share_and_exclusions(detector):
    m = measure(detector,
                "c 10:00:00 在吗",
                "auto 10:00:01 【自动回复】欢迎光临",          # auto-reply: not the agent's words
                "a 10:00:05 您好，在的",                      # polite
                "a 10:00:06 https://item.taobao.com/x.htm",   # bare link: left out
                "a 10:00:07 [图片]",                          # image: left out
                "c 10:00:30 有黑色吗",
                "a 10:00:40 有的",                            # not polite
                "a 10:00:41 你要几件",                        # 你: not polite
                "a 10:00:50 谢谢亲")                          # polite
    assert m.value == pytest.approx(0.5)
    assert m.metrics == {"polite_coverage": 0.5, "polite_messages": 2, "countable_messages": 4,
                         "polite_excluded_messages": 2}
    kinds = {f.evidence[0].message_index: f.kind for f in m.findings}
    assert kinds == {2: "polite", 6: "not_polite", 7: "you_address", 8: "polite"}


def test_no_human_agent_message(detector):
    m = measure(detector, "c 10:00:00 在吗", "auto 10:00:01 您好，欢迎光临")
    assert m.value is None and m.needs_review
    assert m.metrics["polite_coverage"] is None


def test_only_placeholders(detector):
    m = measure(detector, "c 10:00:00 在吗", "a 10:00:05 [图片]")
    assert m.value is None and m.needs_review
    assert m.metrics["polite_excluded_messages"] == 1
