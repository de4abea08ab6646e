"""Robots (店小蜜, 智能客服, 机器人): told by sender account, text marker, role word or robot column,
in every format; their replies are auto-replies for the rubric and stay marked as robots
(`Message.robot`: "full" or "assist") for the platforms' KPIs."""
import json

import pytest

from grader import grade
from grader.store.codec import decode_transcript, encode_transcript
from grader.transcript import Transcript, read_file
from grader.transcript.robots import robot_marker, robot_role, robot_sender

CSV_HEAD = "会话ID,时间,发送人,角色,内容\n"


@pytest.mark.parametrize("account, mode", [
    ("店小蜜", "full"),
    ("暖宝生活馆:店小蜜", "full"),
    ("暖宝生活馆：阿里店小蜜", "full"),
    ("星河数码:智能客服", "full"),
    ("京小智", "full"),
    ("小店:机器人2", "full"),
    ("小店:店小蜜(辅助)", "assist"),
    # look-alikes: people and buyers
    ("暖宝生活馆:小蜜", None),          # a person's sub-account called 小蜜
    ("小店:小智", None),
    ("机器人爱好者", None),             # a buyer's nickname holding 机器人
    ("tb_robotics_fan", None),
    ("小店:阿静", None),
])
def test_robot_accounts(account, mode):
    assert robot_sender(account) == mode


@pytest.mark.parametrize("text, found", [
    ("【店小蜜】亲，这款有货的哦", ("full", "亲，这款有货的哦")),
    ("[机器人回复] 您好", ("full", "您好")),
    ("【店小蜜辅助】亲，48小时内发货", ("assist", "亲，48小时内发货")),
    # look-alikes: words about robots are a person's text
    ("我不是机器人哦，我是真人客服", None),
    ("店小蜜可以帮您查物流", None),
    ("【自动回复】您好，欢迎光临", None),  # the shop's preset auto-reply, not a robot
])
def test_robot_markers(text, found):
    assert robot_marker(text) == found


@pytest.mark.parametrize("word, mode", [
    ("机器人", "full"), ("智能客服", "full"), ("店小蜜", "full"), ("robot", "full"), ("Bot", "full"),
    ("机器人(辅助)", "assist"), ("辅助机器人", "assist"),
    ("客服", None), ("客户", None), ("系统", None), ("机器", None),
])
def test_robot_role_words(word, mode):
    assert robot_role(word) == mode


def _one(path) -> Transcript:
    [t] = read_file(path)
    assert isinstance(t, Transcript), t
    return t


def _marks(t: Transcript):
    return [(m.role, m.auto_reply, m.robot) for m in t.messages]


ROBOT_FIRST = [("tb1", "客户", "在吗，这款羽绒服有货吗"), ("小店:店小蜜", "客服", "亲，您好，有货的哦，请问还有什么可以帮您"),
               ("小店:阿静", "客服", "在的，有货，今天下单明天发")]


