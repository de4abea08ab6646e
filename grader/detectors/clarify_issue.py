"""aftersale.clarify_issue: the agent asks about the customer's problem.

Source: the rubric's 主动并清楚了解客户的售后问题 and its convention: asking for the order number,
photos, what happened, which item, or confirming ("是这个订单吗"). Two kinds of asks count:

* a term of ``lexicons/clarify.txt`` (tag order / photo / detail) in a clause that is a request
  (``lexicons/request.txt``: 麻烦/请/提供/发一下/拍一下/告诉 …) or a question, so "您的订单号123已发货" is no ask;
* any other question clause of the agent ("这件商品吗", "您是什么支付方式呢"),
unless the clause holds a term of ``lexicons/not_clarify.txt``: generic offers and closings
(有什么可以帮您, 还有其他问题吗), asking a phone number or e-mail to call back, permission asks
(可以吗), satisfaction. value = number of clarifying asks (at most one per message).
"""
from __future__ import annotations

from grader.detectors._cues import case_question, clause_text, is_question
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

ITEM = "aftersale.clarify_issue"
WHAT = {"order": "订单信息", "photo": "照片/视频", "detail": "问题细节"}


@register
class ClarifyIssueDetector(Detector):
    name = "clarify_issue"
    version = "2"
    items = (ITEM,)
    lexicons = ("clarify", "not_clarify", "request")

    def detect(self, chat: Chat) -> list[Measurement]:
        lex = self.lex["clarify"]
        findings = []
        done: set[int] = set()
        for msg, match in chat.find(lex, include_excluded=True):
            if msg.index in done:
                continue
            text = clause_text(msg.text, match.start, match.end)
            if match.excluded_by or self.lex["not_clarify"].search(text):
                findings.append(self.finding(ITEM, "excluded", f"“{text}”是开场客套、要联系方式或否定，不算了解问题",
                                             msg, match, lex, positive=False))
            elif self.lex["request"].search(text) or is_question(text):
                done.add(msg.index)
                what = WHAT.get(match.term.tag or "", "问题")
                findings.append(self.finding(ITEM, "ask", f"客服了解售后问题，询问{what}：“{text}”",
                                             msg, match, lex, topic=match.term.tag))
        for msg in chat.human_agent_words:
            if msg.index not in done and (q := case_question(msg.text, self.lex["not_clarify"])):
                done.add(msg.index)
                findings.append(self.finding(ITEM, "ask", f"客服问清顾客的问题：“{q.text}”", msg, q, topic="question"))
        counted = sorted((f for f in findings if f.positive), key=lambda f: f.evidence[0].message_index)
        reason = counted[0].reason if counted else "客服没有主动了解售后问题（订单号、照片、具体情况）"
        return [Measurement(item=ITEM, value=len(counted), confidence=0.8 if counted else 0.7, reason=reason,
                            findings=findings)]
