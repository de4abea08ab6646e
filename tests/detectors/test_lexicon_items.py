"""Table tests for the all-or-nothing lexicon items: highlight_benefits, recommend, soothe."""
import pytest

from grader.detectors.highlight_benefits import HighlightBenefitsDetector
from grader.detectors.lexicon import LexiconSet
from grader.detectors.recommend import RecommendDetector
from grader.detectors.soothe import SootheDetector
from tests.builders import chat


@pytest.fixture(scope="module")
def lexicons():
    return LexiconSet.load()


@pytest.mark.parametrize("name, lines, expected", [
    ("breathable and wear-resistant", ["c 10:00:00 这鞋怎么样", "a 10:00:05 这款很透气，鞋底也耐磨"], ["透气", "耐磨"]),
    ("genuine with warranty", ["c 10:00:00 是正品吗", "a 10:00:05 保证正品，全国联保质保一年"], ["正品", "质保"]),
    ("fabric praised", ["c 10:00:00 面料怎么样", "a 10:00:05 面料很舒服的"], ["面料很舒服"]),
    ("不起球 is a strength (tricky)", ["c 10:00:00 会起球吗", "a 10:00:05 不起球的亲"], ["不起球"]),
    ("不透气 is not a strength", ["c 10:00:00 透气吗", "a 10:00:05 这款皮的不太透气"], []),
    ("没有质保", ["c 10:00:00 有质保吗", "a 10:00:05 这个没有质保哦"], []),
    ("customer's words don't count", ["c 10:00:00 听说很透气很耐磨", "a 10:00:05 是的"], []),
    ("auto-reply doesn't count", ["c 10:00:00 在吗", "auto 10:00:01 正品保证，销量第一", "a 10:00:05 您好"], []),
    ("bare mention of fabric is no praise", ["c 10:00:00 什么面料", "a 10:00:05 面料看详情页"], []),
    ("'not X' strengths of shoes", ["c 10:00:00 走久了累吗", "a 10:00:05 鞋垫很软，不磨脚"], ["不磨脚"]),
    ("safety claims for baby goods", ["c 10:00:00 孩子能用吗", "a 10:00:05 食品级硅胶，无双酚A"],
     ["食品级", "无双酚A"]),
    ("aroma and taste of food", ["c 10:00:00 好吃吗", "a 10:00:05 奶香很浓，口感细腻"], ["奶香很浓", "口感细腻"]),
    ("performance of electronics", ["c 10:00:00 打游戏卡吗", "a 10:00:05 很流畅的，散热也稳定"], ["很流畅", "稳定"]),
    ("efficacy of cosmetics", ["c 10:00:00 干皮能用吗", "a 10:00:05 这款保湿，不卡粉"], ["保湿", "不卡粉"]),
    ("会不会 question is no claim", ["c 10:00:00 鞋子", "a 10:00:05 您是担心会不会磨脚呢？"], []),
    ("无添加 negated", ["c 10:00:00 有添加剂吗", "a 10:00:05 这款不是无添加的"], []),
    ("taste called average", ["c 10:00:00 好喝吗", "a 10:00:05 口感一般吧"], []),
])
def test_highlight_benefits(lexicons, name, lines, expected):
    (m,) = HighlightBenefitsDetector(lexicons).detect(chat(*lines))
    assert m.item == "presale.highlight_benefits"
    assert [f.evidence[0].quote for f in m.findings if f.positive] == expected, name
    assert m.value == len(expected)


