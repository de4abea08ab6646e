"""Qianniu (千牛) text exports."""
from datetime import datetime

import pytest

from grader.transcript import SetAside, Transcript, read_file
from grader.transcript.model import SHANGHAI
from grader.transcript.parsing import load_notices, match_notice
from grader.transcript.qianniu import transcript_id


def read_text(tmp_path, text, name="chat.txt", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return read_file(path)


def one(tmp_path, text):
    items = read_text(tmp_path, text)
    assert len(items) == 1 and isinstance(items[0], Transcript), items
    return items[0]


CHAT = """\
小美家居旗舰店:小美 2026-11-22 10:00:02
【自动回复】您好，欢迎光临小美家居，有什么可以帮您？
tb20261122 2026-11-22 10:00:09
在吗
这款床垫有1.8米的吗
已读
小美家居旗舰店:小美 2026-11-22 10:00:40
您好，有的亲
"""


@pytest.mark.parametrize("header, expected", [
    ("tb20261122 2026-11-22 10:00:09", datetime(2026, 11, 22, 10, 0, 9, tzinfo=SHANGHAI)),
    ("tb20261122 2026-1-2 9:05:09", datetime(2026, 1, 2, 9, 5, 9, tzinfo=SHANGHAI)),
    ("tb202611222026-11-22 10:00:09", datetime(2026, 11, 22, 10, 0, 9, tzinfo=SHANGHAI)),
    ("tb20261122  2026-11-22 0:00:09  ", datetime(2026, 11, 22, 0, 0, 9, tzinfo=SHANGHAI)),
    ("小 美 的 店:售后 阿花2026-11-22 10:00:09", datetime(2026, 11, 22, 10, 0, 9, tzinfo=SHANGHAI)),
])
def test_header_forms(tmp_path, header, expected):
    t = one(tmp_path, f"{header}\n在吗\n")
    assert t.messages[0].time == expected
    assert t.messages[0].sender in ("tb20261122", "小 美 的 店:售后 阿花")
    assert t.messages[0].text == "在吗"


def test_roles_auto_reply_multiline_and_status_lines(tmp_path):
    t = one(tmp_path, CHAT)
    assert t.platform == "taobao" and t.shop == "小美家居旗舰店" and t.customer == "tb20261122"
    assert [(m.role, m.auto_reply) for m in t.messages] == [
        ("agent", True), ("customer", False), ("agent", False)]
    assert t.messages[0].text == "您好，欢迎光临小美家居，有什么可以帮您？"
    assert t.messages[1].text == "在吗\n这款床垫有1.8米的吗"  # 已读 dropped
    assert t.agent == "小美家居旗舰店:小美"
    assert [m.source_line for m in t.messages] == [1, 3, 7]


@pytest.mark.parametrize("status", ["已读", "未读", "发送中", "[已读]"])
def test_status_lines_dropped(tmp_path, status):
    t = one(tmp_path, f"tb1 2026-11-22 10:00:09\n在吗\n{status}\n")
    assert t.messages[0].text == "在吗"


def test_auto_reply_square_bracket_prefix(tmp_path):
    t = one(tmp_path, "店:小美 2026-11-22 10:00:02\n[自动回复]亲，稍等\ntb1 2026-11-22 10:00:03\n好\n")
    assert t.messages[0].auto_reply and t.messages[0].text == "亲，稍等"


def test_notices_take_time_of_previous_or_next_message(tmp_path):
    text = ("当前用户来自 手机淘宝\n"
            "顾客正在浏览：加厚珊瑚绒四件套\n"
            "tb1 2026-11-22 10:00:09\n在吗\n"
            "由 服务助手 转交给 店:小王\n"
            "原因：【客户咨询售后问题】\n"
            "店:小王 2026-11-22 10:01:00\n您好\n"
            "tb1 撤回了一条消息\n"
            "客户已下单，订单号 3302918822，付款成功\n")
    t = one(tmp_path, text)
    got = [(m.role, m.kind, m.time.strftime("%H:%M:%S"), m.source_line) for m in t.messages]
    assert got == [
        ("system", "notice", "10:00:09", 1), ("system", "notice", "10:00:09", 2),
        ("customer", "text", "10:00:09", 3),
        ("system", "transfer", "10:00:09", 5), ("system", "notice", "10:00:09", 6),
        ("agent", "text", "10:01:00", 7),
        ("system", "recall", "10:01:00", 9), ("system", "order", "10:01:00", 10)]
    assert t.messages[1].text == "顾客正在浏览：加厚珊瑚绒四件套"


def test_transfer_names_are_agents_even_without_colon(tmp_path):
    t = one(tmp_path, "tb1 2026-11-22 10:00:09\n在吗\n由 服务助手 转交给 阿花\n阿花 2026-11-22 10:00:20\n您好\n")
    assert [m.role for m in t.messages] == ["customer", "system", "agent"]


def test_split_by_separator_lines(tmp_path):
    text = ("-------------------- 2026-11-22 --------------------\n"
            "tb1 2026-11-22 10:00:09\n在吗\n店:小美 2026-11-22 10:00:12\n在的\n"
            "----------------------------------------\n"
            "tb1 2026-11-22 15:00:09\n发货了吗\n店:小美 2026-11-22 15:00:20\n今天发\n"
            "========================================\n"
            "tb1 2026-11-22 20:00:00\n谢谢\n")
    items = read_text(tmp_path, text)
    assert [len(t.messages) for t in items] == [2, 2, 1]
    assert len({t.id for t in items}) == 3
    assert items[2].shop == "店"  # shop known from earlier chats of the file


@pytest.mark.parametrize("text, sizes", [
    pytest.param("tb1 2026-11-20 10:00:09\n在吗\n店:小美 2026-11-20 10:00:12\n在的\n"
                 "tb1 2026-11-20 12:00:12\n正好两小时，不分开\n", [3], id="answered-then-exactly-2h"),
    pytest.param("tb1 2026-11-20 10:00:09\n在吗\n店:小美 2026-11-20 10:00:12\n在的\n"
                 "tb1 2026-11-20 12:00:13\n超过两小时，新会话\n", [2, 1], id="answered-then-over-2h"),
    pytest.param("tb1 2026-11-20 10:00:09\n在吗\n店:小美 2026-11-20 10:00:12\n在的\n"
                 "店:小美 2026-11-20 16:00:00\n亲，已经发货了\n", [3], id="shop-follow-up-after-gap-stays"),
    pytest.param("tb1 2026-11-20 23:50:09\n在吗\n店:小美 2026-11-20 23:50:10\n【自动回复】夜间客服回复较慢\n"
                 "店:小美 2026-11-21 08:30:00\n您好，在的\n", [3], id="night-message-answered-next-morning"),
    pytest.param("tb1 2026-11-20 10:00:09\n在吗\n店:小美 2026-11-20 10:00:12\n明天给您回复\ntb1 2026-11-20 10:01:00\n好\n"
                 "店:小美 2026-11-21 09:00:00\n已经补发了\n", [4], id="buyer-ok-waits-for-next-day-follow-up"),
    pytest.param("tb1 2026-11-20 10:00:09\n在吗\ntb1 2026-11-21 10:00:10\n还在吗\n", [1, 1],
                 id="unanswered-but-over-24h"),
    pytest.param("tb1 2026-11-20 10:00:09\n在吗\n店:小美 2026-11-20 10:00:12\n在的\n会话已结束\n"
                 "当前用户来自 手机淘宝\n顾客正在浏览：加湿器\ntb1 2026-11-20 18:00:00\n收到了，漏水\n", [3, 3],
                 id="closed-stays-opening-notices-move"),
])
def test_split_at_idle_gap(tmp_path, text, sizes):
    items = read_text(tmp_path, text)
    assert [len(t.messages) for t in items] == sizes
    assert len({t.id for t in items}) == len(items)


def test_session_gap_is_configurable(tmp_path):
    from datetime import timedelta

    from grader.transcript.qianniu import parse_qianniu
    text = "tb1 2026-11-20 10:00:09\n在吗\n店:小美 2026-11-20 10:00:12\n在的\ntb1 2026-11-20 10:40:00\n还有\n"
    lines = list(enumerate(text.splitlines(), 1))
    assert len(list(parse_qianniu(lines, "f"))) == 1
    assert len(list(parse_qianniu(lines, "f", session_gap=timedelta(minutes=30)))) == 2


def test_stable_id(tmp_path):
    first = one(tmp_path, CHAT)
    again = one(tmp_path, CHAT)
    expected = transcript_id("小美家居旗舰店", "tb20261122", datetime(2026, 11, 22, 10, 0, 2, tzinfo=SHANGHAI))
    assert first.id == again.id == expected and first.id.startswith("qn-")


def test_unparseable_header_time_sets_chat_aside(tmp_path):
    text = ("tb1 2026-11-22 10:00:09\n在吗\n---\n"
            "tb2 2026-13-45 25:00:00\n坏的\n---\n"
            "tb3 2026-11-22 11:00:00\n好的\n")
    items = read_text(tmp_path, text)
    assert [type(i).__name__ for i in items] == ["Transcript", "SetAside", "Transcript"]
    assert items[1].line == 4 and "时间无法解析" in items[1].reason


def test_chat_with_only_notices_is_set_aside(tmp_path):
    items = read_text(tmp_path, "tb1 2026-11-22 10:00:09\n在吗\n-----\n当前用户来自 手机淘宝\n")
    assert isinstance(items[1], SetAside) and items[1].line == 4 and "没有任何带时间的消息" in items[1].reason


def test_text_before_first_header_is_noted(tmp_path):
    t = one(tmp_path, "与 tb1 的聊天记录\ntb1 2026-11-22 10:00:09\n在吗\n")
    assert t.notes and "不属于任何消息" in t.notes[0]


def test_notice_patterns_are_data():
    notices = load_notices("# own\nnotice    客户关注了店铺.*\n")
    assert match_notice("客户关注了店铺 小美家居", notices)[0].kind == "notice"
    assert match_notice("您的订单号 123 已发货") is None  # agent text, not a notice


def test_bad_notice_file_is_a_config_error():
    from grader.errors import ConfigError
    with pytest.raises(ConfigError, match="KIND REGEX"):
        load_notices("banana  .*\n")


# --- layouts that copy-paste and export tools produce -------------------------------------------
FOUR = [("customer", "在吗，这款保温杯有500ml的吗"), ("agent", "您好亲，有的呢"),
        ("customer", "能保温多久"), ("agent", "亲，6小时保温在60度以上哦")]


@pytest.mark.parametrize("text", [
    pytest.param("tb5832016477 2023-01-05 09:03:02\n在吗，这款保温杯有500ml的吗\n"
                 "暖宝生活馆:阿静 2023-01-05 09:03:09\n您好亲，有的呢\n"
                 "tb5832016477 2023-01-05 09:04:10\n能保温多久\n"
                 "暖宝生活馆:阿静 2023-01-05 09:04:20\n亲，6小时保温在60度以上哦\n", id="one-line-headers"),
    pytest.param("tb5832016477\n2023-01-05 09:03:02\n在吗，这款保温杯有500ml的吗\n"
                 "暖宝生活馆:阿静\n2023-01-05 09:03:09\n您好亲，有的呢\n"
                 "tb5832016477\n2023-01-05 09:04:10\n能保温多久\n"
                 "暖宝生活馆:阿静\n2023-01-05 09:04:20\n亲，6小时保温在60度以上哦\n", id="two-line-headers"),
    pytest.param("tb5832016477 2023-01-05 09:03:02\n在吗，这款保温杯有500ml的吗\n"
                 "暖宝生活馆:阿静\n2023-01-05 09:03:09\n您好亲，有的呢\n"
                 "tb5832016477 2023-01-05 09:04:10\n能保温多久\n"
                 "暖宝生活馆:阿静\n2023-01-05 09:04:20\n亲，6小时保温在60度以上哦\n", id="mixed-one-and-two-line"),
    pytest.param("tb5832016477(2023-01-05 09:03:02):\n在吗，这款保温杯有500ml的吗\n"
                 "暖宝生活馆:阿静(2023-01-05 09:03:09):\n您好亲，有的呢\n"
                 "tb5832016477（2023-01-05 09:04:10）：\n能保温多久\n"
                 "暖宝生活馆:阿静 (2023-01-05 09:04:20)\n亲，6小时保温在60度以上哦\n", id="bracketed-time"),
    pytest.param("tb5832016477 2023年1月5日 09:03:02\n在吗，这款保温杯有500ml的吗\n"
                 "暖宝生活馆:阿静 2023年1月5日 09:03:09\n您好亲，有的呢\n"
                 "tb5832016477 2023/1/5 9:04:10\n能保温多久\n"
                 "暖宝生活馆:阿静 2023.01.05 09:04:20\n亲，6小时保温在60度以上哦\n", id="chinese-and-dotted-dates"),
    pytest.param("2023-01-05 09:03:02 tb5832016477\n在吗，这款保温杯有500ml的吗\n"
                 "2023-01-05 09:03:09 暖宝生活馆:阿静\n您好亲，有的呢\n"
                 "2023-01-05 09:04:10 tb5832016477\n能保温多久\n"
                 "2023-01-05 09:04:20 暖宝生活馆:阿静\n亲，6小时保温在60度以上哦\n", id="time-first-headers"),
    pytest.param("\r\n".join("tb5832016477\n2023-01-05 09:03:02\n在吗，这款保温杯有500ml的吗\n"
                             "暖宝生活馆:阿静\n2023-01-05 09:03:09\n您好亲，有的呢\n"
                             "tb5832016477\n2023-01-05 09:04:10\n能保温多久\n"
                             "暖宝生活馆:阿静\n2023-01-05 09:04:20\n亲，6小时保温在60度以上哦\n".split("\n")),
                 id="two-line-windows-line-ends"),
])
def test_header_layouts_give_the_same_four_messages(tmp_path, text):
    t = one(tmp_path, text)
    assert [(m.role, m.text) for m in t.messages] == FOUR
    assert t.shop == "暖宝生活馆" and t.customer == "tb5832016477" and t.time_resolution == 1
    assert [m.time.second for m in t.messages] == [2, 9, 10, 20]


@pytest.mark.parametrize("text, texts", [
    pytest.param("tb1 2023-01-05 09:03:02\n我的订单号是\n3600112233\n2023-01-05 09:03:02\n是这个吗\n"
                 "店:小美 2023-01-05 09:03:09\n是的\n",
                 ["我的订单号是\n3600112233\n2023-01-05 09:03:02\n是这个吗", "是的"],
                 id="bare-time-after-a-sentence-line-is-content"),
    pytest.param("tb1 2023-01-05 09:03:02\n几点发货？\n2023-01-05 09:03:02\n店:小美 2023-01-05 09:03:09\n今天\n",
                 ["几点发货？\n2023-01-05 09:03:02", "今天"], id="question-line-is-not-a-nickname"),
])
def test_a_bare_time_in_content_stays_content(tmp_path, text, texts):
    assert [m.text for m in one(tmp_path, text).messages] == texts


def test_minute_only_headers_are_minute_precise(tmp_path):
    t = one(tmp_path, "tb1 2023-01-05 9:03\n在吗\n店:小美 2023-01-05 9:03\n在的\n")
    assert t.time_resolution == 60 and [m.role for m in t.messages] == ["customer", "agent"]


# --- roles from who the speaker is ---------------------------------------------------------------
@pytest.mark.parametrize("text, roles", [
    pytest.param("lucy:) 2023-01-05 09:03:02\n在吗\n暖宝生活馆:阿静 2023-01-05 09:03:09\n【自动回复】您好\n"
                 "暖宝生活馆:阿静 2023-01-05 09:03:30\n亲，在的\n",
                 {"lucy:)": "customer", "暖宝生活馆:阿静": "agent"}, id="buyer-nick-with-colon-vs-auto-reply"),
    pytest.param("小猫:喵喵 2023-01-05 09:03:02\n在吗\n暖宝生活馆:阿静 2023-01-05 09:03:09\n在的\n"
                 "暖宝生活馆:售后小林 2023-01-05 09:04:00\n我来跟进\n",
                 {"小猫:喵喵": "customer", "暖宝生活馆:阿静": "agent", "暖宝生活馆:售后小林": "agent"},
                 id="two-sub-accounts-share-the-shop"),
    pytest.param("小猫:喵喵 2023-01-05 09:03:02\n在吗\n暖宝生活馆:阿静 2023-01-05 09:03:09\n在的\n",
                 {"小猫:喵喵": "customer", "暖宝生活馆:阿静": "agent"}, id="the-opener-is-the-buyer"),
    pytest.param("tb1 2023-01-05 09:03:02\n在吗\n暖宝生活馆 2023-01-05 09:03:09\n在的\n------\n"
                 "小猫:喵喵 2023-01-05 10:03:02\n在吗\n暖宝生活馆:阿静 2023-01-05 10:03:09\n在的\n",
                 {"小猫:喵喵": "customer", "暖宝生活馆:阿静": "agent"}, id="shop-known-from-the-file"),
])
def test_roles_come_from_who_speaks(tmp_path, text, roles):
    items = read_text(tmp_path, text)
    t = items[-1]
    assert isinstance(t, Transcript), t
    assert {m.sender: m.role for m in t.messages} == roles


@pytest.mark.parametrize("text", [
    pytest.param("暖宝生活馆:阿静 2023-01-05 09:03:02\n在吗\n清风小店:小王 2023-01-05 09:03:09\n在的\n"
                 "暖宝生活馆:小李 2023-01-05 09:04:02\n好\n", id="two-shops-signals-tie"),
    pytest.param("tb1 2023-01-05 09:03:02\n在吗\n客服小美 2023-01-05 09:03:09\n在的\ntb1 2023-01-05 09:04:02\n"
                 "有货吗\n客服小美 2023-01-05 09:04:09\n有\n", id="unrecognised-agent-interleaves-with-the-buyer"),
    pytest.param("tb1 2023-01-05 09:03:02\n在吗\n客服小美 2023-01-05 09:03:09\n在的\n",
                 id="no-shop-account-recognised"),
    pytest.param("tb1 2023-01-05 09:03:02\n在吗\n客服小美 2023-01-05 09:03:09\n在的\n"
                 "店:小王 2023-01-05 09:03:30\n我来\ntb1 2023-01-05 09:04:00\n好\n",
                 id="unrecognised-agent-beside-a-sub-account"),
])
def test_unclear_roles_are_set_aside(tmp_path, text):
    [aside] = read_text(tmp_path, text)
    assert isinstance(aside, SetAside) and "roles unclear" in aside.reason


# --- notices and cards are not speech ------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    pytest.param("tb1 2023-03-08 20:10:00\n在吗？？\n"
                 "【即将超时】您已超过20分钟未回复买家，请您尽快妥善处理买家问题\n"
                 "店:阿静 2023-03-08 20:31:10\n抱歉久等\n",
                 [("customer", "text", "20:10:00"), ("system", "warning", "20:10:00"), ("agent", "text", "20:31:10")],
                 id="timeout-warning-on-its-own-line"),
    pytest.param("tb1 2023-03-08 20:10:00\n在吗？？\ntb1 2023-03-08 20:30:00\n"
                 "【即将超时】您已超过20分钟未回复买家，请您尽快妥善处理买家问题\n"
                 "店:阿静 2023-03-08 20:31:10\n抱歉久等\n",
                 [("customer", "text", "20:10:00"), ("system", "warning", "20:30:00"), ("agent", "text", "20:31:10")],
                 id="timeout-warning-under-the-buyers-header"),
    pytest.param("tb1 2023-03-08 20:10:00\n在吗\n店:阿静 2023-03-08 20:10:05\n在的\n"
                 "当前用户来自 淘宝移动端 宝贝详情页\n儿童保温杯带吸管 包邮 送杯套\n¥69.00\n"
                 "https://item.taobao.com/item.htm?id=600000000001\ntb1 2023-03-08 20:15:02\n有粉色吗\n",
                 [("customer", "text", "20:10:00"), ("agent", "text", "20:10:05"), ("system", "notice", "20:10:05"),
                  ("system", "card", "20:10:05"), ("customer", "text", "20:15:02")],
                 id="product-card-after-a-notice"),
    pytest.param("tb1 2023-03-08 20:10:00\n在吗\n系统提醒：买家已申请退款\n店:阿静 2023-03-08 20:10:05\n在的\n"
                 "会话已结束\n",
                 [("customer", "text", "20:10:00"), ("system", "notice", "20:10:00"), ("agent", "text", "20:10:05"),
                  ("system", "closed", "20:10:05")], id="system-reminder-and-session-closed"),
])
def test_notices_and_cards_are_system_messages(tmp_path, text, expected):
    t = one(tmp_path, text)
    assert [(m.role, m.kind, m.time.strftime("%H:%M:%S")) for m in t.messages] == expected
    agent_texts = [m.text for m in t.messages if m.role == "agent"]
    assert not any("包邮" in x or "¥" in x for x in agent_texts)


