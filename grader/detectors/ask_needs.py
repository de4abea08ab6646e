"""presale.ask_needs: the agent asks about the customer's needs (size, use, budget, preferences).

Wording is data (``lexicons/ask_needs.txt``, tag = kind of need). Code decides two things the
lexicon cannot:
* it must be a question: the clause holding the match has a question mark or a question
  particle (吗/呢/多少/什么/哪/几/还是 …); a statement ("身高体重表在详情页") does not count;
* it must not merely repeat the customer: when the clause holds a number the customer already
  gave earlier ("身高170是吧" after the customer said 170), it is an echo, not a new question.
value = number of counted questions.
"""
from __future__ import annotations

from grader.detectors._cues import clause_text, is_question, numbers
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

ITEM = "presale.ask_needs"
TOPIC = {"size": "尺码身材", "use": "用途场合", "budget": "预算", "preference": "喜好", "person": "使用人"}


@register
class AskNeedsDetector(Detector):
    name = "ask_needs"
    version = "1"
    items = (ITEM,)
    lexicons = ("ask_needs",)

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
                    break  # one counted question per message is enough
        counted = [f for f in findings if f.positive]
        reason = counted[0].reason if counted else "客服没有主动询问顾客的需求（尺码、用途、预算、喜好等）"
        return [Measurement(item=ITEM, value=len(counted), reason=reason, findings=findings,
                            confidence=0.8 if counted else 0.7)]
