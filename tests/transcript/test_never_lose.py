"""Never lose a chat: each input below once lost a chat without a word (reported empty, folded
into the message before it, or the rest of the file unread); now each is read or set aside with
its line and reason, and the chats around it are read."""
import json

import pytest

from grader.transcript import SetAside, Transcript, read_file
from grader.transcript.parsing import BadTime, parse_time

CHAT = {"id": "ok", "shop": "小店", "messages": [
    {"time": "2026-11-22 10:00:00", "sender": "tb1", "role": "customer", "text": "在吗"},
    {"time": "2026-11-22 10:00:05", "sender": "小店:阿静", "role": "agent", "text": "在的"}]}
QN = "tb1 2026-11-22 10:00:00\n在吗\n小店:阿静 2026-11-22 10:00:05\n在的\n"


def _kinds(items):
    return [type(i).__name__ for i in items]


@pytest.mark.parametrize("name, blank, body, encoding", [
    ("64 KB of newlines, JSONL", "\n" * 65536, json.dumps(CHAT, ensure_ascii=False) + "\n", "utf-8"),
    ("64 KB of CRLF and spaces, Qianniu", " \r\n" * 30000, QN, "utf-8"),
    ("1 MB of blank lines, GBK", "\n" * (1 << 20), QN, "gbk"),
    ("blank lines in UTF-16 with BOM", "\n" * 40000, QN, "utf-16"),
    ("blank lines in UTF-16-LE without BOM", "\n" * 40000, QN, "utf-16-le"),
])
def test_leading_blank_lines_hide_nothing(tmp_path, name, blank, body, encoding):
    path = tmp_path / "chats.txt"
    path.write_bytes((blank + body).encode(encoding))
    items = read_file(path)
    assert _kinds(items) == ["Transcript"], (name, items)
    assert items[0].messages[0].source_line == blank.count("\n") + 1


