"""Per-message exports grouped into chats: 企业微信会话存档, 微信客服 sync_msg, 抖店飞鸽, 拼多多 chat/list,
京麦 queryChatLog. Each layout gives one chat per buyer and session (never one set-aside per
message); a bad record sets its chat aside once; a layout not understood is set aside once,
naming what it holds."""
import json

import pytest

from grader.transcript import SetAside, Transcript, read_file

T0 = 1763776800  # 2025-11-22 10:00:00 Beijing time


def wecom(i, frm, to, text, dt, action="send", room=""):
    return {"msgid": f"m{i}", "action": action, "from": frm, "tolist": [to], "roomid": room,
            "msgtime": (T0 + dt) * 1000, "msgtype": "text", "text": {"content": text}}


def kf(i, origin, text, dt, user="wmBuyer1", servicer="zhangsan"):
    rec = {"msgid": f"k{i}", "open_kfid": "wkShop", "external_userid": user, "send_time": T0 + dt,
           "origin": origin, "msgtype": "text", "text": {"content": text}}
    if origin == 5:
        rec["servicer_userid"] = servicer
    return rec


def feige(conv, role, text, dt, name):
    return {"conversationId": conv, "senderRole": role, "createdAt": (T0 + dt) * 1000, "content": text,
            "senderName": name}


def pdd(role, text, dt, buyer="8801", auto=0):
    frm = {"role": role, "uid": buyer if role == "user" else "m77"}
    to = {"role": "mall_cs" if role == "user" else "user", "uid": "m77" if role == "user" else buyer, "mall_id": "77"}
    if role == "mall_cs":
        frm["csid"] = "拼店:小林"
    return {"from": frm, "to": to, "ts": str(T0 + dt), "content": text, "is_aut": auto, "nickname": f"买家{buyer}"}


