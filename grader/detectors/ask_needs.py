"""presale.ask_needs: the agent asks about the customer's needs (size, use, budget, preferences).

Wording is data (``lexicons/ask_needs.txt``, tag = kind of need). Code decides two things the
lexicon cannot:
* it must be a question: the clause holding the match has a question mark or a question
  particle (吗/呢/多少/什么/哪/几/还是 …); a statement ("身高体重表在详情页") does not count;
* it must not merely repeat the customer: when the clause holds a number the customer already
  gave earlier ("身高170是吧" after the customer said 170), it is an echo, not a new question.

Beyond the listed wording, a general family (v2): a question clause (question mark, 吗 at the end,
a wh-word, or "A还是B呢"; a bare 的呢 is a statement) whose subject is the customer (您/亲/你/宝宝/
孩子/家里 …) and that asks about their situation, preference or use (还是, 平时/一般/主要, 用来/
送人/自己用, 用量/几岁/多大, 肤质 …) ("您是干皮还是混干呢", "您家里平时用量大吗",
"主要是办公用还是打游戏"). Service questions are not needs: 还有什么可以帮您 / 在吗 / 收到了吗 /
订单号 地址 照片 (those belong to clarify_issue) / 考虑得怎么样 / 可以吗 好吗 (asking permission).
value = number of counted questions (one per message).
"""
from __future__ import annotations

from grader.detectors._cues import clause_text, is_question, numbers, situation_question
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

ITEM = "presale.ask_needs"
TOPIC = {"size": "尺码身材", "use": "用途场合", "budget": "预算", "preference": "喜好", "person": "使用人",
         "situation": "情况"}



@register
class AskNeedsDetector(Detector):
    name = "ask_needs"
    version = "2"
    items = (ITEM,)
    lexicons = ("ask_needs", "situation")

    def detect(self, chat: Chat) -> list[Measurement]:
        lex = self.lex["ask_needs"]
        findings = []
        said: set[str] = set()
        hits = {}
        for msg, match in chat.find(lex):
            hits.setdefault(msg.index, []).append(match)
        for msg in chat.messages:
            if msg.role == "customer":
                said |= numbers(msg.text)
                continue
            counted = False
            for match in hits.get(msg.index, []):
                text = clause_text(msg.text, match.start, match.end)
                topic = TOPIC.get(match.term.tag or "", "需求")
                if not is_question(text):
                    findings.append(self.finding(ITEM, "not_question", f"“{text}”不是问句，不算了解需求",
                                                 msg, match, lex, positive=False))
                elif numbers(text) & said:
                    findings.append(self.finding(ITEM, "echo", f"“{text}”只是复述顾客已经说过的数据，不算主动了解需求",
                                                 msg, match, lex, positive=False))
                else:
                    findings.append(self.finding(ITEM, "question", f"客服询问顾客的{topic}：“{text}”",
                                                 msg, match, lex, topic=match.term.tag))
                    counted = True
                    break  # one counted question per message is enough
            if not counted and msg.is_human_agent:
                situation = situation_question(msg.text, self.lex["situation"], said)
                if situation is not None:
                    text = situation.text
                    findings.append(self.finding(ITEM, "question", f"客服询问顾客的情况：“{text}”",
                                                 msg, situation, topic="situation"))
        counted = [f for f in findings if f.positive]
        reason = counted[0].reason if counted else "客服没有主动询问顾客的需求（尺码、用途、预算、喜好等）"
        return [Measurement(item=ITEM, value=len(counted), reason=reason, findings=findings,
                            confidence=0.8 if counted else 0.7)]