@pytest.mark.parametrize("name, roles, expected", [
    ("role 机器人 (was set aside)", ["客户", "机器人", "客服"],
     [("customer", False, None), ("agent", True, "full"), ("agent", False, None)]),
    ("role 智能客服", ["客户", "智能客服", "客服"],
     [("customer", False, None), ("agent", True, "full"), ("agent", False, None)]),
    ("role 店小蜜", ["客户", "店小蜜", "客服"],
     [("customer", False, None), ("agent", True, "full"), ("agent", False, None)]),
    ("robot sub-account with role 客服", ["客户", "客服", "客服"],
     [("customer", False, None), ("agent", True, "full"), ("agent", False, None)]),
])
def test_csv_robots(tmp_path, name, roles, expected):
    rows = [f"r1,2026-11-22 10:00:0{i * 2},{s},{r},{x}" for i, ((s, _, x), r) in enumerate(zip(ROBOT_FIRST, roles))]
    path = tmp_path / "chat.csv"
    path.write_text(CSV_HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    t = _one(path)
    assert _marks(t) == expected, name
    assert t.agent == "小店:阿静"  # the card is the person's, never the robot's


def test_csv_robot_column_names_assist_mode(tmp_path):
    path = tmp_path / "chat.csv"
    path.write_text("会话ID,时间,发送人,角色,内容,机器人\n"
                    "r2,2026-11-22 10:00:00,tb1,客户,在吗,\n"
                    "r2,2026-11-22 10:00:02,小店:阿静,客服,亲，在的,辅助\n"
                    "r2,2026-11-22 10:00:09,小店:阿静,客服,有什么可以帮您,否\n", encoding="utf-8")
    assert _marks(_one(path)) == [("customer", False, None), ("agent", True, "assist"), ("agent", False, None)]


def test_csv_person_named_like_a_robot_is_a_person(tmp_path):
    path = tmp_path / "chat.csv"
    path.write_text(CSV_HEAD + "r3,2026-11-22 10:00:00,机器人爱好者,客户,在吗\n"
                    "r3,2026-11-22 10:00:05,小店:小蜜,客服,在的，我不是机器人哦\n", encoding="utf-8")
    assert _marks(_one(path)) == [("customer", False, None), ("agent", False, None)]


@pytest.mark.parametrize("fields, expected", [
    ({"role": "robot"}, ("agent", True, "full")),
    ({"role": "机器人"}, ("agent", True, "full")),
    ({"role": "agent", "robot": True}, ("agent", True, "full")),
    ({"role": "agent", "robot": "assist"}, ("agent", True, "assist")),
    ({"role": "agent", "robot": False}, ("agent", False, None)),
    ({"role": "agent", "auto_reply": True}, ("agent", True, None)),  # a preset auto-reply
])
def test_jsonl_robots(tmp_path, fields, expected):
    chat = {"id": "j1", "shop": "小店", "messages": [
        {"time": "2026-11-22 10:00:00", "sender": "tb1", "role": "customer", "text": "在吗"},
        {"time": "2026-11-22 10:00:02", "sender": "小店:阿静", "text": "您好", **fields},
        {"time": "2026-11-22 10:00:12", "sender": "小店:阿静", "role": "agent", "text": "在的"}]}
    path = tmp_path / "chat.jsonl"
    path.write_text(json.dumps(chat, ensure_ascii=False) + "\n", encoding="utf-8")
    assert _marks(_one(path))[1] == expected


QN = """tb55667788 2026-11-22 10:00:00
在吗，羽绒服有货吗
{robot} 2026-11-22 10:00:02
{text}
暖宝生活馆:阿静 2026-11-22 10:00:15
在的亲，有货
"""


@pytest.mark.parametrize("robot, text, expected", [
    ("店小蜜", "亲，您好，有货的哦", ("agent", True, "full")),                 # no shop prefix at all
    ("暖宝生活馆:店小蜜", "亲，您好，有货的哦", ("agent", True, "full")),
    ("暖宝生活馆:阿静", "【店小蜜】亲，您好，有货的哦", ("agent", True, "full")),
    ("暖宝生活馆:阿静", "【店小蜜辅助】亲，您好，有货的哦", ("agent", True, "assist")),
    ("暖宝生活馆:阿静", "【自动回复】亲，您好", ("agent", True, None)),
    ("暖宝生活馆:小蜜", "我不是机器人哦", ("agent", False, None)),              # a person called 小蜜
])
def test_qianniu_robots(tmp_path, robot, text, expected):
    path = tmp_path / "qn.txt"
    path.write_text(QN.format(robot=robot, text=text), encoding="utf-8")
    t = _one(path)
    assert _marks(t)[1] == expected
    assert t.messages[1].text.startswith(("亲", "我"))  # the marker is not the robot's words
    assert t.customer == "tb55667788"


def test_robot_reply_earns_the_person_nothing(tmp_path):
    """店小蜜 answers in 2 s, the person in 15 s: first response is 15 s (6 points, not 10), and
    the robot's polite words do not count for the person."""
    path = tmp_path / "qn.txt"
    path.write_text(QN.format(robot="暖宝生活馆:店小蜜", text="亲，您好，请问有什么可以帮您"), encoding="utf-8")
    card = grade(_one(path))
    items = {i.id: i for i in card.items}
    assert items["first_response"].score == 6 and "机器人" in str(items["first_response"])
    assert card.agent == "暖宝生活馆:阿静"
    assert items["polite_language"].score == 0  # 在的亲，有货: no listed polite word of the person's


def test_robot_marks_survive_the_store():
    from grader.transcript.parsing import message, parse_time
    msgs = [message(time=parse_time("2026-11-22 10:00:00"), sender="tb1", role="customer", text="在吗",
                    source_file="f", source_line=1),
            message(time=parse_time("2026-11-22 10:00:02"), sender="小店:店小蜜", role="agent", text="您好",
                    source_file="f", source_line=2)]
    t = Transcript.model_construct(id="s1", platform="taobao", shop="小店", agent=None, agents=[], customer=None,
                                   messages=msgs, source_file="f", source_line=1, notes=[], time_resolution=1,
                                   next_chat_at=None).normalize()
    back = decode_transcript("s1", json.loads(json.dumps(encode_transcript(t))))
    assert [(m.robot, m.auto_reply) for m in back.messages] == [(None, False), ("full", True)]