def test_a_file_of_only_blank_lines_is_empty(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("\n" * 100000)
    [aside] = read_file(path)
    assert isinstance(aside, SetAside) and "empty file" in aside.reason


@pytest.mark.parametrize("value, reason", [
    (10 ** 400, "time out of range"),             # a 400-digit integer: no float can hold it
    (-(10 ** 30), "time out of range"),
    (99999999999999999999, "time out of range"),
    (float("inf"), "time out of range"),
    (float("nan"), "time out of range"),
    (4102444800, "time out of range"),             # 2100-01-01: one second too late
    (946684799, "time out of range"),              # 1999-12-31 23:59:59 UTC
])
def test_huge_and_implausible_epochs(value, reason):
    with pytest.raises(BadTime, match=reason):
        parse_time(value)


@pytest.mark.parametrize("value", [1763776800, 1763776800000, 1763776800.5])
def test_plausible_epochs_still_read(value):
    assert parse_time(value).year == 2025


@pytest.mark.parametrize("layout", ["jsonl", "exporter line", "exporter document"])
def test_huge_integer_timestamp_sets_aside_one_chat_not_the_file(tmp_path, layout):
    big = "9" * 400
    if layout == "jsonl":
        bad = '{"id": "x", "messages": [{"time": %s, "role": "customer", "sender": "c", "text": "在吗"}]}' % big
        text = bad + "\n" + json.dumps(CHAT, ensure_ascii=False) + "\n"
    elif layout == "exporter line":
        bad = '{"user": "tb9", "chats": [{"time": %s, "sender": "tb9", "text": "在吗"}]}' % big
        text = bad + "\n" + json.dumps(CHAT, ensure_ascii=False) + "\n"
    else:
        text = '[{"user": "tb9", "chats": [{"time": %s, "sender": "tb9", "text": "在吗"}]},\n %s]' % (
            big, json.dumps(CHAT, ensure_ascii=False))
    path = tmp_path / "chats.json"
    path.write_text(text, encoding="utf-8")
    items = read_file(path)
    assert _kinds(items) == ["SetAside", "Transcript"], items
    assert "time out of range" in items[0].reason and items[1].id == "ok"


@pytest.mark.parametrize("header, reason", [
    ("tb2 1999-11-22 10:01:00", "time out of range"),         # an implausible year
    ("tb2 2199-11-22 10:01:00", "time out of range"),
    ("tb2 22/11/2026 10:01:00", "unparseable time"),           # day first
    ("tb2(22/11/2026 10:01:00):", "unparseable time"),
    ("tb2 2026-13-45 10:01:00", "unparseable time"),           # an impossible date
])
def test_qianniu_header_with_a_date_we_do_not_read_sets_the_chat_aside(tmp_path, header, reason):
    """Once folded silently into the agent's message before it (hiding tb2's chat)."""
    path = tmp_path / "qn.txt"
    path.write_text(QN + "----\n" + header + "\n还在吗\n小店:阿静 2026-11-22 10:01:05\n在\n----\n" + QN.replace("tb1", "tb3"),
                    encoding="utf-8")
    items = read_file(path)
    assert _kinds(items) == ["Transcript", "SetAside", "Transcript"], items
    assert reason in items[1].reason and items[1].line == 6
    assert [m.text for m in items[0].messages] == ["在吗", "在的"]


@pytest.mark.parametrize("text", [
    "我是 2026-11-22 10:00 下的单",        # a date mid-line is text
    "5/12 10:00 之前能到吗",               # no year
    "订单时间 1/2/3 10:00",                # not a date at all
])
def test_dates_in_message_text_stay_text(tmp_path, text):
    path = tmp_path / "qn.txt"
    path.write_text("tb1 2026-11-22 10:00:00\n" + text + "\n小店:阿静 2026-11-22 10:00:05\n在的\n", encoding="utf-8")
    [t] = read_file(path)
    assert isinstance(t, Transcript) and t.messages[0].text == text


@pytest.mark.parametrize("name, text, senders", [
    ("one-line arrow headers",
     "暖宝生活馆:阿静 --> tb55667788 2026-11-22 10:00:05\n在的亲\ntb55667788 --> 暖宝生活馆:阿静 2026-11-22 10:00:00\n在吗\n",
     ["tb55667788", "暖宝生活馆:阿静"]),
    ("arrow and brackets", "tb1 -> 小店:阿静(2026-11-22 10:00:00):\n在吗\n小店:阿静 -> tb1(2026-11-22 10:00:03):\n在的\n",
     ["tb1", "小店:阿静"]),
    ("two-line arrow header", "tb1 → 小店:阿静\n2026-11-22 10:00:00\n在吗\n小店:阿静 → tb1\n2026-11-22 10:00:03\n在的\n",
     ["tb1", "小店:阿静"]),
])
def test_sender_arrow_receiver_headers(tmp_path, name, text, senders):
    """The agent is the sender's account, not "店:阿静 --> tb…" (once one agent per buyer)."""
    path = tmp_path / "qn.txt"
    path.write_text(text, encoding="utf-8")
    [t] = read_file(path)
    assert [m.sender for m in t.messages] == senders, name
    assert [m.role for m in t.messages] == ["customer", "agent"]
    assert t.agent == senders[1] and t.customer == senders[0]


@pytest.mark.parametrize("name, text, first", [
    ("date line", "2026-11-22\ntb1 10:00:00\n在吗\n小店:阿静 10:00:07\n在的\n", "2026-11-22T10:00:00+08:00"),
    ("date line with weekday", "2026年11月22日 星期日\n\ntb1 10:00:00\n在吗\n小店:阿静 10:00:07\n在的\n",
     "2026-11-22T10:00:00+08:00"),
    ("dashed day separator", "—— 2026-11-22 ——\ntb1(10:00:00):\n在吗\n小店:阿静(10:00:07):\n在的\n",
     "2026-11-22T10:00:00+08:00"),
])
def test_qianniu_copy_with_a_date_line_before_time_only_headers(tmp_path, name, text, first):
    path = tmp_path / "qn.txt"
    path.write_text(text, encoding="utf-8")
    [t] = read_file(path)
    assert isinstance(t, Transcript), (name, t)
    assert t.messages[0].time.isoformat() == first
    assert [m.role for m in t.messages] == ["customer", "agent"] and t.messages[0].text == "在吗"


def test_two_days_each_with_its_date_line(tmp_path):
    path = tmp_path / "qn.txt"
    path.write_text("2026-11-22\ntb1 22:50:00\n在吗\n小店:阿静 22:50:10\n在的\n"
                    "2026-11-23\ntb1 17:50:00\n我要退货\n小店:阿静 17:54:40\n好的\n", encoding="utf-8")
    chats = read_file(path)
    assert [c.messages[0].time.date().isoformat() for c in chats] == ["2026-11-22", "2026-11-23"]
    assert all(len(c.messages) == 2 for c in chats)


def test_time_only_headers_without_any_date_are_still_set_aside(tmp_path):
    path = tmp_path / "qn.txt"
    path.write_text("tb1 10:00:00\n在吗\n小店:阿静 10:00:07\n在的\n", encoding="utf-8")
    [aside] = read_file(path)
    assert isinstance(aside, SetAside) and "no date in headers" in aside.reason


def test_a_bare_date_as_message_text_is_kept(tmp_path):
    path = tmp_path / "qn.txt"
    path.write_text("tb1 2026-11-22 10:00:00\n能在这天送到吗\n2026-11-25\n小店:阿静 2026-11-22 10:00:05\n可以\n",
                    encoding="utf-8")
    [t] = read_file(path)
    assert t.messages[0].text == "能在这天送到吗\n2026-11-25"
