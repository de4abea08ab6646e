"""Tables for the level items product_expertise and service_attitude (index 3/2/1/0)."""
import pytest

from grader.detectors.lexicon import LexiconSet
from grader.detectors.product_expertise import ProductExpertiseDetector
from grader.detectors.service_attitude import ServiceAttitudeDetector
from tests.builders import chat, measure


@pytest.fixture(scope="module")
def lexicons():
    return LexiconSet.load()


@pytest.mark.parametrize("name, lines, level", [
    ("size advice tied to the customer's data", ["c 10:00:00 我身高170体重130斤穿什么码？", "a 10:00:05 170 130斤的话建议您拍L码"], 3),
    ("concrete facts", ["c 10:00:00 这个是什么面料？", "a 10:00:05 亲，面料是纯棉的，克重200g"], 2),
    ("process rules after sale", ["c 10:00:00 怎么退款", "a 10:00:05 退款会原路退回，1-3个工作日到账"], 2),
    ("evasive", ["c 10:00:00 这个是什么面料？", "a 10:00:05 不太清楚呢，您看下详情页"], 0),
    ("deflecting is no answer (tricky)", ["c 10:00:00 物流三天没动了", "a 10:00:05 你自己找快递问问，这个不归我们管"], 0),
    ("a process answer after a deflection is still thin", ["c 10:00:00 快递丢了", "a 10:00:05 这个不归我们管",
                                                         "a 10:00:09 退款会原路退回，1-3个工作日到账"], 1),
    ("thin answer", ["c 10:00:00 这个好用吗？", "a 10:00:05 挺好的"], 1),
    ("facts plus evasion", ["c 10:00:00 多长？", "a 10:00:05 大概30cm吧", "a 10:00:09 我也不确定"], 1),
    ("如有不清楚 is not evasive (tricky)", ["c 10:00:00 多大容量？", "a 10:00:05 500毫升，如有不清楚的可以问我"], 2),
    ("a size before the customer gave data is only a fact", ["a 10:00:00 170建议L码", "c 10:00:05 我身高170"], 2),
    ("recommendation after the customer's situation (gift)", [
        "c 10:00:00 想送我爸，他血压有点高", "a 10:00:05 送长辈的话推荐这款低钠款，每100克含钠300毫克"], 3),
    ("advice tied to skin type", ["c 10:00:00 我是敏感肌", "a 10:00:05 敏感肌的话更适合无香精的温和款，pH5.5"], 3),
    ("recommendation without any customer situation is not tied", [
        "c 10:00:00 哪款好", "a 10:00:05 推荐这款，容量500毫升"], 2),
    ("after-sale remedy is a concrete process", [
        "c 10:00:00 收到的杯子碎了", "a 10:00:05 给您补寄一个，碎的不用寄回"], 2),
])
def test_product_expertise(lexicons, name, lines, level):
    (m,) = measure(ProductExpertiseDetector, lexicons, chat(*lines))
    assert m.item == "product_expertise"
    assert m.value == level, (name, m.reason)
    assert m.confidence <= 0.75
    assert m.needs_review == (m.confidence < 0.7)


def test_expertise_unmeasurable_without_agent(lexicons):
    (m,) = ProductExpertiseDetector(lexicons).detect(chat("c 10:00:00 在吗", "auto 10:00:01 您好"))
    assert m.value is None and m.needs_review


