"""Red lines (一票否决): per red line, chats that hit it and look-alikes that must not."""
import json
from pathlib import Path

import pytest

from grader.detectors.lexicon import LexiconSet
from grader.detectors.red_line import RedLineDetector
from tests.builders import chat

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "jddc2019_sample" / "dialogues.jsonl"


@pytest.fixture(scope="module")
def detector():
    return RedLineDetector(LexiconSet.load())


def hits(detector, *lines) -> dict[str, list[str]]:
    """lexicon name -> the quotes that hit."""
    out = {}
    for m in detector.detect(chat(*lines)):
        quotes = [f.evidence[0].quote for f in m.findings if f.kind == "hit"]
        assert m.value == len(quotes)
        if quotes:
            out[m.item] = quotes
    return out


POSITIVE = [
    ("offline: add my WeChat", "redline_offline_trade", ["c 10:00:00 能便宜吗", "a 10:00:05 加我微信，私下给您便宜"]),
    ("offline: transfer to me", "redline_offline_trade", ["c 10:00:00 怎么付款", "a 10:00:05 您直接支付宝转给我就行"]),
    ("offline: skip the platform", "redline_offline_trade", ["c 10:00:00 运费好贵", "a 10:00:05 不走平台的话可以省运费"]),
    ("offline: my QQ is", "redline_offline_trade", ["c 10:00:00 怎么联系你", "a 10:00:05 我的QQ是123456，有事找我"]),
    ("abuse: insult", "redline_abuse", ["c 10:00:00 怎么还没到", "a 10:00:05 你有病吧，催什么催"]),
    ("abuse: rhetorical question", "redline_abuse", ["c 10:00:00 尺码怎么选", "a 10:00:05 你自己不会看吗，详情页都有"]),
    ("abuse: already told you", "redline_abuse", ["c 10:00:00 什么时候发货", "a 10:00:05 不是跟你说过了吗"]),
    ("abuse: sarcasm", "redline_abuse", ["c 10:00:00 太贵了", "a 10:00:05 买不起就别买"]),
    ("abuse: 滚 as a word", "redline_abuse", ["c 10:00:00 垃圾店", "a 10:00:05 滚"]),
    ("privacy: another buyer's address", "redline_privacy", ["c 10:00:00 还有人买吗", "a 10:00:05 上一个买家的地址也是北京朝阳的"]),
    ("privacy: a full mobile number the buyer never gave", "redline_privacy",
     ["c 10:00:00 快递员电话多少", "a 10:00:05 您打这个13812345678问问他"]),
    ("review bribe: cash back", "redline_review_bribe", ["c 10:00:00 收到了", "a 10:00:05 亲，五星好评返现5元哦"]),
    ("review bribe: red packet for a photo review", "redline_review_bribe",
     ["c 10:00:00 好的", "a 10:00:05 给您发红包，麻烦晒图好评"]),
    ("review bribe: pay to change a bad review", "redline_review_bribe",
     ["c 10:00:00 质量太差，给差评了", "a 10:00:05 您把差评改成好评，我给您返10元"]),
    ("absolute: 全网最低", "redline_absolute_terms", ["c 10:00:00 价格呢", "a 10:00:05 我们家全网最低价"]),
    ("absolute: 销量第一", "redline_absolute_terms", ["c 10:00:00 好卖吗", "a 10:00:05 这款是行业销量第一"]),
    ("absolute: 国家级", "redline_absolute_terms", ["c 10:00:00 质量怎么样", "a 10:00:05 国家级工艺，放心"]),
    ("absolute: 最好的面料", "redline_absolute_terms", ["c 10:00:00 面料呢", "a 10:00:05 用的是最好的面料"]),
    ("promise: delivery guaranteed", "redline_false_promise", ["c 10:00:00 明天能到吗", "a 10:00:05 保证明天送到"]),
    ("promise: never fades", "redline_false_promise", ["c 10:00:00 会掉色吗", "a 10:00:05 百分百不会掉色"]),
    ("promise: lifelong warranty", "redline_false_promise", ["c 10:00:00 保修多久", "a 10:00:05 永久保修的亲"]),
]

