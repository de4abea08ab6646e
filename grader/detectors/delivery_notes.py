"""presale.delivery_notes: after an order, the agent tells what to check on delivery.

The order point is the first of: a system message of kind "order"; a system, customer or human
agent message matching ``lexicons/order_signals.txt`` (拍了/已下单/付款了, 订单已收到 …; questions
and negations such as 下单了吗/还没付款 are excluded there). Delivery notes
(``lexicons/delivery_notes.txt``: 签收前检查外包装, 当面验货, 破损拒收, 保留快递单 …) count only in
human agent messages after that point; earlier mentions are reported as not counted.

No order in the chat → value 0, needs_review, confidence 0.5 (the rubric's fallback: the item
cannot be earned without a sale, a supervisor decides).
"""
from __future__ import annotations

from grader.detectors._cues import order_index
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

ITEM = "presale.delivery_notes"


@register
class DeliveryNotesDetector(Detector):
    name = "delivery_notes"
    version = "2"
    items = (ITEM,)
    lexicons = ("delivery_notes", "order_signals")

    def detect(self, chat: Chat) -> list[Measurement]:
        lex = self.lex["delivery_notes"]
        at, order_msg, how = order_index(chat, self.lex["order_signals"])
        findings = []
        if order_msg is not None:
            findings.append(self.finding(ITEM, "order", f"第 {at + 1} 条消息表明已经下单：“{how}”", order_msg,
                                         positive=True))
        counted = 0
        for msg, match in chat.find(lex):
            if at is not None and msg.index > at:
                counted += 1
                findings.append(self.finding(ITEM, "note", f"下单后客服提醒签收注意事项：“{match.text}”",
                                             msg, match, lex))
            else:
                findings.append(self.finding(ITEM, "before_order", f"“{match.text}”是在下单之前说的，不算成交后的提醒",
                                             msg, match, lex, positive=False))
        if at is None:
            return [Measurement(item=ITEM, value=0, confidence=0.75, findings=findings, not_applicable=True,
                                reason="本次会话没有成交，不需要签收提醒")]
        notes = [f for f in findings if f.kind == "note"]
        reason = notes[0].reason if notes else "顾客下单后，客服没有提醒签收时的注意事项（检查包装、当面验货等）"
        return [Measurement(item=ITEM, value=counted, confidence=0.85 if counted else 0.75, reason=reason,
                            findings=findings)]
