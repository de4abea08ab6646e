"""aftersale.clarify_issue: the agent asks for the order number, photos/video or problem details.

Wording is data (``lexicons/clarify.txt``; tag order / photo / detail). Code requires the clause
holding the match to be a request (麻烦/请/提供/发一下/拍一下/告诉 …) or a question, so "您的订单号
123已发货" or "图片已收到" are not asks. The generic opener "有什么问题我可以帮您" is excluded in the
lexicon. value = number of clarifying asks (at most one per message).
"""
from __future__ import annotations

from grader.detectors._cues import REQUEST, clause_text, is_question
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

ITEM = "aftersale.clarify_issue"
WHAT = {"order": "订单信息", "photo": "照片/视频", "detail": "问题细节"}


@register
class ClarifyIssueDetector(Detector):
    name = "clarify_issue"
    version = "1"
    items = (ITEM,)
    lexicons = ("clarify",)

    def detect(self, chat: Chat) -> list[Measurement]:
        lex = self.lex["clarify"]
        findings = []
        done: set[int] = set()
        for msg, match in chat.find(lex, include_excluded=True):
            if msg.index in done:
                continue
            text = clause_text(msg.text, match.start, match.end)
            if match.excluded_by:
                findings.append(self.finding(ITEM, "excluded", f"“{text}”是开场客套或否定，不算了解问题",
                                             msg, match, lex, positive=False))
            elif REQUEST.search(text) or is_question(text):
                done.add(msg.index)
                what = WHAT.get(match.term.tag or "", "问题")
                findings.append(self.finding(ITEM, "ask", f"客服了解售后问题，询问{what}：“{text}”",
                                             msg, match, lex, topic=match.term.tag))
        counted = [f for f in findings if f.positive]
        reason = counted[0].reason if counted else "客服没有主动了解售后问题（订单号、照片、具体情况）"
        return [Measurement(item=ITEM, value=len(counted), confidence=0.8 if counted else 0.7, reason=reason,
                            findings=findings)]