LOOKALIKE = [
    ("offline: negated", ["c 10:00:00 能加微信吗", "a 10:00:05 不好意思，不能加微信的，请在平台下单"]),
    ("offline: a warning", ["c 10:00:00 有人让我转账", "a 10:00:05 请勿私下转账，谨防诈骗"]),
    ("offline: the official account", ["c 10:00:00 发票呢", "a 10:00:05 请关注“京东卡助手”微信公众号查询"]),
    ("offline: WeChat Pay at the checkout", ["c 10:00:00 怎么付", "a 10:00:05 微信支付，银行支付都可以的"]),
    ("offline: quoting the customer's words", ["c 10:00:00 可以私下交易吗", "a 10:00:05 您说的私下交易我们是不支持的"]),
    ("abuse: 财源滚滚", ["c 10:00:00 谢谢", "a 10:00:05 祝您身体健康、财源滚滚"]),
    ("abuse: an offer to help, no question", ["c 10:00:00 看不懂", "a 10:00:05 不懂的地方随时问我哦"]),
    ("abuse: the customer's insult", ["c 10:00:00 你有病吧", "a 10:00:05 非常抱歉给您带来不好的体验"]),
    ("privacy: the buyer's own number read back", ["c 10:00:00 电话改成13812345678", "a 10:00:05 好的，已改为13812345678"]),
    ("privacy: a masked number", ["c 10:00:00 电话对吗", "a 10:00:05 您的电话是138****5678对吗"]),
    ("privacy: asking for contact details", ["c 10:00:00 好", "a 10:00:05 您提供下您的联系方式，专员联系您"]),
    ("privacy: refusing to tell", ["c 10:00:00 别的买家的地址是哪", "a 10:00:05 抱歉，不能透露其他顾客的地址"]),
    ("review: inviting a service rating", ["c 10:00:00 谢谢", "a 10:00:05 亲爱的，给妹子一个好评好嘛"]),
    ("review: thanks for praise", ["c 10:00:00 给你好评了", "a 10:00:05 感谢您的好评"]),
    ("review: negated cash back", ["c 10:00:00 好评返现吗", "a 10:00:05 我们不做好评返现的哦"]),
    ("absolute: advice 最好", ["c 10:00:00 删了会怎样", "a 10:00:05 建议您最好不要删除哦"]),
    ("absolute: 第一时间", ["c 10:00:00 到了通知我", "a 10:00:05 到货后会第一时间给您发货"]),
    ("absolute: the first model", ["c 10:00:00 选哪个", "a 10:00:05 推荐您选择第一款呢"]),
    ("absolute: own price 最低价", ["c 10:00:00 再便宜点", "a 10:00:05 已经是最低价了亲"]),
    ("absolute: will not claim", ["c 10:00:00 是全网最低吗", "a 10:00:05 这个不敢说全网最低，但很划算"]),
    ("promise: honestly not guaranteed", ["c 10:00:00 明天能到吗", "a 10:00:05 不能保证明天到，一般两三天"]),
    ("promise: 正品保证", ["c 10:00:00 是正品吗", "a 10:00:05 都是正品保证，请放心"]),
    ("promise: 打包好 is no cure claim", ["c 10:00:00 快点", "a 10:00:05 仓库打包好就交付您了"]),
    ("auto-reply never hits", ["c 10:00:00 在吗", "auto 10:00:01 加我微信领优惠", "a 10:00:30 您好"]),
    ("customer never hits", ["c 10:00:00 加我微信吧，全网最低吗", "a 10:00:05 您好，请在平台内沟通"]),
]


@pytest.mark.parametrize("name, lexicon, lines", POSITIVE, ids=[p[0] for p in POSITIVE])
def test_red_line_hits(detector, name, lexicon, lines):
    found = hits(detector, *lines)
    assert list(found) == [lexicon], (name, found)


@pytest.mark.parametrize("name, lines", LOOKALIKE, ids=[p[0] for p in LOOKALIKE])
def test_look_alikes_are_no_hit(detector, name, lines):
    assert hits(detector, *lines) == {}, name


def test_look_alikes_are_shown_with_why(detector):
    measured = {m.item: m for m in detector.detect(chat("c 10:00:00 能加微信吗", "a 10:00:05 不能加微信的"))}
    (f,) = measured["redline_offline_trade"].findings
    assert f.kind == "negated" and "不能" in f.reason and f.evidence[0].quote == "加微信"
    measured = {m.item: m for m in detector.detect(chat("c 10:00:00 可以私下交易吗", "a 10:00:05 私下交易不行哦"))}
    (f,) = measured["redline_offline_trade"].findings
    assert f.kind == "quoted" and "顾客第1条" in f.reason


def test_quotation_marks_make_a_quote(detector):
    assert hits(detector, "c 10:00:00 客服", "a 10:00:05 平台规定不能说“全网最低”这种话") == {}


def test_red_line_findings_name_their_lexicon_version(detector):
    m = next(m for m in detector.detect(chat("c 10:00:00 在", "a 10:00:05 加我微信")) if m.value)
    assert m.findings[0].lexicon_version == detector.lex["redline_offline_trade"].version_tag


@pytest.mark.skipif(not CORPUS.exists(), reason="JDDC corpus not beside the project")
def test_few_false_hits_on_real_jd_chats(detector):
    """994 real JD chats hold no red-line behaviour we know of: at most 0.5% may hit (docs/month.md)."""
    from grader.detectors.chat import Chat
    from grader.transcript.model import Message, Transcript

    chats = hit = 0
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        t = Transcript(id=row["id"], platform="jd", messages=[
            Message(sender=m["role"], role=m["role"], text=m["text"]) for m in row["turns"]]).normalize()
        chats += 1
        hit += any(m.value for m in detector.detect(Chat(t)))
    assert chats == 994
    assert hit <= 0.005 * chats
