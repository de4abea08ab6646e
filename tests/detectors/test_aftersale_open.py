"""Tables for aftersale.warm_greeting and aftersale.clarify_issue."""
import pytest

from grader.detectors.clarify_issue import ClarifyIssueDetector
from grader.detectors.lexicon import LexiconSet
from grader.detectors.warm_greeting import WarmGreetingDetector
from tests.builders import chat


@pytest.fixture(scope="module")
def lexicons():
    return LexiconSet.load()


# The agent's first human reply (bubbles before the customer speaks again) greets, by the convention.
@pytest.mark.parametrize("name, lines, greeted, waited", [
    ("您好 first", ["c 10:00:00 衣服坏了", "a 10:00:05 您好，很高兴为您服务"], True, False),
    ("self-introduction", ["c 10:00:00 发票开错了", "a 10:00:05 我是售后小林，这就帮您看"], True, False),
    ("sorry to keep you waiting", ["c 10:00:00 快递呢", "a 10:00:05 让您久等了，查到了"], True, False),
    ("在的 answering 在吗", ["c 10:00:00 在吗", "a 10:00:05 在的呢"], True, False),
    ("在哒 after a generic opener, answering 在吗", ["c 10:00:00 在吗",
                                                "a 10:00:05 有什么问题我可以帮您处理或解决呢? 在哒"], True, False),
    ("two bubbles of one reply", ["c 10:00:00 在吗", "a 10:00:05 [图片]", "a 10:00:06 稍等", "a 10:00:07 亲，在的呢"],
     True, False),
    ("greeting after complaint still counts", ["c 10:00:00 在吗", "c 10:02:00 人呢", "a 10:03:00 您好，让您久等了"],
     True, True),
    # not greetings
    ("generic offer of help alone (tricky)", ["c 10:00:00 在吗", "a 10:00:05 有什么问题我可以帮您处理或解决呢?"],
     False, False),
    ("请问有什么可以帮您 alone", ["c 10:00:00 退款", "a 10:00:05 请问有什么可以帮您"], False, False),
    ("亲 alone is no greeting", ["c 10:00:00 坏了", "a 10:00:05 亲，拍下照片"], False, False),
    ("亲爱的 plus a holding line", ["c 10:00:00 没收到", "a 10:00:05 亲爱的，请您稍等，这边帮您查询"], False, False),
    ("holding line", ["c 10:00:00 没收到", "a 10:00:05 正在为您查询，请稍等"], False, False),
    ("在的 that answers no 在吗", ["c 10:00:00 衣服坏了", "a 10:00:05 在的，发个照片"], False, False),
    ("auto-reply greeting doesn't count", ["c 10:00:00 在吗", "auto 10:00:01 您好，欢迎光临", "a 10:00:30 查到了，已经发货"],
     False, False),
    ("greeting only in a later reply", ["c 10:00:00 坏了", "a 10:00:05 订单号", "c 10:00:20 123",
                                        "a 10:00:29 您好"], False, False),
])
def test_warm_greeting(lexicons, name, lines, greeted, waited):
    (m,) = WarmGreetingDetector(lexicons).detect(chat(*lines))
    assert m.item == "aftersale.warm_greeting"
    assert (m.value > 0) == greeted, (name, m.reason)
    if greeted:
        assert ("等待" in m.reason) == waited


@pytest.mark.parametrize("name, lines, count", [
    ("order number", ["c 10:00:00 东西坏了", "a 10:00:05 麻烦提供一下订单号"], 1),
    ("photo", ["c 10:00:00 有划痕", "a 10:00:05 拍个照片给我看看"], 1),
    ("where broken", ["c 10:00:00 坏了", "a 10:00:05 具体是哪里坏了呢"], 1),
    ("when received", ["c 10:00:00 漏液了", "a 10:00:05 亲是什么时候收到的？"], 1),
    ("generic opener is no clarification (tricky)", ["c 10:00:00 你好", "a 10:00:05 有什么问题我可以帮您处理或解决呢?"], 0),
    ("telling an order number is not asking", ["c 10:00:00 发货没", "a 10:00:05 您的订单号123已发货"], 0),
    ("customer sending photos", ["c 10:00:00 我发照片给你", "a 10:00:05 好的"], 0),
    ("two asks in one message count once", ["c 10:00:00 坏了", "a 10:00:05 麻烦发一下订单号和照片"], 1),
])
def test_clarify_issue(lexicons, name, lines, count):
    (m,) = ClarifyIssueDetector(lexicons).detect(chat(*lines))
    assert m.item == "aftersale.clarify_issue"
    assert m.value == count, (name, [f.reason for f in m.findings])