@pytest.mark.parametrize("content, kind", [
    pytest.param("[图片]", "image", id="image-placeholder"),
    pytest.param("/:^_^", "emoticon", id="wangwang-emoticon-code"),
    pytest.param("/:Q /:087", "emoticon", id="several-codes"),
    pytest.param("[微笑][玫瑰]", "emoticon", id="named-emoticons"),
    pytest.param("😊👍", "emoticon", id="unicode-emoji"),
    pytest.param("https://item.taobao.com/item.htm?id=1", "card", id="bare-link"),
    pytest.param("[商品卡片]", "card", id="card-placeholder"),
    pytest.param("好的[微笑]", "text", id="words-with-an-emoticon"),
    pytest.param("3600112233", "text", id="an-order-number-is-text"),
    pytest.param("？？", "text", id="question-marks-are-text"),
])
def test_messages_without_words_are_marked(tmp_path, content, kind):
    t = one(tmp_path, f"tb1 2023-03-08 20:10:00\n在吗\n店:阿静 2023-03-08 20:10:05\n{content}\n")
    assert t.messages[1].kind == kind
    assert t.messages[1].has_words is (kind == "text" and content not in ("3600112233", "？？"))


def test_splitting_never_makes_a_kept_promise_look_broken(tmp_path):
    from grader import grade
    text = ("tb1 2026-11-20 21:00:00\n杯子漏水了\n"
            "店:阿静 2026-11-20 21:00:20\n抱歉亲，明天上午给您回复处理结果\n"
            "tb1 2026-11-20 21:01:00\n好\n"
            "店:阿静 2026-11-20 21:01:30\n好的亲，请您保持电话畅通\n"
            "店:阿静 2026-11-21 09:30:00\n您好，已经给您补发了新杯子\n")
    [chat] = read_text(tmp_path, text)  # the shop's next-morning follow-up stays in the chat
    [item] = [i for i in grade(chat, "aftersale").items if i.id == "aftersale.promised_contact"]
    assert item.value == 1 and item.score == item.max


