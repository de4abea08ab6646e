"""JSON documents: pretty-printed chats, arrays of chats, a browser exporter's per-buyer records."""
import json

import pytest

from grader.transcript import SetAside, Transcript, read_file
from grader.transcript.sniff import sniff

EXPORTER = {"user": "tb7719302258", "exportTime": "2023/3/9 10:12:45", "count": 4, "chats": [
    {"date": "2023-03-08", "time": "20:11:05", "sender": "tb7719302258", "text": "这个杯子能装开水吗", "imgUrl": ""},
    {"date": "2023-03-08", "time": "20:11:12", "sender": "暖宝生活馆:阿静", "text": "您好，可以装开水的", "imgUrl": ""},
    {"date": "2023-03-08", "time": "20:12:30", "sender": "tb7719302258", "text": "",
     "imgUrl": "https://img.alicdn.com/a.jpg"},
    {"date": "2023-03-08", "time": "20:12:40", "sender": "暖宝生活馆:阿静", "text": "收到", "imgUrl": ""},
]}
CANONICAL = {"id": "c1", "shop": "小店", "messages": [
    {"time": "2026-11-22 10:00:00", "sender": "tb1", "role": "customer", "text": "在吗"},
    {"time": "2026-11-22 10:00:05", "sender": "小店:小美", "role": "agent", "text": "在的"}]}


def write(tmp_path, value, name="doc.json", indent=2, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(json.dumps(value, ensure_ascii=False, indent=indent).encode(encoding))
    return path


@pytest.mark.parametrize("value, indent, ids", [
    pytest.param(CANONICAL, 2, ["c1"], id="one-canonical-chat-pretty"),
    pytest.param([CANONICAL, CANONICAL | {"id": "c2"}], 2, ["c1", "c2"], id="array-of-chats-pretty"),
    pytest.param([CANONICAL, CANONICAL | {"id": "c2"}], None, ["c1", "c2"], id="array-of-chats-one-line"),
])
def test_canonical_documents(tmp_path, value, indent, ids):
    items = read_file(write(tmp_path, value, indent=indent))
    assert [t.id for t in items] == ids


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_exporter_document_is_one_chat(tmp_path, encoding):
    path = write(tmp_path, EXPORTER, encoding=encoding)
    assert sniff(path).format == "json"
    [t] = read_file(path)
    assert isinstance(t, Transcript), t
    assert t.customer == "tb7719302258" and t.shop == "暖宝生活馆"
    assert [(m.role, m.kind) for m in t.messages] == [
        ("customer", "text"), ("agent", "text"), ("customer", "image"), ("agent", "text")]


def test_exporter_roles_follow_the_named_user_even_with_a_colon(tmp_path):
    doc = json.loads(json.dumps(EXPORTER))
    doc["user"] = "lucy:)"
    for record in doc["chats"]:
        if record["sender"] == "tb7719302258":
            record["sender"] = "lucy:)"
    [t] = read_file(write(tmp_path, doc))
    assert {m.sender: m.role for m in t.messages} == {"lucy:)": "customer", "暖宝生活馆:阿静": "agent"}


def test_exporter_records_over_two_days_are_two_chats(tmp_path):
    doc = json.loads(json.dumps(EXPORTER))
    doc["chats"].append({"date": "2023-03-09", "time": "18:05:00", "sender": "tb7719302258", "text": "杯盖裂了"})
    doc["chats"].append({"date": "2023-03-09", "time": "18:09:40", "sender": "暖宝生活馆:阿静", "text": "拍个照"})
    first, second = read_file(write(tmp_path, doc))
    assert (len(first.messages), len(second.messages)) == (4, 2) and first.id != second.id


@pytest.mark.parametrize("value, reason", [
    pytest.param({"shop": "小店", "exportTime": "2023/3/9"}, "unknown JSON layout", id="no-message-list"),
    pytest.param(["a", "b"], "unknown JSON layout", id="array-of-strings"),
    pytest.param({"user": "tb1", "chats": [{"date": "2023-03-08", "time": "25:99", "sender": "tb1", "text": "x"}]},
                 "unparseable time", id="bad-record-time"),
])
def test_documents_that_cannot_be_read_are_set_aside_once(tmp_path, value, reason):
    items = read_file(write(tmp_path, value))
    assert all(isinstance(i, SetAside) for i in items) and len(items) == 1
    assert reason in items[0].reason


def test_a_broken_document_is_set_aside_once_with_its_line(tmp_path):
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(EXPORTER, ensure_ascii=False, indent=2)[:-30], encoding="utf-8")
    [aside] = read_file(path)
    assert "broken JSON" in aside.reason and aside.line > 1


def test_a_jsonl_file_with_a_broken_first_line_stays_jsonl(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text("{broken\n" + json.dumps(CANONICAL, ensure_ascii=False) + "\n", encoding="utf-8")
    aside, t = read_file(path)
    assert aside.line == 1 and t.id == "c1"


def test_exporter_documents_one_per_line_are_read_as_jsonl(tmp_path):
    path = tmp_path / "many.jsonl"
    other = json.loads(json.dumps(EXPORTER).replace("tb7719302258", "tb1"))
    path.write_text(json.dumps(EXPORTER, ensure_ascii=False) + "\n{broken\n" + json.dumps(other, ensure_ascii=False)
                    + "\n", encoding="utf-8")
    first, aside, second = read_file(path)
    assert (first.customer, second.customer) == ("tb7719302258", "tb1") and aside.line == 2
