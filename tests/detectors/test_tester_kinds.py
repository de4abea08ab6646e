"""Kinds a tester found on fresh written chats (issue 23, second round), each with cases of our own:
new wording, positive and negative, the tricky ones named. Graded end to end (one card), except
where a single detector's table says it more plainly.

1. scenario: word sense (拍下照片 is a photo, not an order), a product question with no listed cue,
   the agent's sales lines and the buyer's hesitation, a mixed chat read by its opening purpose;
2. same_day_resolution: a satisfied closing (那我放心了) needs no reply; a refusal with no way
   forward (不换 … 无法处理, 好吧) is not solved;
3. follow_up: a sales line inside the pitch is a promotion; a follow-up needs hesitation, silence,
   an unpaid order or a sign-off before it;
4. highlight_benefits: "不 + a defect" is a strength (不上头), decided by what follows;
5. word gaps: ask_needs (the buyer's people, either-or habits), delivery_notes (check the goods
   themselves), clarify_issue (拍张近照), soothe (a plain apology for the trouble);
6. promised_contact: a promise with no stated time is no timed promise: 0, 不适用, unflagged;
7. a chat no human answered: the level items earn nothing (0, flagged).
"""
import pytest

from grader.detectors.highlight_benefits import HighlightBenefitsDetector
from grader.detectors.lexicon import LexiconSet
from grader.detectors.soothe import SootheDetector
from grader.pipeline import Grader
from tests.builders import chat, transcript


@pytest.fixture(scope="module")
def grader():
    return Grader(learned=False)


@pytest.fixture(scope="module")
def lexicons():
    return LexiconSet.load()


def card(grader, lines, scenario=None):
    return grader.grade(transcript(*lines), scenario)


# 1. Scenario: what the chat is about, by word sense, who spoke and the opening purpose.
@pytest.mark.parametrize("name, lines, scenario", [
    ("拍下照片 after a fault is a photo, not an order (tricky)", [
        "c 10:00:00 台灯插上电不亮", "a 10:00:10 亲，拍下照片", "c 10:00:40 [图片]", "a 10:01:00 开关接触不良，给您补发一个"],
     "aftersale"),
    ("a fault after installing", ["c 10:00:00 热水器装好了不加热", "a 10:00:10 您好，我看一下"], "aftersale"),
    ("worry about a fault before buying is pre-sale (tricky)", [
        "c 10:00:00 这个灯用久了会不会不亮", "a 10:00:10 不会的，质保三年"], "presale"),
    ("a size in stock, no listed cue", ["c 10:00:00 这条牛仔裤有29的吗", "a 10:00:05 有的亲"], "presale"),
    ("a variant's size", ["c 10:00:00 请问这个被子双人的多大", "a 10:00:05 200×230的"], "presale"),
    ("有没有加厚的", ["c 10:00:00 有没有加厚的", "a 10:00:05 有的，加厚款在这里"], "presale"),
    ("the agent's scarcity and the buyer's hesitation", [
        "c 10:00:00 在吗", "a 10:00:05 在的亲", "c 10:00:20 那我再考虑一下", "a 10:04:00 这款只剩最后3件了"], "presale"),
    ("我再看看 about a fault is no hesitation to buy (tricky)", [
        "c 10:00:00 音箱连不上蓝牙", "a 10:00:05 您重启试试", "c 10:01:00 我再看看是不是设置错了"], "aftersale"),
    ("mixed: a product question first, then an old order", [
        "c 10:00:00 这款电动牙刷有几档？", "a 10:00:05 有三档，敏感档很温和",
        "c 10:00:30 对了，我上次买的刷头少了一个", "a 10:00:40 不好意思，给您补发一个", "c 10:01:00 好的"], "presale"),
    ("mixed: a complaint first, then a product question", [
        "c 10:00:00 上次买的刷头少了一个", "a 10:00:05 不好意思，给您补发", "c 10:00:30 这款牙刷有几档？",
        "a 10:00:40 三档的"], "aftersale"),
    ("mixed: a bare product link, a greeting, then a complaint is after-sale (tricky)", [
        "c 10:00:00 [链接x]", "a 10:00:05 您好，欢迎光临，请问有什么可以帮您",
        "c 10:00:30 我买的这个收到就坏了，开不了机", "a 10:00:40 非常抱歉，请您拍张照片给我看看"], "aftersale"),
    ("mixed: a product link with a question, then an old order, is pre-sale", [
        "c 10:00:00 https://item.jd.com/100012.html 这个有黑色的吗", "a 10:00:05 有的亲",
        "c 10:00:30 对了上次买的那个还没到", "a 10:00:40 我帮您查一下物流"], "presale"),
    ("a bare link, then a product question, is pre-sale", [
        "c 10:00:00 [链接x]", "a 10:00:05 您好", "c 10:00:20 这个有黑色的吗", "a 10:00:30 有的亲"], "presale"),
])
def test_scenario_kinds(grader, name, lines, scenario):
    got = card(grader, lines)
    assert got.scenario == scenario, (name, got.notes)


