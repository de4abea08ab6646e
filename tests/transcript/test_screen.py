"""Checks after reading (times, message length) and before grading (a customer, roles not inverted)."""
import json

import pytest

from grader.transcript import SetAside, Transcript, read_file
from grader.transcript.jsonl import transcript_from_dict
from grader.transcript.screen import MAX_MESSAGE_CHARS, fit_to_grade, screen


def chat(*messages, shop="暖宝生活馆"):
    return {"id": "t1", "shop": shop, "messages": [
        {"time": t, "sender": s, "role": r, "text": x} for t, s, r, x in messages]}


BUYER = ("2026-11-22 10:00:00", "tb5832016477", "customer", "在吗，保温杯有500ml的吗")
AGENT = ("2026-11-22 10:00:07", "暖宝生活馆:阿静", "agent", "您好亲，有的呢")


@pytest.mark.parametrize("time", [
    pytest.param("0001-01-01T00:00:00+14:00", id="year-1-plus-14-overflows-utc"),
    pytest.param("9999-12-31T23:59:59-12:00", id="year-9999-minus-12-overflows-utc"),
    pytest.param("1999-12-31 23:59:59", id="last-century"),
    pytest.param("2100-01-01 08:00:00", id="next-century"),
    pytest.param(0, id="epoch-zero"),
])
def test_extreme_times_are_set_aside_with_the_reason(tmp_path, time):
    path = tmp_path / "x.jsonl"
    bad = chat(BUYER, AGENT)
    bad["messages"][0]["time"] = time
    path.write_text(json.dumps(bad) + "\n" + json.dumps(chat(BUYER, AGENT) | {"id": "ok"}) + "\n",
                    encoding="utf-8")
    aside, good = read_file(path)
    assert isinstance(aside, SetAside) and aside.line == 1 and "time out of range" in aside.reason
    assert isinstance(good, Transcript) and good.id == "ok"


@pytest.mark.parametrize("time", [
    pytest.param("2000-01-01 08:00:00", id="first-moment-of-2000-utc"),
    pytest.param("2099-12-31 23:59:59+00:00", id="last-second-of-2099"),
])
def test_times_at_the_edges_are_kept(time):
    data = chat(BUYER, AGENT)
    data["messages"][0]["time"] = time
    assert isinstance(screen(transcript_from_dict(data, "f", 1)), Transcript)


@pytest.mark.parametrize("length, kept", [
    pytest.param(MAX_MESSAGE_CHARS, True, id="at-the-limit"),
    pytest.param(MAX_MESSAGE_CHARS + 1, False, id="over-the-limit"),
    pytest.param(1_000_000, False, id="one-megabyte-paste"),
])
def test_message_length_limit(length, kept):
    long = (AGENT[0], AGENT[1], "agent", "亲" * length)
    result = screen(transcript_from_dict(chat(BUYER, long), "f", 3))
    assert isinstance(result, Transcript) is kept
    if not kept:
        assert "message too long" in result.reason and result.line == 3 and result.transcript_id == "t1"


@pytest.mark.parametrize("messages, reason", [
    pytest.param([BUYER, AGENT], None, id="buyer-and-agent"),
    pytest.param([BUYER], None, id="buyer-only-unanswered"),
    pytest.param([AGENT], "no customer", id="agent-only"),
    pytest.param([("2026-11-22 10:00:00", "system", "system", "客户已下单"), AGENT], "no customer",
                 id="system-and-agent"),
    pytest.param([BUYER, AGENT, (AGENT[0], "tb5832016477", "agent", "好的")], "inconsistent roles",
                 id="buyer-also-agent"),
    pytest.param([(BUYER[0], "暖宝生活馆:阿静", "customer", "您好亲"), (AGENT[0], "tb5832016477", "agent", "在吗")],
                 "roles look inverted", id="shop-sub-account-as-customer"),
    pytest.param([(BUYER[0], "暖宝生活馆：阿静", "customer", "您好亲"), (AGENT[0], "tb5832016477", "agent", "在吗")],
                 "roles look inverted", id="full-width-colon-sub-account-as-customer"),
])
def test_fit_to_grade(messages, reason):
    result = fit_to_grade(transcript_from_dict(chat(*messages), "f", 1))
    if reason is None:
        assert isinstance(result, Transcript)
    else:
        assert isinstance(result, SetAside) and reason in result.reason


BIG = "亲这个杯子很好用，包邮的哦" * 80_000  # about 1 MB of text in one message


@pytest.mark.parametrize("name, text", [
    pytest.param("q.txt", f"tb1 2026-11-22 10:00:00\n在吗\n店:小美 2026-11-22 10:00:05\n{BIG}\n"
                          "-----\ntb2 2026-11-22 11:00:00\n在吗\n店:小美 2026-11-22 11:00:05\n在的\n", id="qianniu"),
    pytest.param("c.csv", "会话ID,时间,发送人,角色,内容\nt,2026-11-22 10:00:00,tb1,客户,在吗\n"
                          f"t,2026-11-22 10:00:05,店:a,客服,\"{BIG}\"\nu,2026-11-22 11:00:00,tb2,客户,在吗\n", id="csv"),
    pytest.param("j.jsonl", json.dumps({"id": "t", "messages": [
        {"time": "2026-11-22 10:00:00", "role": "customer", "sender": "c", "text": BIG}]}, ensure_ascii=False)
        + "\n" + json.dumps({"id": "u", "messages": [
            {"time": "2026-11-22 11:00:00", "role": "customer", "sender": "c", "text": "在吗"}]}) + "\n", id="jsonl"),
])
def test_a_one_megabyte_message_is_set_aside_quickly_and_the_rest_read(tmp_path, name, text):
    import time
    (tmp_path / name).write_text(text, encoding="utf-8")
    start = time.perf_counter()
    aside, kept = read_file(tmp_path / name)
    assert time.perf_counter() - start < 2
    assert "message too long" in aside.reason and isinstance(kept, Transcript)
