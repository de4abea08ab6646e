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
    (m,) = ProductExpertiseDetector(lexicons).detect(chat(*lines))
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
    ("proactive reshipment", ["c 10:00:00 衣服破了", "a 10:00:05 非常抱歉，我帮您申请补发一件"], 3, False),
    ("I'll contact the courier for you", ["c 10:00:00 快递一直不动", "a 10:00:05 我来帮您联系快递催一下"], 3, True),
    ("asked-for action is cooperation", ["c 10:00:00 帮我申请退款", "a 10:00:05 好的，帮您申请退款"], 2, True),
    ("bare answers", ["c 10:00:00 多少钱", "a 10:00:05 99元"], 1, False),
    ("pre-sale: question back, advice and notes", [
        "c 10:00:00 这款保温杯能装多少", "a 10:00:05 亲，500毫升的，请问您平时是带去办公室还是户外用呢？",
        "c 10:00:30 上班用", "a 10:00:40 那推荐您选这款带茶隔的，泡茶方便，签收时请检查一下杯身有没有磕碰哦"], 3, False),
    ("two options offered", ["c 10:00:00 鞋子开胶了",
                             "a 10:00:05 非常抱歉亲，给您两个选择：补寄一双新的，或者直接给您退款，您看哪个方便？"], 3, False),
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