# 2. same_day_resolution: how the chat ends.
ANSWERED = ["c 10:00:00 收到的蜂蜜结晶了，是坏了吗", "a 10:00:10 您放心，低温下结晶是正常的，隔水加热就化开了，不影响食用"]


@pytest.mark.parametrize("name, lines, score, flagged", [
    ("那我放心了", ANSWERED + ["c 10:00:40 那我放心了"], 10, None),
    ("原来是这样", ANSWERED + ["c 10:00:40 原来是这样啊"], 10, None),
    ("懂了，那就好", ANSWERED + ["c 10:00:40 懂了，那就好"], 10, None),
    ("还是不放心 is no acceptance (tricky)", ANSWERED + ["c 10:00:40 还是不放心"], 0, None),
    ("放心吗 asks (tricky)", ANSWERED + ["c 10:00:40 这样吃真的放心吗"], 0, None),
    ("a refusal, then 好吧", ["c 10:00:00 鞋盒压坏了能换吗", "a 10:00:10 鞋子没问题，不换", "c 10:00:30 可是我要送人",
                             "a 10:00:50 这个我们无法处理", "c 10:01:00 好吧"], 0, None),
    ("a refusal with another way (tricky)", ["c 10:00:00 鞋盒压坏了能换吗",
                                             "a 10:00:10 不能换哦，给您补偿5元红包可以吗", "c 10:00:30 好吧"], 10, None),
    ("a refusal the buyer accepts with thanks", ["c 10:00:00 过了七天还能退吗", "a 10:00:10 超过七天了不退哦",
                                                "c 10:00:30 好的谢谢"], 10, None),
    ("不退运费 is policy, not a refusal (tricky)", ["c 10:00:00 退货运费谁出", "a 10:00:10 拒收的话不退运费哦",
                                                "c 10:00:30 好吧"], 10, None),
])
def test_same_day_resolution_kinds(grader, name, lines, score, flagged):
    item = card(grader, lines, "aftersale").item("aftersale.same_day_resolution")
    assert item.score == score, (name, item.reason)
    if name in ("那我放心了", "原来是这样"):
        assert "没有得到人工回复" not in item.reason


# 3. follow_up on a card: a pitch line is a promotion; a nudge after hesitation is a follow-up.
@pytest.mark.parametrize("name, lines, score, na, promotion", [
    ("现在下单还送 in the pitch, buyer orders at once", [
        "c 10:00:00 这个保温杯能装多少", "a 10:00:05 500毫升，现在下单还送杯套", "c 10:00:30 好的，拍了"], 0, True, 5),
    ("the same line after 我再想想 follows up", [
        "c 10:00:00 这个保温杯能装多少", "a 10:00:05 500毫升的", "c 10:00:30 我再想想",
        "a 10:00:50 现在下单还送杯套哦"], 5, False, 5),
    ("buyer says 好的谢谢 without ordering, agent keeps them", [
        "c 10:00:00 这个保温杯能装多少", "a 10:00:05 500毫升的", "c 10:00:30 好的谢谢",
        "a 10:00:40 看中的话可以尽早下单哦"], 5, False, 0),
    ("pitch, then the buyer hesitates and nobody follows up (tricky)", [
        "c 10:00:00 这个保温杯能装多少", "a 10:00:05 500毫升，需要的话可以下单", "c 10:00:30 我再看看"], 0, False, 0),
])
def test_follow_up_kinds(grader, name, lines, score, na, promotion):
    got = card(grader, lines, "presale")
    item = got.item("presale.follow_up")
    assert (item.score, item.not_applicable) == (score, na), (name, item.reason)
    assert got.item("presale.promotion").score == promotion, name


