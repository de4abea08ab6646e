import pytest

from grader.detectors.lexicon import LexiconSet
from grader.detectors.scenario import ScenarioDetector
from tests.builders import chat


@pytest.fixture(scope="module")
def detector():
    return ScenarioDetector(LexiconSet.load())


@pytest.mark.parametrize("name, lines, value, confident", [
    ("broken item, return", ["c 10:00:00 衣服收到就破了个洞，我要退货", "a 10:00:05 非常抱歉，麻烦拍个照片"], 1.0, True),
    ("not received", ["c 10:00:00 我的快递怎么还没收到", "a 10:00:05 亲，帮您查一下"], 1.0, True),
    ("stock and price", ["c 10:00:00 这款有货吗", "c 10:00:10 多少钱", "a 10:00:15 有货的亲"], 0.0, True),
    ("size question", ["c 10:00:00 我身高170穿什么尺码", "a 10:00:05 建议L码"], 0.0, True),
    ("policy question before buying is pre-sale (tricky)", ["c 10:00:00 不合适可以退货吗", "c 10:00:05 有优惠吗"], 0.0, True),
    ("order card first", ["c 10:00:00 [订单编号:123456]", "c 10:00:02 你好", "a 10:00:05 您好"], 1.0, True),
    ("greeting only: default pre-sale, unsure", ["c 10:00:00 在吗", "a 10:00:05 在的"], 0.0, False),
    ("equal mixed cues: default pre-sale, unsure", ["c 10:00:00 有优惠吗", "c 10:00:05 这次少发了一个"], 0.0, False),
    ("more after-sale than pre-sale, unsure", ["c 10:00:00 有优惠吗", "c 10:00:05 上次买的少发了一个", "c 10:00:09 而且还破损了"], 1.0, False),
    ("parcel stuck in transit", ["c 10:00:00 包裹在中转站卡了四天，啥情况", "a 10:00:05 亲，我查一下"], 1.0, True),
    ("tracking not updated", ["c 10:00:00 快递信息五天都没更新了", "a 10:00:05 您好亲"], 1.0, True),
    ("signed for but not received", ["c 10:00:00 显示已经签收了可我根本没拿到东西", "a 10:00:05 您好"], 1.0, True),
    ("invoice fix after buying", ["c 10:00:00 开的发票抬头错了，帮我重开一张", "a 10:00:05 好的"], 1.0, True),
    ("missing piece", ["c 10:00:00 收到了但是少了一双袜子", "a 10:00:05 抱歉亲"], 1.0, True),
    ("chasing shipment of my order", ["c 10:00:00 我的订单怎么还不发货", "c 10:00:04 催一下发货"], 1.0, True),
    ("invoice question before buying stays pre-sale", ["c 10:00:00 这款能开发票吗", "c 10:00:04 多少钱一盒"], 0.0, True),
    ("how many per bag is not a missing item", ["c 10:00:00 这袋大概多少个", "c 10:00:04 有现货吗"], 0.0, True),
    ("agent's if-damaged note is no complaint", ["c 10:00:00 这个台灯有白色吗", "a 10:00:05 有的亲",
                                                 "c 10:00:20 好的拍了", "a 10:00:30 签收时有破损请拍照联系我们"], 0.0, False),
    ("auto-reply does not count", ["c 10:00:00 在吗", "auto 10:00:01 退货退款请点售后", "a 10:00:10 您好"], 0.0, False),
])
def test_scenario_table(detector, name, lines, value, confident):
    (m,) = detector.detect(chat(*lines))
    assert m.item == "scenario"
    assert m.value == value, (name, m.reason)
    assert (m.confidence >= 0.6) == confident, (name, m.confidence)
    assert m.needs_review == (m.confidence < 0.6)


def test_customer_words_outweigh_agent_words(detector):
    (m,) = detector.detect(chat("c 10:00:00 这款多少钱", "a 10:00:05 不满意可以申请售后"))
    assert m.value == 0.0


def test_cues_are_evidence(detector):
    (m,) = detector.detect(chat("c 10:00:00 收到的杯子碎了", "a 10:00:05 抱歉"))
    (f,) = [f for f in m.findings if f.data["side"] == "after"]
    assert f.evidence[0].message_index == 0 and f.evidence[0].quote == "碎了"
    assert "顾客" in f.reason
