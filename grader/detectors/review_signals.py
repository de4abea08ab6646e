"""review_signals: does the buyer complain or ask for a refund? Not rubric items: signals for the
review budget (`grader.store.queue.budget`), which puts such chats first in the review queue.

Cues come from ``lexicons/complaint.txt`` (投诉, 差评, 12315, 举报 …, negations left out) and
``lexicons/refund_request.txt`` (退款, 退货, 换货 asked for or under way; pre-sale policy questions
left out), the same words as the month's 投诉比重 / 退款比重. Customer messages only (the lexicons'
scope). value = 1.0 when the buyer said it, else 0.0; the card's metrics `complaint_at` /
`refund_at` hold the index of the first such message (None when there is none).
"""
from __future__ import annotations

from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

SIGNALS = (("complaint", "complaint", "complaint_at", "顾客投诉或威胁差评"),
           ("refund_request", "refund_request", "refund_at", "顾客要求退款、退货或换货"))


@register
class ReviewSignals(Detector):
    name = "review_signals"
    version = "1"
    items = tuple(item for item, *_ in SIGNALS)
    lexicons = tuple(lex for _, lex, *_ in SIGNALS)

    def detect(self, chat: Chat) -> list[Measurement]:
        out = []
        for item, lex_name, metric, label in SIGNALS:
            lex = self.lex[lex_name]
            hit = next(iter(chat.find(lex)), None)
            if hit is None:
                out.append(Measurement(item=item, value=0.0, reason=f"没有发现{label}的话", metrics={metric: None}))
                continue
            msg, match = hit
            finding = self.finding(item, item, f"{label}：“{match.text}”", msg, match, lex)
            out.append(Measurement(item=item, value=1.0, reason=finding.reason, findings=[finding],
                                   metrics={metric: msg.index}))
        return out