# 4. highlight_benefits: negation decided by what follows.
@pytest.mark.parametrize("name, reply, counted", [
    ("不上头 after 醇厚", "口感醇厚不上头", True),
    ("不挂茶垢", "釉面光滑不挂茶垢", True),
    ("不洇墨", "纸张100g不洇墨", True),
    ("没有异响, 不会松", "睡着没有异响，用十年都不会松", True),
    ("榫卯 without a nail", "榫卯结构，不用一颗钉子", True),
    ("书写顺滑", "出水顺滑，写字不断墨", True),
    ("why it suits, and how light", "8个月宝宝躺睡正合适，一键收车只有6.8公斤，出门很方便", True),
    ("design and cushioning", "鞋头是宽楦设计，中底是氮气缓震，跑步很轻", True),
    ("controls of a heater", "双人款1.8米×1.5米，双温双控，两边温度可以分开调", True),
    ("不太方便 is no claim (tricky)", "这款不太方便携带", False),
    ("方便吗 asks (tricky)", "您是问收车方便吗", False),
    ("a bare size is no strength (tricky)", "双人款是1.8米×1.5米", False),
    ("a taste question is no claim (tricky)", "您是问口感好不好吗", False),
    ("会不会挂茶垢 asks (tricky)", "您是担心会不会挂茶垢吗", False),
    ("a material before a limit is no strength (tricky)", "外盒不锈钢的不能放微波炉", False),
    ("不锈钢 is no 不 + defect (tricky)", "是不锈钢的", True),
])
def test_highlight_negation(lexicons, name, reply, counted):
    (m,) = HighlightBenefitsDetector(lexicons).detect(chat("c 10:00:00 这个怎么样", f"a 10:00:05 {reply}"))
    assert (m.value > 0) == counted, (name, [f.reason for f in m.findings])


# 5. Word gaps, each a kind.
@pytest.mark.parametrize("name, lines, item, score", [
    ("either-or about the elders' habit", ["c 10:00:00 想买酒送长辈", "a 10:00:05 请问长辈平时喝酱香还是浓香呢？"],
     "presale.ask_needs", 5),
    ("the husband's size", ["c 10:00:00 给老公买件外套", "a 10:00:05 老公平时穿多大码呢？"], "presale.ask_needs", 5),
    ("habit either-or without a subject", ["c 10:00:00 想买个锅", "a 10:00:05 平时炒菜多还是炖汤多呢？"],
     "presale.ask_needs", 5),
    ("a delivery either-or is no need (tricky)", ["c 10:00:00 想买个锅", "a 10:00:05 平时是快递送还是自提呢？"],
     "presale.ask_needs", 0),
    ("check the goods themselves after delivery", ["c 10:00:00 拍了", "a 10:00:05 收到后请先检查外观和接口，充满电试用一下"],
     "presale.delivery_notes", 5),
    ("count the pieces", ["c 10:00:00 付款了", "a 10:00:05 签收时麻烦核对一下数量和配件"], "presale.delivery_notes", 5),
    ("checking before the order is no note (tricky)", ["c 10:00:00 有货吗", "a 10:00:05 有的，收到后请先检查外观"],
     "presale.delivery_notes", 0),
    ("拍张近照", ["c 10:00:00 茶饼上有白点", "a 10:00:05 请您拍张近照给我看看"], "aftersale.clarify_issue", 5),
    ("拍几张清楚的照片", ["c 10:00:00 衣服脱线了", "a 10:00:05 麻烦拍几张清楚的照片"], "aftersale.clarify_issue", 5),
])
def test_word_gaps(grader, name, lines, item, score):
    scenario = "aftersale" if item.startswith("aftersale") else "presale"
    got = card(grader, lines, scenario).item(item)
    assert got.score == score, (name, got.reason)


