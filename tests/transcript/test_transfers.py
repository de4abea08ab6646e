"""Chats handed over between agents: each agent judged on the part he served, on a card of his own
(first response from the transfer, his own words); the ranking and the month count each part."""
import json

import pytest

from grader import grade
from grader.batch import GradeSettings, Run
from grader.dates import DayRange
from grader.report.data import build
from grader.store import Store
from grader.store.codec import decode_transcript, encode_transcript
from grader.transcript import Transcript, read_file

HANDED = """tb55667788 2026-11-22 10:00:00
在吗，我买的水杯漏水
暖宝生活馆:小美 2026-11-22 10:00:06
您好，欢迎光临，请问有什么可以帮您
tb55667788 2026-11-22 10:00:30
杯盖裂了，要退货
{transfer}
暖宝生活馆:阿静 2026-11-22 10:00:{reply}
您好，我是售后阿静，麻烦您拍个照片
tb55667788 2026-11-22 10:01:30
好的
"""
TRANSFER = "由 暖宝生活馆:小美 转交给 暖宝生活馆:阿静"


def _read(tmp_path, text, name="qn.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    items = read_file(path)
    assert all(isinstance(i, Transcript) for i in items), items
    return items


def _items(card):
    return {i.id: i for i in card.items}


def test_each_agent_gets_the_part_he_served(tmp_path):
    first, second = _read(tmp_path, HANDED.format(transfer=TRANSFER, reply="45"))
    assert (first.agent, second.agent) == ("暖宝生活馆:小美", "暖宝生活馆:阿静")
    assert second.id == first.id + "~2" and first.part_of == second.part_of == first.id
    # 小美's part ends at the hand-over; the buyer's question there is 阿静's, not unanswered by her
    assert first.messages[-1].kind == "transfer" and first.handed_over_at == len(first.messages) - 1
    # 阿静's part: the whole chat, 小美's words shown but not his
    assert [m.colleague for m in second.messages if m.role == "agent"] == [True, False]
    a, b = grade(first), grade(second)
    assert _items(a)["first_response"].score == 10 and a.metrics["unanswered_turns"] == 0
    assert b.metrics["first_response_seconds"] == 15  # from the transfer at 10:00:30, not 10:00:00
    assert _items(b)["first_response"].score == 6 and "转接" in _items(b)["first_response"].reason
    assert any("暖宝生活馆:小美" in n and "暖宝生活馆:阿静" in n for n in b.notes)  # the card names both


def test_the_second_agent_is_not_credited_with_the_firsts_greeting(tmp_path):
    text = HANDED.format(transfer=TRANSFER, reply="45").replace("您好，我是售后阿静，麻烦您拍个照片", "拍个照片")
    _, second = _read(tmp_path, text)
    assert grade(second).metrics["polite_coverage"] == 0  # 小美's 您好 is not 阿静's


@pytest.mark.parametrize("name, transfer, reply, parts", [
    ("a transfer between two people", TRANSFER, "45", 2),
    ("转接 wording", "客服 暖宝生活馆:小美 将会话转接给 暖宝生活馆:阿静", "45", 2),
    # look-alikes: no split
    ("robot hands over to a person (转人工)", "由 暖宝生活馆:店小蜜 转交给 暖宝生活馆:阿静", "45", 1),
    ("no transfer notice", "", "45", 1),
])
def test_when_a_chat_is_split(tmp_path, name, transfer, reply, parts):
    text = HANDED.format(transfer=transfer, reply=reply)
    if "店小蜜" in transfer:
        text = text.replace("暖宝生活馆:小美 2026", "暖宝生活馆:店小蜜 2026")
    assert len(_read(tmp_path, text)) == parts, name


def test_a_transfer_notice_with_one_person_on_both_sides_is_no_split(tmp_path):
    text = HANDED.format(transfer=TRANSFER, reply="45").replace("暖宝生活馆:阿静 2026", "暖宝生活馆:小美 2026")
    [t] = _read(tmp_path, text)
    assert t.part_of is None and t.agent == "暖宝生活馆:小美"


def test_handed_on_twice(tmp_path):
    text = HANDED.format(transfer=TRANSFER, reply="45") + (
        "由 暖宝生活馆:阿静 转交给 暖宝生活馆:小王\n暖宝生活馆:小王 2026-11-22 10:02:00\n您好，退货已经帮您申请\n")
    parts = _read(tmp_path, text)
    assert [p.agent for p in parts] == ["暖宝生活馆:小美", "暖宝生活馆:阿静", "暖宝生活馆:小王"]
    assert [p.id[-2:] for p in parts[1:]] == ["~2", "~3"]
    assert [m.colleague for m in parts[2].messages if m.role == "agent"] == [True, True, False]


def test_csv_and_jsonl_transfers_split_too(tmp_path):
    chat = {"id": "j9", "shop": "小店", "messages": [
        {"time": "2026-11-22 10:00:00", "sender": "tb1", "role": "customer", "text": "在吗"},
        {"time": "2026-11-22 10:00:04", "sender": "小店:小美", "role": "agent", "text": "您好"},
        {"time": "2026-11-22 10:00:20", "sender": "system", "role": "system", "text": "由 小店:小美 转交给 小店:阿静"},
        {"time": "2026-11-22 10:00:29", "sender": "小店:阿静", "role": "agent", "text": "您好，我来处理"}]}
    parts = _read(tmp_path, json.dumps(chat, ensure_ascii=False) + "\n", "c.jsonl")
    assert [(p.id, p.agent) for p in parts] == [("j9", "小店:小美"), ("j9~2", "小店:阿静")]
    rows = ["会话ID,时间,发送人,角色,内容"] + [
        f"c9,{m['time']},{m['sender']},{ {'customer': '客户', 'agent': '客服', 'system': '系统'}[m['role']] },{m['text']}"
        for m in chat["messages"]]
    parts = _read(tmp_path, "\n".join(rows) + "\n", "c.csv")
    assert [(p.id, p.agent) for p in parts] == [("c9", "小店:小美"), ("c9~2", "小店:阿静")]


def test_parts_survive_the_store(tmp_path):
    _, second = _read(tmp_path, HANDED.format(transfer=TRANSFER, reply="45"))
    back = decode_transcript(second.id, json.loads(json.dumps(encode_transcript(second))))
    assert (back.part_of, back.served_from, back.handed_over_at) == (second.part_of, second.served_from, None)
    assert [m.colleague for m in back.messages] == [m.colleague for m in second.messages]


def test_ranking_counts_each_agents_own_part(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "qn.txt").write_text(HANDED.format(transfer=TRANSFER, reply="45"), encoding="utf-8")
    store = Store(str(tmp_path / "g.db"))
    counts = Run(store, GradeSettings(), DayRange(), tmp_path / "out", progress=False).execute([folder])
    assert counts.graded == 2 and counts.reconciles
    ranking = build(store, "2026-11-22", "2026-11-22", "2026-11-22").ranking
    assert dict(zip(ranking["客服"], ranking["会话数"])) == {"暖宝生活馆:小美": 1, "暖宝生活馆:阿静": 1}
