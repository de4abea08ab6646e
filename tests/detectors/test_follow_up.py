import pytest

from grader.detectors.chat import Chat
from grader.detectors.follow_up import FollowUpDetector
from grader.detectors.lexicon import LexiconSet
from tests.builders import chat, transcript


@pytest.fixture(scope="module")
def lexicons():
    return LexiconSet.load()


@pytest.fixture(scope="module")
def detector(lexicons):
    return FollowUpDetector(lexicons)


def measure(detector, *lines, orders=()):
    t = transcript(*lines)
    for i in orders:  # the builder makes plain system messages; mark order notices
        t.messages[i].kind = "order"
    (m,) = detector.detect(Chat(t))
    assert m.item == "presale.follow_up"
    return m


Q = ["c 10:00:00 这件有M码吗", "a 10:00:10 有的亲，您平时穿什么尺码呢？"]


@pytest.mark.parametrize("name, lines, orders, count, kinds", [
    ("silence 3m05s then 还在考虑吗", Q + ["a 10:03:15 亲还在考虑吗"], (), 1, ["re_engage"]),
    ("silence after question, any human follow-up", Q + ["a 10:04:00 这款今天卖得很好哦，面料是纯棉的"], (), 1,
     ["re_engage"]),
    ("reply after 2 min is no re-engagement", Q + ["a 10:02:10 亲还在考虑吗"], (), 0, ["not_follow_up"]),
    ("customer spoke: no silence", Q + ["c 10:01:00 平时穿L", "a 10:05:00 亲还在考虑吗"], (), 0, ["not_follow_up"]),
    ("auto-reply nudge not counted", Q + ["auto 10:04:00 【自动回复】亲还在吗？喜欢可以先拍下哦"], (), 0, []),
    ("closing is no follow-up", Q + ["a 10:04:00 请问还有其他可以帮您的吗"], (), 0, []),
    ("hesitates, agent nudges", ["c 10:00:00 这个还有货吗", "a 10:00:10 有的", "c 10:00:30 我再看看",
                                 "a 10:00:40 喜欢可以先拍下哦"], (), 1, ["nudge"]),
    ("nudge in answer to a question is a pitch (tricky)", ["c 10:00:00 这个还有货吗", "a 10:00:10 有的，喜欢可以先拍下哦"],
     (), 0, ["in_pitch"]),
    ("signs off, agent says today ships today", ["c 10:00:00 什么时候发货", "a 10:00:10 下午4点前的今天发",
                                                 "c 10:00:30 好的谢谢", "a 10:00:40 今天下单今天发哦"], (), 1, ["nudge"]),
    ("today ships today in the pitch", ["c 10:00:00 什么时候发货", "a 10:00:10 今天下单今天发"], (), 0, ["in_pitch"]),
    ("low stock after 有点贵", ["c 10:00:00 有点贵", "a 10:00:10 库存不多了，建议尽快下单"], (), 1, ["nudge"]),
    ("pitch line, buyer orders at once: N/A, not a follow-up", [
        "c 10:00:00 什么材质", "a 10:00:05 德化白瓷，现在下单还送一个茶盘", "c 10:00:30 好的，拍了"], (), 0, ["in_pitch"]),
    ("pitch before hesitation, nothing after it (tricky)", [
        "c 10:00:00 能躺吗", "a 10:00:05 可以的，现在有满减活动，需要的话可以下单", "c 10:00:30 好的我再看看"], (), 0,
     ["in_pitch"]),
    ("silent 4 minutes after the agent, then a nudge", [
        "c 10:00:00 能躺吗", "a 10:00:05 可以躺的", "a 10:04:10 今晚12点前下单还包邮哦"], (), 1, ["nudge"]),
    ("no stock is not a nudge", ["c 10:00:00 还有吗", "a 10:00:10 没有库存了"], (), 0, []),
    ("low stock as an excuse is not a nudge", ["c 10:00:00 怎么还不发", "a 10:00:10 库存不多了所以没法发"], (), 0,
     ["excluded"]),
    ("promotion ending, after 考虑一下", ["c 10:00:00 考虑一下", "a 10:00:10 活动快结束了哦"], (), 1, ["nudge"]),
    ("unpaid order then silence then human reminder", [
        "c 10:00:00 拍了", "s 10:00:05 订单已下单，等待买家付款", "a 10:04:00 亲，看到您拍下了，这边帮您备注好了"],
     (1,), 1, ["re_engage"]),
    ("unpaid order paid before the agent speaks", [
        "c 10:00:00 拍了", "s 10:00:05 订单已下单，等待买家付款", "s 10:01:00 买家付款成功",
        "a 10:04:00 亲，看到您拍下了"], (1, 2), 0, []),
    ("one message counts once", Q + ["a 10:03:15 亲还在吗？库存不多了哦"], (), 1, ["re_engage"]),
    ("hesitation then 3m30s silence then a plain reminder", [
        "c 10:00:00 这个加湿器多少钱", "a 10:00:10 亲，199元", "c 10:00:40 那我再对比一下吧",
        "a 10:04:10 亲，这款卧室用噪音很小，您对比完有问题随时问我"], (), 1, ["re_engage"]),
    ("hesitation answered at once is no follow-up", [
        "c 10:00:00 有点贵，先不要了", "a 10:00:20 好的亲"], (), 0, []),
    ("hesitation, customer speaks again before the agent", [
        "c 10:00:00 我先收藏一下", "c 10:05:00 包邮吗", "a 10:05:10 包邮的亲"], (), 0, []),
    ("hesitation then auto-reply only", [
        "c 10:00:00 我再想想", "auto 10:05:00 亲，喜欢的话可以加购哦"], (), 0, []),
    ("price restores tonight, after 我考虑下", ["c 10:00:00 多少钱", "a 10:00:05 秒杀价89", "c 10:00:20 我考虑下",
                                              "a 10:00:30 明天0点就恢复原价了"], (), 1, ["nudge"]),
    ("only a few left, after 先收藏", ["c 10:00:00 还有42码吗", "a 10:00:05 有的", "c 10:00:20 先收藏了",
                                     "a 10:00:30 42码仅剩2双了"], (), 1, ["nudge"]),
    ("hesitation before an earlier order does not carry", [
        "c 10:00:00 我再想想", "c 10:01:00 算了拍了", "a 10:01:10 好的", "c 10:01:20 再问下有赠品吗",
        "a 10:01:30 42码仅剩2双了"], (), 0, ["in_pitch"]),
    ("尽快 about the agent's own work is no nudge", [
        "c 10:00:00 怎么还不发货", "a 10:00:10 我们会尽快为您安排"], (), 0, []),
    ("coupon valid today only, after 再说吧", ["c 10:00:00 有券吗", "a 10:00:05 有满减券", "c 10:00:20 回头再说",
                                             "a 10:00:30 满减券今天有效，需要的话早点下单哦"], (), 1, ["nudge"]),
])
def test_follow_up(detector, name, lines, orders, count, kinds):
    m = measure(detector, *lines, orders=orders)
    assert m.value == count, name
    assert [f.kind for f in m.findings] == kinds
    for f in m.findings:
        assert f.positive == (f.kind in ("re_engage", "nudge"))