@pytest.mark.parametrize("name, reply, soothes", [
    ("不好意思 for the fault", "不好意思，这批盖子的密封圈有问题，给您补寄一个", True),
    ("对不起 for the delay", "对不起，仓库漏发了，马上给您补", True),
    ("不好意思 opening a request is politeness (tricky)", "不好意思，请问订单号是多少呢", False),
    ("不好意思，您把订单号发我 (tricky)", "不好意思，您把订单号发我，我帮您联系快递", False),
    ("抱歉 before a refusal is no soothing (tricky)", "抱歉，无法修改地址", False),
    ("不好意思打扰 is about interrupting (tricky)", "不好意思打扰一下，您的快递到了", False),
    ("如有不便 hypothesis (tricky)", "如有不好意思的地方请见谅", False),
])
def test_plain_apology(lexicons, name, reply, soothes):
    (m,) = SootheDetector(lexicons).detect(chat("c 10:00:00 少发了一包", f"a 10:00:05 {reply}"))
    assert (m.value > 0) == soothes, (name, [f.reason for f in m.findings])
    if any(f.kind == "opener" for f in m.findings):
        assert m.needs_review and "开口的客套" in m.reason  # readers differ: flagged, never silent


def test_an_opener_beside_a_real_apology_soothes(lexicons):
    (m,) = SootheDetector(lexicons).detect(chat("c 10:00:00 少发了一包", "a 10:00:05 不好意思，请问订单号是多少呢",
                                                "c 10:00:20 123", "a 10:00:30 给您添麻烦了，马上补发"))
    assert m.value == 1 and not m.needs_review
    assert [f.kind for f in m.findings] == ["mention", "opener"]


# 6. promised_contact on a card: an untimed promise is 不适用, not an unverifiable failure.
@pytest.mark.parametrize("name, promise, na, flagged", [
    ("有消息通知你", "仓库在打包了，有消息通知你", True, False),
    ("稍后给您回复", "我去仓库核实，稍后给您回复", True, False),
    ("a stated time past the record (tricky)", "我去仓库核实，24小时内给您回复", False, True),
])
def test_untimed_promise_on_the_card(grader, name, promise, na, flagged):
    item = card(grader, ["c 10:00:00 少发了一包", f"a 10:00:05 {promise}", "c 10:00:30 好"],
                "aftersale").item("aftersale.promised_contact")
    assert (item.score, item.not_applicable, item.needs_review) == (0, na, flagged), (name, item.reason)


# 7. Nobody answered but robots: the level items earn nothing.
@pytest.mark.parametrize("name, lines, expertise, attitude", [
    ("robots only", ["c 10:00:00 猫粮什么时候发货", "auto 10:00:01 亲，您的订单会在48小时内发货哦",
                     "c 10:05:00 人呢？我要人工", "auto 10:05:01 【智能客服】正在为您转接人工客服"], 0, 0),
    ("a human answers once (tricky)", ["c 10:00:00 猫粮什么时候发货", "auto 10:00:01 亲，48小时内发货哦",
                                      "c 10:05:00 我要人工", "a 10:05:10 您好，今天下午就发出"], None, None),
])
def test_no_human_answer(grader, name, lines, expertise, attitude):
    got = card(grader, lines, "aftersale")
    for item_id, want in (("product_expertise", expertise), ("service_attitude", attitude)):
        item = got.item(item_id)
        if want is None:
            assert "没有人工" not in item.reason, name
        else:
            assert (item.score, item.needs_review) == (want, True), (name, item.reason)
            assert "没有人工" in item.reason