# review: levels below confidence 0.7 are flagged; 配合 (2) and 积极 on one or two cues always are.
@pytest.mark.parametrize("name, lines, level, review", [
    ("deflection", ["c 10:00:00 快递一直不动", "a 10:00:05 这个不归我们管，你自己找快递"], 0, True),
    ("跟我们没关系", ["c 10:00:00 包裹丢了", "a 10:00:05 那跟我们没关系"], 0, True),
    ("没关系 answering an apology is not deflection (tricky)", ["c 10:00:00 不好意思打扰了", "a 10:00:05 没关系的亲，好的"], 1, False),
    ("好的 and 稍等 alone are formula, not cooperation", ["c 10:00:00 退款到哪了", "a 10:00:05 好的，请稍等，正在为您查询"],
     1, False),
    ("asking about the case is cooperation", ["c 10:00:00 退款到哪了", "a 10:00:05 您是什么支付方式呢"], 2, True),
    ("proactive reshipment (two cues: the apology is no cue, so a close call)", ["c 10:00:00 衣服破了", "a 10:00:05 非常抱歉，我帮您申请补发一件"], 3, True),
    ("I'll contact the courier for you", ["c 10:00:00 快递一直不动", "a 10:00:05 我来帮您联系快递催一下"], 3, True),
    ("asked-for action is cooperation", ["c 10:00:00 帮我申请退款", "a 10:00:05 好的，帮您申请退款"], 2, True),
    ("bare answers", ["c 10:00:00 多少钱", "a 10:00:05 99元"], 1, False),
    ("pre-sale: question back, advice and notes", [
        "c 10:00:00 这款保温杯能装多少", "a 10:00:05 亲，500毫升的，请问您平时是带去办公室还是户外用呢？",
        "c 10:00:30 上班用", "a 10:00:40 那推荐您选这款带茶隔的，泡茶方便，签收时请检查一下杯身有没有磕碰哦"], 3, False),
    ("two options offered", ["c 10:00:00 鞋子开胶了",
                             "a 10:00:05 非常抱歉亲，给您两个选择：补寄一双新的，或者直接给您退款，您看哪个方便？"], 3, True),
    ("reported to quality control", ["c 10:00:00 这批面膜味道怪怪的",
                                     "a 10:00:05 抱歉亲，我把批号报给品控查一下，有结果第一时间告诉您"], 3, True),
    ("a sales follow-up with an offer is cooperation, not solving (tricky)", [
        "c 10:00:00 这个沙发垫有灰色吗", "a 10:00:05 有的亲，灰色和米色都有货，您家沙发是几人位的呢？",
        "a 10:03:30 亲，还在吗？这两天下单还送一对抱枕套"], 2, True),
    ("curt question and pick is still answering only", [
        "c 10:00:00 想给老爸买个剃须刀", "a 10:00:05 预算多少", "c 10:00:20 三百以内", "a 10:00:25 推荐这款299的",
        "c 10:00:40 有赠品吗", "a 10:00:45 没有"], 1, True),
    ("curt but done is cooperation", ["c 10:00:00 帮我改下地址", "a 10:00:05 好的", "c 10:00:20 改成朝阳区那个",
                                      "a 10:00:25 已改好"], 2, True),
    ("denying the complaint", ["c 10:00:00 收到的毛巾一股馊味", "a 10:00:05 新毛巾有点味道属于正常现象，洗一洗就好"], 1, True),
    ("deflection and initiative: close call", ["c 10:00:00 快递丢了", "a 10:00:05 这是快递的问题", "a 10:00:09 我帮您联系快递"], 1, True),
])
def test_service_attitude(lexicons, name, lines, level, review):
    (m,) = measure(ServiceAttitudeDetector, lexicons, chat(*lines))
    assert m.item == "service_attitude"
    assert m.value == level, (name, m.reason)
    assert m.needs_review == review, name
    if level == 0:
        assert any(not f.positive and f.kind == "deflection" for f in m.findings)


def test_normal_in_answer_to_a_question_is_no_dismissal(lexicons):
    (m,) = measure(ServiceAttitudeDetector, lexicons, chat("c 10:00:00 这条真丝裙会褪色吗",
                                                          "a 10:00:05 手洗时轻微掉一点是正常的，不影响穿"))
    assert not any(f.kind == "dismiss" for f in m.findings)


def test_promotion_the_customer_asked_about_is_no_initiative(lexicons):
    (m,) = measure(ServiceAttitudeDetector, lexicons, chat("c 10:00:00 现在有满减吗",
                                                          "a 10:00:05 有的亲，店铺满200减20"))
    assert not any(f.data.get("cue") == "promotion" for f in m.findings)