def test_re_engage_evidence_points_at_trigger_and_follow_up(detector):
    m = measure(detector, *Q, "a 10:03:15 亲还在考虑吗")
    (f,) = m.findings
    assert [e.message_index for e in f.evidence] == [1, 2]
    assert f.data["silence_seconds"] == 185


def test_silence_option(lexicons):
    patient = FollowUpDetector(lexicons, {"follow_up_silence_seconds": 300})
    (m,) = patient.detect(chat(*Q, "a 10:03:15 亲还在考虑吗"))
    assert m.value == 0


def test_no_timestamps(detector):
    m = measure(detector, "c 有M码吗", "a 有的亲，您要什么颜色呢？", "a 亲还在吗")
    assert m.value == 1 and m.needs_review


# 不适用: nothing called for a follow-up (the buyer ordered without hesitating), versus a missed one.
@pytest.mark.parametrize("name, lines, na", [
    ("ordered without hesitating", ["c 10:00:00 有黑色吗", "a 10:00:05 有的亲", "c 10:00:20 拍了"], True),
    ("hesitated, then ordered, no follow-up", ["c 10:00:00 有黑色吗", "a 10:00:05 有的亲", "c 10:00:20 我再想想",
                                               "c 10:10:00 算了拍了"], False),
    ("left without ordering", ["c 10:00:00 有黑色吗", "a 10:00:05 有的亲", "c 10:00:20 好的谢谢"], False),
    ("agreed to the recommendation, no hesitation", ["c 10:00:00 两个老人吃多少合适",
                                                     "a 10:00:05 两个老人一箱够吃半个月，建议拿一箱", "c 10:00:20 好的"], True),
    ("a bare 好的 after hesitating is no decision (tricky)", ["c 10:00:00 有点贵", "a 10:00:05 已经是活动价了",
                                                           "c 10:00:20 好的"], False),
    ("a question closed with 谢谢 is no sign-off (tricky)", ["c 10:00:00 干皮能用吗？谢谢", "a 10:00:05 可以用",
                                                            "c 10:00:20 好的我拍了"], True),
    ("a question, then 好的，谢谢 after the answer, signs off", ["c 10:00:00 是什么颜色", "a 10:00:05 银白色",
                                                              "c 10:00:20 白色还是银色? 好的，谢谢"], False),
    ("好吧 is resigned, not agreeing (tricky)", ["c 10:00:00 有优惠吗", "a 10:00:05 这款没有活动",
                                               "c 10:00:20 好吧"], False),
    ("went quiet after the answer: nobody knows (tricky)", ["c 10:00:00 有黑色吗", "a 10:00:05 有的亲"], False),
    ("a follow-up given is never N/A", ["c 10:00:00 有黑色吗", "a 10:00:05 有的亲", "c 10:00:10 我想想",
                                        "a 10:00:15 库存不多了", "c 10:00:20 拍了"], False),
    ("a pitch line before the order is N/A (tricky)", ["c 10:00:00 有黑色吗", "a 10:00:05 有的亲，库存不多了",
                                                       "c 10:00:20 拍了"], True),
])
def test_follow_up_not_applicable(detector, name, lines, na):
    m = measure(detector, *lines)
    assert m.not_applicable == na, (name, m.reason)
