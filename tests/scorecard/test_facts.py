"""A graded chat's month facts (grader.scorecard.facts): measured once, read back without the transcript."""
import json

import pytest

from grader.detectors.lexicon import LexiconSet
from grader.pipeline import Grader
from grader.scorecard.facts import chat_facts, timeline_of
from grader.transcript.model import Message, Transcript
from tests.builders import transcript


@pytest.fixture(scope="module")
def grader():
    return Grader()


def facts(grader, *lines, scenario=None):
    t = transcript(*lines)
    return json.loads(json.dumps(chat_facts(t, grader.grade(t, scenario), grader.lexicons), ensure_ascii=False))


@pytest.mark.parametrize("case, lines, ordered, question, wait", [
    ("the buyer orders", ["c 10:00:00 有M码吗", "a 10:00:05 您好，有的", "c 10:01:00 好的，拍了"],
     "第3条：“拍了”", "", None),  # the words that show it
    ("the last question waits for a person", ["c 10:00:00 有M码吗", "a 10:00:05 您好，有的", "c 10:01:00 什么时候发货？"],
     "", "顾客最后的问题没有人工回复：第3条“什么时候发货？”", None),
    ("the last turn was answered: its wait kept for the policy's threshold",
     ["c 10:00:00 有M码吗", "a 10:02:00 您好，有的"], "", "", 120.0),
    ("tricky: 拍了照片 is no order", ["c 10:00:00 拍了照片给你看", "a 10:00:05 您好，收到"], "", "", 5.0),
])
def test_presale_facts(grader, case, lines, ordered, question, wait):
    p = facts(grader, *lines, scenario="presale")["presale"]
    assert (p["ordered"], p["question"], p["wait"]) == (ordered, question, wait)


@pytest.mark.parametrize("case, lines, complaint, refund", [
    ("a complaint and a refund request are the review_signals detector's",
     ["c 10:00:00 我要退款，再不处理就投诉", "a 10:00:10 您好，非常抱歉"],
     "第1条 顾客：“我要退款，再不处理就投诉”", "第1条 顾客：“我要退款，再不处理就投诉”"),
    ("neither", ["c 10:00:00 有M码吗", "a 10:00:05 您好，有的"], "", ""),
    ("tricky: the agent's words are not the buyer's", ["c 10:00:00 在吗", "a 10:00:05 您好，不满意可以申请退款"], "", ""),
])
def test_complaint_and_refund_facts(grader, case, lines, complaint, refund):
    doc = facts(grader, *lines)
    assert (doc["complaint"], doc["refund"]) == (complaint, refund)


def test_aftersale_facts_keep_the_suggested_scores_the_month_overrides():
    grader = Grader()
    doc = facts(grader, "c 10:00:00 我的快递三天没动了", "a 10:00:20 您好，我帮您查一下，10分钟内给您回复",
                "a 10:05:00 查到了，明天就到", "c 10:06:00 好的谢谢", scenario="aftersale")
    same_day, promised = doc["same_day"], doc["promised"]
    assert same_day["max"] in same_day["levels"] and same_day["score"] in same_day["levels"]
    assert promised["score"] == promised["max"] and not promised["na"]  # the promise was kept
    assert doc.get("presale") is None


ROBOT = [Message(index=0, time=None, sender="顾客", role="customer", text="在吗"),
         Message(index=1, sender="店小蜜", role="agent", text="您好", robot="full", auto_reply=True),
         Message(index=2, sender="店小蜜", role="agent", text="推荐这款", robot="assist", auto_reply=True),
         Message(index=3, sender="阿静", role="agent", text="我来帮您", colleague=True),
         Message(index=4, sender="系统", role="system", text="转接", kind="transfer"),
         Message(index=5, sender="小美", role="agent", text="您好")]


@pytest.mark.parametrize("case, transcript_", [
    ("a plain chat", transcript("c 10:00:00 在吗", "auto 10:00:01 欢迎光临", "a 10:00:15 您好")),
    ("robots, a colleague, a system line, a message without time",
     Transcript(id="r1", platform="jd", shop="店", customer="jd_1", messages=ROBOT, served_from=5, handed_over_at=None)),
])
def test_the_timeline_reads_as_the_transcript_for_the_platform_kpis(grader, case, transcript_):
    doc = json.loads(json.dumps(chat_facts(transcript_, grader.grade(transcript_), grader.lexicons)))
    t = timeline_of(doc)
    fields = ("index", "time", "role", "robot", "auto_reply", "colleague", "is_human_agent")
    assert [tuple(getattr(m, f) for f in fields) for m in t.messages] == \
        [tuple(getattr(m, f) for f in fields) for m in transcript_.messages]
    assert (t.id, t.platform, t.shop, t.customer, t.started_at, t.served_from, t.handed_over_at) == \
        (transcript_.id, transcript_.platform, transcript_.shop, transcript_.customer, transcript_.started_at,
         transcript_.served_from, transcript_.handed_over_at)