@pytest.mark.parametrize("name, lines, count", [
    ("推荐您", ["c 10:00:00 哪款好", "a 10:00:05 推荐您这款，卖得最好"], 1),
    ("建议您选 size", ["c 10:00:00 170穿什么码", "a 10:00:05 建议您选L码"], 1),
    ("这款更适合您", ["c 10:00:00 我皮肤干", "a 10:00:05 这款更适合您"], 1),
    ("size with 合适", ["c 10:00:00 我120斤", "a 10:00:05 拍M码就合适"], 1),
    ("不推荐 is no recommendation", ["c 10:00:00 这款怎么样", "a 10:00:05 这款不推荐哦"], 0),
    ("不建议X，建议Y counts Y (tricky)", ["c 10:00:00 选S还是M", "a 10:00:05 不建议选S码，建议您选M码"], 1),
    ("不建议 alone", ["c 10:00:00 S码可以吗", "a 10:00:05 不建议您选S码"], 0),
    ("process advice is not a product (tricky)", ["c 10:00:00 地址错了", "a 10:00:05 建议您重新下单"], 0),
    ("拍照 is not 拍 a size", ["c 10:00:00 坏了", "a 10:00:05 建议您拍照给我们"], 0),
    ("customer asking for a recommendation", ["c 10:00:00 推荐一款吧", "a 10:00:05 好的"], 0),
    ("建议 + 拿 + size", ["c 10:00:00 175穿哪个", "a 10:00:05 您这个身高建议拿L"], 1),
    ("推荐 + quantity", ["c 10:00:00 一家四口", "a 10:00:05 人多的话推荐囤三箱"], 1),
    ("推荐 + weak verb + product", ["c 10:00:00 送爸妈", "a 10:00:05 送长辈的话推荐换成礼盒款"], 1),
    ("您可以入 + product", ["c 10:00:00 手机卡吗", "a 10:00:05 您可以入手这款12G版"], 1),
    ("size from the customer's numbers", ["c 10:00:00 脚长24.5", "a 10:00:05 24.5的话选39码"], 1),
    ("建议您申请退款 (tricky)", ["c 10:00:00 坏了", "a 10:00:05 建议您申请退款"], 0),
    ("建议您联系快递 (tricky)", ["c 10:00:00 没收到", "a 10:00:05 建议您联系一下快递员"], 0),
    ("建议您保持电话畅通 (tricky)", ["c 10:00:00 何时到", "a 10:00:05 建议您保持手机畅通"], 0),
    ("推荐 in invoice advice (tricky)", ["c 10:00:00 开票", "a 10:00:05 推荐您下单时把抬头写在备注"], 0),
    ("建议您用新地址重新下单 (tricky)", ["c 10:00:00 改地址", "a 10:00:05 建议您用新地址重新下单"], 0),
])
def test_recommend(lexicons, name, lines, count):
    (m,) = RecommendDetector(lexicons).detect(chat(*lines))
    assert m.item == "presale.recommend"
    assert m.value == count, (name, [f.reason for f in m.findings])


@pytest.mark.parametrize("name, lines, count", [
    ("apology for trouble", ["c 10:00:00 东西坏了", "a 10:00:05 非常抱歉给您带来不便"], 2),
    ("understanding", ["c 10:00:00 气死了", "a 10:00:05 理解您的心情"], 1),
    ("别着急", ["c 10:00:00 怎么还没到", "a 10:00:05 您别着急，我马上查"], 1),
    ("请放心", ["c 10:00:00 能退吗", "a 10:00:05 请放心，我们一定帮您处理好"], 2),
    ("我也很着急 is not soothing (tricky)", ["c 10:00:00 怎么还没到", "a 10:00:05 我也很着急"], 0),
    ("bare 抱歉 before refusal", ["c 10:00:00 能改地址吗", "a 10:00:05 抱歉，无法修改"], 0),
    ("很抱歉无法 is a refusal", ["c 10:00:00 能改地址吗", "a 10:00:05 很抱歉无法修改"], 0),
    ("customer's 放心", ["c 10:00:00 您放心我不会差评", "a 10:00:05 好的"], 0),
])
def test_soothe(lexicons, name, lines, count):
    (m,) = SootheDetector(lexicons).detect(chat(*lines))
    assert m.item == "aftersale.soothe"
    assert m.value == count, (name, [f.reason for f in m.findings])
