"""PII masking: a table of positives (masked) and look-alikes that must stay as they are."""
import json

import pytest

from grader.privacy import PatternError, id_card_ok, load_masker, luhn_ok


@pytest.fixture(scope="module")
def masker():
    return load_masker()


POSITIVES = [
    # (text, masked text, kind)
    pytest.param("电话13800138000", "电话138****8000", "phone", id="phone"),
    pytest.param("手机：15912345678。", "手机：159****5678。", "phone", id="phone-after-colon"),
    pytest.param("打138-0013-8000找我", "打138-****-8000找我", "phone", id="phone-dashed"),
    pytest.param("+86 138 0013 8000", "+86 138 **** 8000", "phone", id="phone-plus86-spaced"),
    pytest.param("tel:8613800138000", "tel:86138****8000", "phone", id="phone-86-no-plus"),
    pytest.param("座机0571-88886666", "座机0571-******66", "landline", id="landline"),
    pytest.param("身份证110101199003071233", "身份证110***********1233", "id_card", id="id-card"),
    pytest.param("证件号44030619851212000x", "证件号440***********000x", "id_card", id="id-card-x-lower"),
    pytest.param("退到卡6222021234567890128", "退到卡***************0128", "bank_card", id="bank-card-19"),
    pytest.param("卡号 6228 4800 1234 5671", "卡号 **** **** **** 5671", "bank_card", id="bank-card-grouped"),
    pytest.param("邮箱 zhangsan@qq.com 谢谢", "邮箱 z*******@qq.com 谢谢", "email", id="email"),
    pytest.param("li.si+shop@mail.163.com", "l*********@mail.163.com", "email", id="email-subdomain"),
    pytest.param("浙江省杭州市西湖区文三路100号5幢302室", "浙江省杭州市西湖区*************", "address",
                 id="address-full"),
    pytest.param("寄到北京市朝阳区建国路88号", "寄到北京市朝阳区******", "address", id="address-road"),
    pytest.param("幸福小区3栋2单元501室", "*************", "address", id="address-estate"),
    pytest.param("上海市浦东新区张江镇科苑路399号", "上海市浦东新区张江镇*******", "address", id="address-town"),
]


@pytest.mark.parametrize("text, masked, kind", POSITIVES)
def test_personal_information_is_masked(masker, text, masked, kind):
    assert masker.mask(text) == masked
    assert len(masker.mask(text)) == len(text)  # one for one: evidence spans stay valid
    assert kind in masker.found(text)


LOOK_ALIKES = [
    pytest.param("¥199.00，满300减30", id="prices"),
    pytest.param("这款1380元，第二件九折", id="price-4-digits"),
    pytest.param("175/88A 选L码，36码的鞋", id="sizes"),
    pytest.param("身高160cm体重50kg穿M", id="height-weight"),
    pytest.param("拍2件，共100个", id="quantities"),
    pytest.param("2026-11-22 10:00:01 发货", id="date-and-time"),
    pytest.param("2026年11月22日下午3点", id="chinese-date"),
    pytest.param("20261122 到 20261130", id="compact-dates"),
    pytest.param("11月3号发货，5号电池两节", id="day-and-battery-numbers"),
    pytest.param("订单号 3456789012345678901", id="order-number-kept-by-default"),
    pytest.param("订单号：110101199003071233", id="order-number-shaped-like-an-id"),
    pytest.param("单号6222021234567890128", id="order-number-passing-luhn"),
    pytest.param("运单号 SF1234567890123", id="waybill"),
    pytest.param("商品编码6901234567892", id="barcode"),
    pytest.param("110101199003071234", id="id-shape-bad-check-digit"),
    pytest.param("6222021234567890123", id="card-shape-bad-luhn"),
    pytest.param("版本 a13800138000b", id="digits-inside-a-token"),
    pytest.param("iPhone 15 Pro Max 256GB", id="model"),
    pytest.param("旺旺@小店，@小美 看一下", id="mentions"),
    pytest.param("超市买的2号电池", id="shop-word-without-road"),
    pytest.param("123456789012", id="12-digits"),
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_stay(masker, text):
    assert masker.mask(text) == text


@pytest.mark.parametrize("text, masked", [
    pytest.param("订单号 3456789012345678901", "订单号 ***************8901", id="taobao"),
    pytest.param("单号201122-123456789012345", "单号******-***********2345", id="pinduoduo"),
])
def test_order_numbers_only_on_request(text, masked):
    assert load_masker().mask(text) == text
    assert load_masker(orders=True).mask(text) == masked


def test_the_switch_turns_masking_off():
    assert load_masker(enabled=False).mask("电话13800138000") == "电话13800138000"


def test_json_documents_keep_keys_numbers_and_hashes(masker):
    doc = {"transcript_id": "t1", "customer": "13800138000", "hash": "f13800138000aa",
           "items": [{"evidence": [{"quote": "发到13800138000", "span": [2, 13]}]}], "total": 13800138000}
    out = json.loads(masker.mask_json_line(json.dumps(doc, ensure_ascii=False)))
    assert out["customer"] == "138****8000" and out["items"][0]["evidence"][0]["quote"] == "发到138****8000"
    assert out["hash"] == doc["hash"] and out["total"] == doc["total"] and out["items"][0]["evidence"][0]["span"] == [2, 13]
    clean = json.dumps({"a": "没有个人信息"}, ensure_ascii=False)
    assert masker.mask_json_line(clean) is clean


@pytest.mark.parametrize("content, message", [
    pytest.param('[[pattern]]\nkind = "x"\nregex = "("\n', "正则表达式有误", id="bad-regex"),
    pytest.param('[[pattern]]\nkind = "x"\n', "缺少", id="no-regex"),
    pytest.param('[[pattern]]\nkind = "x"\nregex = "a"\ncheck = "nope"\n', "缺少或写错", id="unknown-check"),
    pytest.param('[[pattern', "无法读取", id="not-toml"),
])
def test_a_bad_pattern_file_is_refused(tmp_path, content, message):
    path = tmp_path / "pii.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PatternError, match=message):
        load_masker(path)


def test_a_shops_own_pattern(tmp_path):
    path = tmp_path / "pii.toml"
    path.write_text('[[pattern]]\nkind = "wechat"\nlabel = "微信号"\nregex = \'微信[:：]?(?P<mask>[A-Za-z][-_A-Za-z0-9]{5,19})\'\n'
                    'keep_head = 2\n', encoding="utf-8")
    assert load_masker(path).mask("加我微信:abc_def123") == "加我微信:ab********"


@pytest.mark.parametrize("digits, ok", [("110101199003071233", True), ("11010119900307123X", False),
                                        ("440306198512120042", True)])
def test_id_check_digit(digits, ok):
    assert id_card_ok(digits) is ok


@pytest.mark.parametrize("digits, ok", [("4111111111111111", True), ("4111111111111112", False)])
def test_luhn(digits, ok):
    assert luhn_ok(digits) is ok
