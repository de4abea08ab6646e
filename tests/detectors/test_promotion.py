import pytest

from grader.detectors.lexicon import LexiconSet
from grader.detectors.promotion import PromotionDetector
from tests.builders import chat


@pytest.fixture(scope="module")
def detector():
    return PromotionDetector(LexiconSet.load())


@pytest.mark.parametrize("name, lines, expected_count, expected_terms", [
    ("full reduction", ["c 10:00:00 有活动吗", "a 10:00:05 亲，现在全店满300减30哦"], 1, ["满300减30"]),
    ("coupon and free shipping", ["c 10:00:00 贵了", "a 10:00:05 可以先领店铺优惠券，而且包邮的"], 2, ["优惠券", "包邮"]),
    ("没有优惠 is no promotion", ["c 10:00:00 有优惠吗", "a 10:00:05 这款没有优惠哦"], 0, []),
    ("不参加 negates", ["c 10:00:00 能用券吗", "a 10:00:05 这款不参加店铺满减活动"], 0, []),
    ("negation does not cross 但", ["c 10:00:00 有满减吗", "a 10:00:05 没有满减但有优惠券可以领"], 1, ["优惠券"]),
    ("customer's word does not count", ["c 10:00:00 有优惠券吗", "a 10:00:05 您好，在的"], 0, []),
    ("auto-reply does not count", ["c 10:00:00 在吗", "auto 10:00:01 【自动回复】全店满199减20", "a 10:01:00 您好"], 0, []),
    ("gift verb as a whole word", ["c 10:00:00 有赠品吗", "a 10:00:05 下单送您一个收纳袋"], 1, ["下单送"]),  # read as a gift with an order (promotion.txt v4)
    ("送 inside 运送 is not a gift", ["c 10:00:00 怎么发货", "a 10:00:05 我们用顺丰运送"], 0, []),
])
def test_promotion_table(detector, name, lines, expected_count, expected_terms):
    (m,) = detector.detect(chat(*lines))
    assert m.item == "presale.promotion"
    assert m.value == expected_count, name
    counted = [f for f in m.findings if f.positive]
    assert [f.evidence[0].quote for f in counted] == expected_terms
    for f in counted:
        assert f.lexicon == "promotion" and f.lexicon_version == detector.lex["promotion"].version_tag


def test_negated_mention_is_reported_as_evidence(detector):
    (m,) = detector.detect(chat("c 10:00:00 有优惠吗", "a 10:00:05 这款没有优惠哦"))
    (f,) = m.findings
    assert not f.positive and f.kind == "excluded" and "没有" in f.reason
    assert f.evidence[0].message_index == 1 and f.evidence[0].quote == "优惠"


def test_prefilter_never_loses_a_match_of_an_anchored_term():
    from grader.detectors.lexicon import parse_lexicon
    from grader.detectors.chat import Chat
    from tests.builders import transcript

    lex = parse_lexicon("# name: q\n# version: 1\n# role: agent\nre:吗[~～]*$\nre:^好的\n")
    chat = Chat(transcript("c 10:00:00 在吗", "a 10:00:05 好的，还有别的问题吗", "a 10:00:09 稍等"))
    assert [m.text for _, m in chat.find(lex)] == ["好的", "吗"]
