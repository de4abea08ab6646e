"""Canonical JSONL: one transcript per line."""
import json
from datetime import datetime

import pytest

from grader.transcript import SetAside, Transcript, read_file
from grader.transcript.model import SHANGHAI


def line(**over):
    base = {"id": "t1", "platform": "taobao", "shop": "小店", "agent": "小店:小美", "customer": "tb123",
            "messages": [
                {"time": "2026-11-22 10:00:01", "sender": "tb123", "role": "customer", "text": "在吗"},
                {"time": "2026-11-22 10:00:02", "sender": "小店:小美", "role": "agent", "text": "您好",
                 "auto_reply": True},
                {"time": "2026-11-22 10:00:30", "sender": "system", "role": "system",
                 "text": "由 服务助手 转交给 小店:小王"},
                {"time": "2026-11-22 10:00:35", "sender": "小店:小王", "role": "agent", "text": "亲，请问有什么可以帮您"},
            ]}
    base.update(over)
    return json.dumps(base, ensure_ascii=False)


def read_lines(tmp_path, *lines, name="chats.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_file(path)


def test_canonical_line_reads_all_fields(tmp_path):
    [t] = read_lines(tmp_path, line())
    assert isinstance(t, Transcript)
    assert (t.id, t.platform, t.shop, t.agent, t.customer) == ("t1", "taobao", "小店", "小店:小美", "tb123")
    assert [m.role for m in t.messages] == ["customer", "agent", "system", "agent"]
    assert [m.auto_reply for m in t.messages] == [False, True, False, False]
    assert t.messages[2].kind == "transfer"
    assert t.messages[0].time == datetime(2026, 11, 22, 10, 0, 1, tzinfo=SHANGHAI)
    assert t.agents == ["小店:小美", "小店:小王"]
    assert all(m.source_file.endswith("chats.jsonl") and m.source_line == 1 for m in t.messages)
    assert [m.index for m in t.messages] == [0, 1, 2, 3]


@pytest.mark.parametrize("message, role", [
    ({"time": "2026-11-22 10:00:05", "sender": "tb123", "text": "包邮吗"}, "customer"),
    ({"time": "2026-11-22 10:00:05", "sender": "小店:小美", "text": "包邮的亲"}, "agent"),
    ({"time": "2026-11-22 10:00:05", "sender": "tb123", "role": "买家", "text": "好"}, "customer"),
    ({"time": "2026-11-22 10:00:05", "sender": "小店:小美", "role": "客服", "text": "好的"}, "agent"),
])
def test_role_may_be_omitted_or_chinese(tmp_path, message, role):
    [t] = read_lines(tmp_path, line(messages=[message]))
    assert t.messages[0].role == role


@pytest.mark.parametrize("time, expected", [
    ("2026-11-22 10:00:01", datetime(2026, 11, 22, 10, 0, 1, tzinfo=SHANGHAI)),
    ("2026-11-22T10:00:01+08:00", datetime(2026, 11, 22, 10, 0, 1, tzinfo=SHANGHAI)),
    ("2026/11/22 9:05:01", datetime(2026, 11, 22, 9, 5, 1, tzinfo=SHANGHAI)),
    ("2026-11-22T02:00:01Z", datetime(2026, 11, 22, 10, 0, 1, tzinfo=SHANGHAI)),
    (1795312801, datetime(2026, 11, 22, 10, 0, 1, tzinfo=SHANGHAI)),
    (1795312801000, datetime(2026, 11, 22, 10, 0, 1, tzinfo=SHANGHAI)),
])
def test_time_forms(tmp_path, time, expected):
    [t] = read_lines(tmp_path, line(messages=[{"time": time, "sender": "tb123", "text": "在吗"}]))
    assert t.messages[0].time == expected
    assert t.messages[0].time.tzinfo is not None


@pytest.mark.parametrize("text, kind", [
    ("由 服务助手 转交给 小店:小王", "transfer"),
    ("tb123 撤回了一条消息", "recall"),
    ("客户已下单，订单号 3302918822，付款成功", "order"),
    ("当前用户来自 手机淘宝", "notice"),
    ("会话结束", "closed"),
])
def test_system_message_kinds(tmp_path, text, kind):
    msgs = [{"time": "2026-11-22 10:00:01", "sender": "system", "text": text}]
    [t] = read_lines(tmp_path, line(messages=msgs))
    assert (t.messages[0].role, t.messages[0].kind) == ("system", kind)


def test_out_of_order_and_duplicates_are_repaired_and_noted(tmp_path):
    msgs = [{"time": "2026-11-22 10:00:09", "sender": "小店:小美", "text": "您好"},
            {"time": "2026-11-22 10:00:01", "sender": "tb123", "text": "在吗"},
            {"time": "2026-11-22 10:00:01", "sender": "tb123", "text": "在吗"}]
    [t] = read_lines(tmp_path, line(messages=msgs))
    assert [m.text for m in t.messages] == ["在吗", "您好"]
    assert len(t.notes) == 2 and "排序" in t.notes[0] and "重复" in t.notes[1]


@pytest.mark.parametrize("bad, reason_part", [
    ('{"id": "x", "messages": [', "JSON 格式错误"),
    ('["not", "an", "object"]', "不是一个 JSON 对象"),
    (line(messages=[]), "没有任何消息"),
    (line(messages=None), "缺少 messages"),
    (line(messages=[{"sender": "tb123", "text": "在吗"}]), "没有时间"),
    (line(messages=[{"time": "昨天下午", "sender": "tb123", "text": "在吗"}]), "时间无法解析"),
    (line(messages=[{"time": "2026-13-40 10:00:00", "sender": "tb123", "text": "在吗"}]), "时间无法解析"),
    (line(messages=[{"time": "2026-11-22 10:00:00", "sender": "路人", "text": "在吗"}]), "缺少 role"),
    (line(messages=[{"time": "2026-11-22 10:00:00", "sender": "tb123", "role": "boss", "text": "x"}]), "角色看不懂"),
    (line(messages=[{"time": "2026-11-22 10:00:00", "sender": "tb123"}]), "没有文字"),
    (line(messages=[{"time": "2026-11-22 10:00:00", "sender": "tb123", "text": "x", "auto_reply": "maybe"}]),
     "自动回复"),
])
def test_bad_lines_are_set_aside_with_line_and_reason(tmp_path, bad, reason_part):
    items = read_lines(tmp_path, line(id="good1"), bad, "", line(id="good2"))
    assert [getattr(i, "id", None) for i in items] == ["good1", None, "good2"]
    aside = items[1]
    assert isinstance(aside, SetAside)
    assert aside.line == 2 and aside.file.endswith("chats.jsonl")
    assert reason_part in aside.reason


def test_missing_id_gets_file_and_line(tmp_path):
    data = json.loads(line())
    del data["id"]
    [t] = read_lines(tmp_path, json.dumps(data, ensure_ascii=False))
    assert t.id.endswith("chats.jsonl:1") and t.notes


def test_jddc_style_lines_are_set_aside_for_no_time(tmp_path):
    rows = [{"id": f"d{i}", "turns": [{"role": "customer", "text": "地址可以改吗", "time": None},
                                      {"role": "agent", "text": "您好，可以的", "time": None}]}
            for i in range(3)]
    items = read_lines(tmp_path, *[json.dumps(r, ensure_ascii=False) for r in rows])
    assert all(isinstance(i, SetAside) for i in items)
    assert [i.transcript_id for i in items] == ["d0", "d1", "d2"]
    assert all("没有时间 (no time)" in i.reason for i in items)
