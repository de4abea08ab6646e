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
    ("greeting only: no cue is no evidence, unsure", ["c 10:00:00 在吗", "a 10:00:05 在的"], None, False),
    ("equal mixed cues: unsure", ["c 10:00:00 有优惠吗", "c 10:00:05 这次少发了一个"], None, False),
    ("a complaint about a past purchase outweighs a deal question", ["c 10:00:00 有优惠吗", "c 10:00:05 上次买的少发了一个",
                                                                   "c 10:00:09 而且还破损了"], 1.0, True),
    ("parcel stuck in transit", ["c 10:00:00 包裹在中转站卡了四天，啥情况", "a 10:00:05 亲，我查一下"], 1.0, True),
    ("tracking not updated", ["c 10:00:00 快递信息五天都没更新了", "a 10:00:05 您好亲"], 1.0, True),
    ("signed for but not received", ["c 10:00:00 显示已经签收了可我根本没拿到东西", "a 10:00:05 您好"], 1.0, True),
    ("invoice fix after buying", ["c 10:00:00 开的发票抬头错了，帮我重开一张", "a 10:00:05 好的"], 1.0, True),
    ("missing piece", ["c 10:00:00 收到了但是少了一双袜子", "a 10:00:05 抱歉亲"], 1.0, True),
    ("chasing shipment of my order", ["c 10:00:00 我的订单怎么还不发货", "c 10:00:04 催一下发货"], 1.0, True),
    ("invoice question before buying stays pre-sale", ["c 10:00:00 这款能开发票吗", "c 10:00:04 多少钱一盒"], 0.0, True),
    ("how many per bag is not a missing item", ["c 10:00:00 这袋大概多少个", "c 10:00:04 有现货吗"], 0.0, True),
    ("agent's if-damaged note is no complaint", ["c 10:00:00 这个台灯有白色吗", "a 10:00:05 有的亲",
                                                 "c 10:00:20 好的拍了", "a 10:00:30 签收时有破损请拍照联系我们"], 0.0, True),
    ("auto-reply does not count", ["c 10:00:00 在吗", "auto 10:00:01 退货退款请点售后", "a 10:00:10 您好"], None, False),
    # an order exists but is not paid: nothing bought yet
    ("unpaid order is pre-sale (tricky)", ["c 10:00:00 咨询订单号:[订单x] 我还没付款，现在付款能发货吗",
                                            "a 10:00:05 可以的"], 0.0, False),
    ("should I pay", ["c 10:00:00 这个订单要不要付款，没货了吧", "a 10:00:05 预计下周到货"], 0.0, True),
    # questions about what a product can do, or how two compare, come before buying
    ("capability question", ["c 10:00:00 这个充电头能给笔记本充电吗", "a 10:00:05 不建议"], 0.0, True),
    ("compare two products", ["c 10:00:00 [链接x] [链接x] 这两个有什么区别", "a 10:00:05 一个带卡"], 0.0, True),
    ("accessory bought separately", ["c 10:00:00 水管需要单独买吗", "a 10:00:05 标配有的"], 0.0, True),
    ("spec question", ["c 10:00:00 纸巾多少包一箱", "a 10:00:05 24包"], 0.0, True),
    ("colour available", ["c 10:00:00 这个台灯有白色的吗", "a 10:00:05 有的"], 0.0, True),
    ("size for a child", ["c 10:00:00 孩子3岁脚长15厘米穿多大", "a 10:00:05 26码"], 0.0, True),
    ("wants to buy for someone", ["c 10:00:00 想给孩子买台笔记本上网课用", "a 10:00:05 预算多少呢"], 0.0, True),
    ("courier before buying", ["c 10:00:00 全球购的商品是什么快递", "a 10:00:05 京东物流"], 0.0, True),
    # the same verbs about an existing order are after-sale
    ("can my parcel arrive today (tricky)", ["c 10:00:00 你好我的快递今天能到吗", "a 10:00:05 稍等"], 1.0, True),
    ("merchant asks about their customer signing (tricky)", ["c 10:00:00 厂家自送有没有物流信息",
                                                           "c 10:00:05 可以让客户签收吗"], None, False),
    ("already bought both", ["c 10:00:00 但是我两个都买了，怎么吃", "a 10:00:05 分开吃"], 1.0, True),
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


@pytest.mark.parametrize("rubric_default, expected", [("aftersale", "aftersale"), ("presale", "presale")])
def test_no_cue_takes_the_rubric_default_and_is_flagged(tmp_path, rubric_default, expected):
    from grader.pipeline import Grader
    from grader.rubric.rubric import STANDARD
    from tests.builders import transcript
    path = tmp_path / "shop.toml"
    path.write_text(STANDARD.read_text(encoding="utf-8").replace(
        'version = "', f'scenario_default = "{rubric_default}"\nversion = "', 1), encoding="utf-8")
    card = Grader(rubric=path).grade(transcript("c 10:00:00 在吗", "a 10:00:05 您好，在的"))
    assert card.scenario == expected and card.needs_review and card.scenario_confidence < 0.6


# Openers of everyday chats, one customer line each: what a supervisor reads as 售前 / 售后.
PRESALE_OPENERS = ["这个裙子有S码吗", "这款面霜适合干皮吗", "能便宜点吗", "羽绒服充绒量多少", "这个杯子能放洗碗机吗",
                   "保温杯能保温多久", "这件衣服是纯棉的吗", "我165 110斤穿什么码", "这个和那个哪个好", "有没有优惠券",
                   "这款耳机降噪效果怎么样", "尺寸偏大还是偏小", "这个颜色会不会显黑", "婴儿可以用吗",
                   "老人用这个手机字大吗", "什么时候能发货，我还没拍", "这个套装包括哪些东西", "适合几岁的孩子"]
AFTERSALE_OPENERS = ["我买的裙子收到了有个洞", "快递三天没动了", "怎么还没发货", "我要退货", "收到的杯子碎了", "发票开错了",
                     "退款什么时候到账", "衣服洗了掉色严重", "少发了一件", "订单能改地址吗", "怎么申请售后", "耳机左边没声音",
                     "价保怎么申请", "账号登录不上", "质量太差了", "包裹显示签收了我没收到", "安装师傅什么时候来"]
# No cue either way: unsure, flagged, the rubric's default decides (a known limit, not a guess).
UNSURE_OPENERS = ["沙发能送货上门吗", "我刚付款能取消吗"]


@pytest.mark.parametrize("opener", PRESALE_OPENERS)
def test_presale_openers(detector, opener):
    (m,) = detector.detect(chat(f"c 10:00:00 {opener}", "a 10:00:05 您好"))
    assert m.value == 0.0, m.reason


@pytest.mark.parametrize("opener", AFTERSALE_OPENERS)
def test_aftersale_openers(detector, opener):
    (m,) = detector.detect(chat(f"c 10:00:00 {opener}", "a 10:00:05 您好"))
    assert m.value == 1.0, m.reason


@pytest.mark.parametrize("opener", UNSURE_OPENERS)
def test_openers_without_a_cue_are_unsure(detector, opener):
    (m,) = detector.detect(chat(f"c 10:00:00 {opener}", "a 10:00:05 您好"))
    assert m.value is None and m.needs_review