# Tailoring (20) is read from who said what in answer to what: the customer's own situation, stated
# or given in answer to the agent's question, and advice conditioned on it afterwards.
@pytest.mark.parametrize("name, lines, level", [
    ("advice on the answer to the agent's question", [
        "c 10:00:00 这单退款钱退到哪", "a 10:00:05 您是什么支付方式呢", "c 10:00:20 白条",
        "a 10:00:30 如果白条已经还了的话，退款会原路退回到还款的银行卡，1-3个工作日到账"], 3),
    ("a conditional on what the customer said", [
        "c 10:00:00 月见草和圣洁莓能一起吃吗", "a 10:00:05 功效差不多，建议选其中一种", "c 10:00:20 但是我两个都买了",
        "a 10:00:30 若是都已经购买的话，建议分开时间段吃，圣洁莓早上空腹吃"], 3),
    ("那您拿…最合适 after the customer's answer", [
        "c 10:00:00 这个四件套1.8米床能用吗", "a 10:00:05 可以的，请问您家被子是200x230还是220x240的呢？",
        "c 10:00:20 220x240", "a 10:00:30 那您拿2.0米床款最合适"], 3),
    # look-alikes
    ("如果有问题 is a formula, not tailoring (tricky)", [
        "c 10:00:00 我买的杯子什么时候到", "a 10:00:05 今天发出", "c 10:00:20 好的",
        "a 10:00:30 如果有什么问题可以随时联系我们"], 1),
    ("a conditional before the customer said anything about themselves", [
        "a 10:00:00 如果您已经下单的话，今天就可以发货", "c 10:00:05 这个多少钱？"], 2),
    ("a bare limit is a thin answer", ["c 10:00:00 收货人电话错了怎么办", "a 10:00:05 只能重新下单了"], 1),
    ("a rule of the process is a clear fact", [
        "c 10:00:00 价保30天怎么算", "a 10:00:05 是从订单完成的第二天开始算的"], 2),
    ("不懂的地方随时问 is an offer, not evasion (tricky)", [
        "c 10:00:00 价保怎么算", "a 10:00:05 是从订单完成的第二天开始算的，不懂的地方随时问我哦"], 2),
    ("也不清楚的 is evasive", ["c 10:00:00 离多近能看清", "a 10:00:05 这个我们也不清楚的"], 0),
    ("a guess ending in 吧 is evasive", ["c 10:00:00 敏感肌能用吗", "a 10:00:05 应该能用吧"], 0),
    ("说不准 is evasive", ["c 10:00:00 什么时候能发货", "a 10:00:05 这个说不准"], 0),
    ("应该 as advice, without 吧, is no guess (tricky)", [
        "c 10:00:00 我170斤穿多大", "a 10:00:05 170斤的话建议您拍XL码，应该选宽松版"], 3),
])
def test_expertise_tailoring_and_substance(lexicons, name, lines, level):
    (m,) = measure(ProductExpertiseDetector, lexicons, chat(*lines))
    assert m.value == level, (name, m.reason)


# Initiative or cooperation, by what the customer asked for (service_attitude).
@pytest.mark.parametrize("name, lines, level", [
    ("doing what was asked is cooperation", [
        "c 10:00:00 这个订单可以更改收货时间吗", "a 10:00:05 这边帮您联系库房延迟哦"], 2),
    ("帮我改一下吧 → a note is cooperation", [
        "c 10:00:00 这个发货时间帮我改一下吧", "a 10:00:05 这边给您备注一下，给您核实一下"], 2),
    ("a hand-off to a specialist is cooperation", [
        "c 10:00:00 怎么回收面单呢", "a 10:00:05 这个要为您升级专员回电指导呢"], 2),
    ("an action nobody asked for is initiative", [
        "c 10:00:00 快递三天没动了", "a 10:00:05 我来帮您联系快递催一下"], 3),
    ("a commitment beyond the request stays initiative (tricky)", [
        "c 10:00:00 麻烦帮我催一下", "a 10:00:05 好的我这边会跟进的，有结果第一时间通知您"], 3),
    ("offering a choice of remedy is initiative", [
        "c 10:00:00 可以申请价保吗", "a 10:00:05 可以申请，差价20元", "a 10:00:10 您是要京豆，优惠券还是余额呢"], 3),
    ("会给您退回到余额 states the process, no action (tricky)", [
        "c 10:00:00 上门取件给的现金怎么原路返还", "a 10:00:05 是会给您退回到您的余额账户的哦"], 1),
    ("before a purchase a question about the order is no case work", [
        "c 10:00:00 洗衣机的进水管要单买吗", "a 10:00:05 亲，这个订单是吗", "c 10:00:20 我还没有付款",
        "a 10:00:30 包装清单里有进水管的呢"], 1),
    ("asking whether a return is possible is no request (tricky)", [
        "c 10:00:00 如果明天收到后发现不好，能退么", "a 10:00:05 可以的，我帮您登记一下"], 3),
    ("免邮费 asked, so the offer answers it", ["c 10:00:00 两瓶不免邮费吗", "a 10:00:05 满99元包邮的哦"], 1),
    # soothing is tone, not solving: an apology earns the attitude nothing by itself
    ("an apology with nothing done is answering only (tricky)", [
        "c 10:00:00 台灯收到不亮", "a 10:00:05 非常抱歉给您添麻烦了，这个灯是插电用的"], 1),
    ("您别着急 and a bare status is still answering only", [
        "c 10:00:00 快递怎么还没到", "a 10:00:05 您别着急，物流显示今天派送"], 1),
    ("an apology beside the change made is cooperation", [
        "c 10:00:00 地址填错了帮我改成东城区", "a 10:00:05 不好意思，已经为您修改好了"], 2),
    ("an apology beside a remedy offered unasked is initiative", [
        "c 10:00:00 杯子碎了", "a 10:00:05 真抱歉，给您补发一个新的，碎的不用寄回"], 3),
])
def test_attitude_by_what_was_asked(lexicons, name, lines, level):
    (m,) = measure(ServiceAttitudeDetector, lexicons, chat(*lines))
    assert m.value == level, (name, m.reason)
