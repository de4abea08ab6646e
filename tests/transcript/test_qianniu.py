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


def test_split_by_gap_over_24_hours(tmp_path):
    text = ("tb1 2026-11-20 10:00:09\n在吗\n店:小美 2026-11-20 10:00:12\n在的\n"
            "tb1 2026-11-21 10:00:12\n正好24小时，不分开\n"
            "tb1 2026-11-22 10:00:13\n超过24小时，新会话\n")
    items = read_text(tmp_path, text)
    assert [len(t.messages) for t in items] == [3, 1]


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