@pytest.mark.parametrize("returns, value", [
    pytest.param("2026-11-21 15:00:00", 0, id="buyer-returns-after-the-deadline-broken"),
    pytest.param("2026-11-21 09:00:00", None, id="buyer-returns-before-the-deadline-undecided"),
])
def test_a_promise_is_judged_up_to_the_buyers_next_chat(tmp_path, returns, value):
    from grader import grade
    text = ("tb1 2026-11-20 21:00:00\n杯子漏水了\n"
            "店:阿静 2026-11-20 21:00:20\n抱歉亲，明天上午给您回复处理结果\n"
            "tb1 2026-11-20 21:01:00\n好\n"
            "店:阿静 2026-11-20 21:01:30\n好的亲，请您保持电话畅通\n"
            f"tb1 {returns}\n怎么还没人联系我\n"
            "店:阿静 2026-11-21 15:00:30\n抱歉，马上处理\n")
    first, second = read_text(tmp_path, text)
    assert second.messages[0].text == "怎么还没人联系我"
    assert first.next_chat_at == second.messages[0].time and second.next_chat_at is None
    [item] = [i for i in grade(first, "aftersale").items if i.id == "aftersale.promised_contact"]
    assert item.value == value and (item.needs_review is (value is None))


def test_headers_with_a_time_but_no_date_are_set_aside_with_the_reason(tmp_path):
    [aside] = read_text(tmp_path, "tb1 10:00:09\n在吗\n店:小美 10:00:12\n在的\n")
    assert isinstance(aside, SetAside) and "no date in headers" in aside.reason


