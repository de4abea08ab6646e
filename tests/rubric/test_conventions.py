"""Every scoring convention (docs/conventions.md) as named rows: a chat that earns the item and one
that does not, graded end to end with the standard rubric and the bundled lexicons."""
import pytest

from grader.pipeline import Grader
from tests.builders import transcript


@pytest.fixture(scope="module")
def grader():
    return Grader()


def c(t, text):
    return f"c 10:{t} {text}"


def a(t, text):
    return f"a 10:{t} {text}"


# (convention, item, scenario, lines, expected score)
ROWS = [
    # 不适用: the occasion never arose → 0 and marked, not a failure
    ("N/A: no sale, no delivery notes", "presale.delivery_notes", "presale",
     [c("00:00", "这款有货吗"), a("00:05", "您好，有货的"), c("00:30", "好的谢谢")], 0),
    ("N/A: no timed promise", "aftersale.promised_contact", "aftersale",
     [c("00:00", "杯子碎了"), a("00:05", "非常抱歉，已经给您退款了"), c("00:30", "好的")], 0),
    # promotion
    ("promotion: 满减 told", "presale.promotion", "presale",
     [c("00:00", "这件多少钱"), a("00:05", "199元，现在店铺满199减20哦")], 5),
    ("promotion: 拼团价", "presale.promotion", "presale",
     [c("00:00", "怎么买便宜"), a("00:05", "您可以发起拼团，拼团价只要59元")], 5),
    ("promotion: a confirming answer counts", "presale.promotion", "presale",
     [c("00:00", "包邮吗"), a("00:05", "包邮的亲")], 5),
    ("promotion: negated mention", "presale.promotion", "presale",
     [c("00:00", "有优惠吗"), a("00:05", "这款暂时没有优惠哦")], 0),
    ("promotion: only the customer names it", "presale.promotion", "presale",
     [c("00:00", "有满减吗"), a("00:05", "这款是新品，质量很好的")], 0),
    ("promotion: price protection is no offer", "presale.promotion", "presale",
     [c("00:00", "买了会降价吗"), a("00:05", "我们支持价保，降价可以申请退差价")], 0),
    ("promotion: a sale named as an excuse", "presale.promotion", "presale",
     [c("00:00", "什么时候发货"), a("00:05", "大促期间发货慢，72小时内发出")], 0),
    ("promotion: a refund template's coupon is no offer", "presale.promotion", "presale",
     [c("00:00", "不想要了"), a("00:05", "退款成功后，您使用的优惠券会原路返还")], 0),
    # highlight_benefits
    ("highlight: a strength volunteered", "presale.highlight_benefits", "presale",
     [c("00:00", "这件外套怎么样"), a("00:05", "这款是90%白鸭绒，保暖性很好，轻便不臃肿")], 5),
    ("highlight: a bare fact that answers is none", "presale.highlight_benefits", "presale",
     [c("00:00", "衣长多少"), a("00:05", "衣长75")], 0),
    # ask_needs
    ("ask_needs: asks the customer's situation", "presale.ask_needs", "presale",
     [c("00:00", "想买件羽绒服"), a("00:05", "请问您身高体重多少？平时穿什么码？")], 5),
    ("ask_needs: facts the customer volunteered are not asked", "presale.ask_needs", "presale",
     [c("00:00", "我165，110斤，平时穿M"), a("00:05", "好的，M码有货")], 0),
    ("ask_needs: 请稍等 is no question", "presale.ask_needs", "presale",
     [c("00:00", "我170，穿什么码"), a("00:05", "请稍等，我看一下")], 0),
    # recommend
    ("recommend: a size fitted to the need", "presale.recommend", "presale",
     [c("00:00", "我165，110斤"), a("00:05", "建议您拿M码，穿着合身")], 5),
    ("recommend: a mere 可以的 to the customer's choice", "presale.recommend", "presale",
     [c("00:00", "我就拿M码吧"), a("00:05", "可以的")], 0),
    # follow_up
    ("follow_up: nudge after 我考虑下", "presale.follow_up", "presale",
     [c("00:00", "多少钱"), a("00:05", "129元"), c("00:30", "我考虑下"),
      a("00:40", "亲，这款库存不多了，喜欢可以先拍下哦")], 5),
    ("follow_up: buyer signs off without ordering, agent nudges", "presale.follow_up", "presale",
     [c("00:00", "有黑色吗"), a("00:05", "有的"), c("00:30", "好的谢谢"),
      a("00:40", "看中的话可以尽早下单哦")], 5),
    ("follow_up: a sales line in the pitch to a buyer who orders at once is no follow-up", "presale.follow_up",
     "presale", [c("00:00", "有黑色吗"), a("00:05", "有的，现在店铺满199减20"), c("00:30", "好，拍了")], 0),
    ("follow_up: no hesitation, no nudge", "presale.follow_up", "presale",
     [c("00:00", "有黑色吗"), a("00:05", "有的"), c("00:30", "拍了")], 0),
    # delivery_notes
    ("delivery_notes: check on delivery after the order", "presale.delivery_notes", "presale",
     [c("00:00", "好的我拍了"), a("00:05", "签收前请先检查外包装，有破损可以拒收")], 5),
    ("delivery_notes: shipping times are not notes", "presale.delivery_notes", "presale",
     [c("00:00", "好的我拍了"), a("00:05", "今天下午发货，请留意物流")], 0),
    # warm_greeting
    ("greeting: 您好 in the first reply", "aftersale.warm_greeting", "aftersale",
     [c("00:00", "杯子碎了"), a("00:05", "您好，很高兴为您服务")], 5),
    ("greeting: generic offer of help alone is none", "aftersale.warm_greeting", "aftersale",
     [c("00:00", "在吗"), a("00:05", "有什么问题我可以帮您处理或解决呢?")], 0),
    # clarify_issue
    ("clarify: asks for photos", "aftersale.clarify_issue", "aftersale",
     [c("00:00", "杯子碎了"), a("00:05", "麻烦您拍一下照片")], 5),
    ("clarify: a phone number to call back is none", "aftersale.clarify_issue", "aftersale",
     [c("00:00", "没收到货"), a("00:05", "请留一下您的手机号，专员回电")], 0),
    # soothe
    ("soothe: an apology for the trouble", "aftersale.soothe", "aftersale",
     [c("00:00", "杯子碎了"), a("00:05", "非常抱歉给您添麻烦了")], 5),
    ("soothe: a closing formula not tied to a trouble is none", "aftersale.soothe", "aftersale",
     [c("00:00", "发票开了吗"), a("00:05", "已经开好了，怠慢之处请您谅解")], 0),
    ("soothe: thanks for understanding is none", "aftersale.soothe", "aftersale",
     [c("00:00", "杯子碎了"), a("00:05", "已经给您退款了，感谢您的理解")], 0),
    # promised_contact
    ("promise: kept inside its window", "aftersale.promised_contact", "aftersale",
     [c("00:00", "快递丢了"), a("00:05", "我去查一下，10分钟内给您回复"), a("07:00", "查到了，已经给您补发")], 5),
    ("promise: broken", "aftersale.promised_contact", "aftersale",
     [c("00:00", "快递丢了"), a("00:05", "10分钟内给您回复"), a("40:00", "查到了")], 0),
    ("promise: the deadline falls after the record ends", "aftersale.promised_contact", "aftersale",
     [c("00:00", "快递丢了"), a("00:05", "明天上午给您回电")], 0),
    ("promise: a shipping promise is no contact promise", "aftersale.promised_contact", "aftersale",
     [c("00:00", "发错了"), a("00:05", "今天中午前给您重新发出")], 0),
    # same_day_resolution
    ("same_day: refund approved in the chat", "aftersale.same_day_resolution", "aftersale",
     [c("00:00", "杯子碎了"), a("00:05", "已经给您退款了"), c("00:30", "好的谢谢")], 10),
    ("same_day: vague 有消息通知你 is open", "aftersale.same_day_resolution", "aftersale",
     [c("00:00", "快递丢了"), a("00:05", "已经反馈了，有消息通知您"), c("00:30", "好")], 0),
    # levels
    ("expertise: evasive is 0", "product_expertise", "presale",
     [c("00:00", "这个能用在苹果手机上吗"), a("00:05", "不太清楚，你看详情页吧")], 0),
    ("attitude: deflection is 0", "service_attitude", "aftersale",
     [c("00:00", "快递三天没动了"), a("00:05", "这个不归我们管，你自己找快递")], 0),
    ("attitude: acts itself is 20", "service_attitude", "aftersale",
     [c("00:00", "快递三天没动了"), a("00:05", "非常抱歉，我马上联系快递帮您催件，给您两个选择：继续等或者直接给您补发")], 20),
]


@pytest.mark.parametrize("convention, item, scenario, lines, expected", ROWS, ids=[r[0] for r in ROWS])
def test_convention(grader, convention, item, scenario, lines, expected):
    card = grader.grade(transcript(*lines), scenario)
    got = card.item(item)
    assert got.score == expected, (convention, got.reason)


@pytest.mark.parametrize("item, lines", [
    ("presale.delivery_notes", [c("00:00", "这款有货吗"), a("00:05", "您好，有货的")]),
    ("aftersale.promised_contact", [c("00:00", "杯子碎了"), a("00:05", "已经给您退款了")]),
], ids=["no sale", "no promise"])
def test_not_applicable_is_marked_with_its_reason(grader, item, lines):
    scenario = item.split(".")[0]
    got = grader.grade(transcript(*lines), scenario).item(item)
    assert got.not_applicable and got.score == 0 and got.reason.startswith("不适用：")
