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
    ("confirming the order", ["c 10:00:00 退款到哪了", "a 10:00:05 请问是这个订单吗?"], 1),
    ("confirming the item", ["c 10:00:00 被子有问题", "a 10:00:05 这件商品吗?"], 1),
    ("asking how they paid", ["c 10:00:00 退款没到", "a 10:00:05 您是什么支付方式呢"], 1),
    ("asking which phone model is about the case", ["c 10:00:00 发票打不开", "a 10:00:05 请问您是苹果手机吗"], 1),
    ("asking to check the item", ["c 10:00:00 退两包", "a 10:00:05 请您核对一下商品哦。"], 1),
    # questions that do not find out the problem
    ("phone number to call back (tricky)", ["c 10:00:00 没收到", "a 10:00:05 请问您的联系电话是多少？"], 0),
    ("e-mail to send the invoice", ["c 10:00:00 发票", "a 10:00:05 您的邮箱是什么呢？"], 0),
    ("permission for the agent's own step", ["c 10:00:00 没收到", "a 10:00:05 这边为您升级专员回电可以吗"], 0),
    ("routing question", ["c 10:00:00 你好", "a 10:00:05 请问您是咨询之前的问题还是有其他的问题需要处理呢?"], 0),
    ("closing question", ["c 10:00:00 好的", "a 10:00:05 请问还有其他可以帮到您的吗?"], 0),
    ("holding line is no clarification (tricky)", ["c 10:00:00 快递没到", "a 10:00:05 正在为您查询，请您稍等"], 0),
    ("稍等 plus checking is no clarification", ["c 10:00:00 快递没到", "a 10:00:05 亲爱的，请您稍等。这边帮您查询"], 0),
])
def test_clarify_issue(lexicons, name, lines, count):
    (m,) = ClarifyIssueDetector(lexicons).detect(chat(*lines))
    assert m.item == "aftersale.clarify_issue"
    assert m.value == count, (name, [f.reason for f in m.findings])