def test_buyers_one_after_another_without_a_separator_are_chats_of_their_own(tmp_path):
    text = ("当前用户来自 手机淘宝\ntb1 2023-01-05 09:03:02\n在吗\n店:小美 2023-01-05 09:03:09\n在的\n"
            "当前用户来自 手机淘宝\ntb2 2023-01-05 09:05:00\n有货吗\n店:小美 2023-01-05 09:05:07\n有\n")
    first, second = read_text(tmp_path, text)
    assert (first.customer, second.customer) == ("tb1", "tb2")
    assert [m.kind for m in second.messages] == ["notice", "text", "text"]


@pytest.mark.parametrize("text, texts", [
    pytest.param("tb1 2023-01-05 09:03:02\n什么时候发货\n店:小美 2023-01-05 09:03:09\n"
                 "2023-01-06 10:00:00 前发出\n", ["什么时候发货", "2023-01-06 10:00:00 前发出"],
                 id="time-first-line-in-a-nick-first-file-is-content"),
    pytest.param("2023-01-05 09:03:02 tb1\n什么时候发货\n2023-01-05 09:03:09 店:小美\n"
                 "2023-01-06 10:00:00 之前一定发出，请您放心。\n",
                 ["什么时候发货", "2023-01-06 10:00:00 之前一定发出，请您放心。"],
                 id="a-sentence-after-a-time-is-content"),
])
def test_lines_starting_with_a_time_are_content_unless_headers(tmp_path, text, texts):
    assert [m.text for m in one(tmp_path, text).messages] == texts