def jsonl(tmp_path, records, name="records.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return path


def document(tmp_path, doc, name="response.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def shape(items):
    """(kind, platform, [(role, sender)]) of each item read."""
    return [("aside", i.reason) if isinstance(i, SetAside) else
            ("chat", i.platform, [(m.role, m.sender) for m in i.messages]) for i in items]


WECOM = [wecom(1, "wmBuyerA", "zhangsan", "在吗，羽绒服有货吗", 0), wecom(2, "zhangsan", "wmBuyerA", "在的，有货", 6),
         wecom(3, "wmBuyerB", "lisi", "发货了吗", 20), wecom(4, "lisi", "wmBuyerB", "今天发", 29),
         wecom(5, "wmBuyerA", "zhangsan", "好的谢谢", 40)]


def test_wecom_archive_lines_are_grouped_by_staff_and_customer(tmp_path):
    items = read_file(jsonl(tmp_path, WECOM + [{"msgid": "s1", "action": "switch", "time": T0 * 1000, "user": "zhangsan"}]))
    assert shape(items) == [
        ("chat", "other", [("customer", "wmBuyerA"), ("agent", "zhangsan"), ("customer", "wmBuyerA")]),
        ("chat", "other", [("customer", "wmBuyerB"), ("agent", "lisi")])]
    assert [m.source_line for m in items[0].messages] == [1, 2, 5]
    assert (items[0].messages[1].time - items[0].messages[0].time).total_seconds() == 6


def test_wecom_robot_and_recall(tmp_path):
    records = [wecom(1, "wmBuyerA", "zhangsan", "在吗", 0), wecom(2, "wbRobot01", "wmBuyerA", "您好，我是智能助手", 1),
               wecom(3, "zhangsan", "wmBuyerA", "在的", 9), wecom(4, "wmBuyerA", "zhangsan", "", 12, action="recall")]
    [t] = read_file(jsonl(tmp_path, records))
    assert [(m.role, m.robot, m.kind) for m in t.messages] == [
        ("customer", None, "text"), ("agent", "full", "text"), ("agent", None, "text"), ("system", None, "recall")]
    assert t.agent == "zhangsan"


def test_wechat_kf_sync_msg_response_with_a_transfer(tmp_path):
    transfer = {"msgid": "e1", "open_kfid": "wkShop", "external_userid": "wmBuyer1", "send_time": T0 + 30, "origin": 4,
                "msgtype": "event", "event": {"event_type": "session_status_change", "change_type": 2,
                                              "old_servicer_userid": "zhangsan", "new_servicer_userid": "lisi"}}
    doc = {"errcode": 0, "errmsg": "ok", "next_cursor": "x", "has_more": 0, "msg_list": [
        kf(1, 3, "在吗", 0), kf(2, 5, "在的", 5), transfer, kf(3, 5, "您好，我来处理", 40, servicer="lisi"),
        kf(4, 3, "你好", 100, user="wmBuyer2"), kf(5, 5, "您好", 104, user="wmBuyer2")]}
    items = read_file(document(tmp_path, doc))
    assert shape(items) == [  # the handed-over chat is one part per servicer (transfers.py)
        ("chat", "other", [("customer", "wmBuyer1"), ("agent", "zhangsan"), ("system", "system")]),
        ("chat", "other", [("customer", "wmBuyer1"), ("agent", "zhangsan"), ("system", "system"), ("agent", "lisi")]),
        ("chat", "other", [("customer", "wmBuyer2"), ("agent", "zhangsan")])]
    assert items[1].messages[2].kind == "transfer" and items[1].messages[2].text == "由 zhangsan 转交给 lisi"
    assert [(p.agent, p.part_of) for p in items[:2]] == [("zhangsan", items[0].id), ("lisi", items[0].id)]


def test_wechat_kf_pages_one_per_line(tmp_path):
    pages = [{"errcode": 0, "msg_list": [kf(1, 3, "在吗", 0)]}, {"errcode": 0, "msg_list": [kf(2, 5, "在的", 5)]}]
    [t] = read_file(jsonl(tmp_path, pages))
    assert [(m.role, m.source_line) for m in t.messages] == [("customer", 1), ("agent", 2)]


def test_feige_message_array(tmp_path):
    records = [feige("c1", "customer", "这个有优惠吗", 0, "抖音用户1"), feige("c1", "robot", "亲，您好", 1, "智能客服"),
               feige("c1", "shop", "今天满200减20", 8, "抖店:小周"), feige("c2", "customer", "发货了吗", 3, "抖音用户2"),
               feige("c2", "shop", "今天发", 12, "抖店:小周")]
    items = read_file(jsonl(tmp_path, records))
    assert shape(items) == [
        ("chat", "douyin", [("customer", "抖音用户1"), ("agent", "智能客服"), ("agent", "抖店:小周")]),
        ("chat", "douyin", [("customer", "抖音用户2"), ("agent", "抖店:小周")])]
    assert items[0].messages[1].robot == "full" and items[0].agent == "抖店:小周"


def test_pdd_chat_list_document(tmp_path):
    doc = {"success": True, "result": {"messages": [
        pdd("user", "在吗", 0), pdd("mall_cs", "亲，欢迎光临", 1, auto=1), pdd("mall_cs", "在的", 7),
        pdd("user", "能便宜吗", 2, buyer="8802"), pdd("mall_cs", "可以领券", 9, buyer="8802")]}}
    items = read_file(document(tmp_path, doc))
    assert shape(items) == [
        ("chat", "pdd", [("customer", "买家8801"), ("agent", "拼店:小林"), ("agent", "拼店:小林")]),
        ("chat", "pdd", [("customer", "买家8802"), ("agent", "拼店:小林")])]
    assert [m.auto_reply for m in items[0].messages] == [False, True, False]


def test_jd_query_chat_log(tmp_path):
    doc = {"jingdong_im_pop_chatlog_get_responce": {"code": "0", "data": {"chatLogList": [
        {"customer": "jd_buyer1", "waiter": "星河数码:大伟", "chatLogMessageList": [
            {"waiterSend": False, "created": "2025-11-22 10:00:00", "content": "物流三天没动了"},
            {"waiterSend": True, "created": "2025-11-22 10:00:48", "content": "我帮您查一下"}]},
        {"customer": "jd_buyer2", "waiter": "星河数码:小雪", "chatLogMessageList": [
            {"waiterSend": False, "created": 1763777000000, "content": "开发票"},
            {"waiterSend": True, "created": 1763777009000, "content": "好的"}]}]}}}
    items = read_file(document(tmp_path, doc))
    assert shape(items) == [
        ("chat", "jd", [("customer", "jd_buyer1"), ("agent", "星河数码:大伟")]),
        ("chat", "jd", [("customer", "jd_buyer2"), ("agent", "星河数码:小雪")])]


def test_the_same_buyer_next_day_is_a_chat_of_its_own(tmp_path):
    records = [pdd("user", "在吗", 0), pdd("mall_cs", "在的", 5), pdd("user", "怎么还没到", 19 * 3600),
               pdd("mall_cs", "我查一下", 19 * 3600 + 280)]
    first, second = read_file(jsonl(tmp_path, records))
    assert len(first.messages) == 2 and len(second.messages) == 2 and first.id != second.id


@pytest.mark.parametrize("name, bad, reason", [
    ("huge msgtime", {**WECOM[2], "msgtime": 10 ** 400}, "time out of range"),
    ("no receiver", {**WECOM[2], "tolist": []}, "no sender"),
    ("unknown action", {**WECOM[2], "action": "edit"}, "unknown action"),
])
def test_a_bad_record_sets_its_chat_aside_once_and_the_others_are_read(tmp_path, name, bad, reason):
    records = list(WECOM)
    records[2] = bad
    items = read_file(jsonl(tmp_path, records))
    asides = [i for i in items if isinstance(i, SetAside)]
    chats = [i for i in items if isinstance(i, Transcript)]
    assert len(asides) == 1 and reason in asides[0].reason and asides[0].line == 3, name
    assert [t.customer for t in chats] == ["wmBuyerA"]  # buyer B's chat, with the bad line, set aside whole


def test_records_of_a_layout_not_understood_are_set_aside_once(tmp_path):
    records = [{"sid": f"s{i}", "speaker": "buyer", "say": "在吗", "at": T0 + i} for i in range(30)]
    [aside] = read_file(jsonl(tmp_path, records))
    assert "30 行" in aside.reason and "speaker" in aside.reason and aside.span == (1, 30)
    [aside] = read_file(document(tmp_path, records))
    assert "30 个元素" in aside.reason and "speaker" in aside.reason


@pytest.mark.parametrize("record", [
    {"msgid": "x", "action": "send"},                     # wecom without msgtime: not a wecom record
    {"from": "tb1", "ts": 1},                              # pdd needs from{role}
    {"conversationId": "c1", "content": "hi"},             # feige needs senderRole
])
def test_look_alike_objects_are_not_taken_for_records(tmp_path, record):
    [aside] = read_file(jsonl(tmp_path, [record]))
    assert isinstance(aside, SetAside) and "no messages" in aside.reason


def test_canonical_chats_beside_per_message_records_are_both_read(tmp_path):
    chat = {"id": "c1", "messages": [{"time": "2025-11-22 10:00:00", "sender": "tb1", "role": "customer", "text": "在吗"}]}
    items = read_file(jsonl(tmp_path, [chat] + WECOM[:2]))
    assert sorted(i.id for i in items if isinstance(i, Transcript))[0] == "c1" and len(items) == 2
