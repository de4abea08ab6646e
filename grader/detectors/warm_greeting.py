"""aftersale.warm_greeting: the human agent's opening greets warmly (您好, 亲, 很高兴为您服务, 在的呢).

* Only the agent's first 2 human messages with words are the welcome: a 您好 in the tenth
  message is not a reception. Two, because agents often send an order lookup or a "稍等" first.
* Auto-replies never count (a bot's welcome is not the agent's reception).
* A greeting after the customer had to wait or complain (人呢/在吗 repeated/怎么不回) still counts;
  the reason says so, so the supervisor can weigh it with first_response.
value = greeting terms found in those messages.
"""
from __future__ import annotations

import re

from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

ITEM = "aftersale.warm_greeting"
OPENING = 2
WAITED = re.compile(r"人呢|有人吗|怎么不回|怎么不说话|还在吗|回复一下|理理我|等了(?:半天|很久|好久)|怎么没人")


@register
class WarmGreetingDetector(Detector):
    name = "warm_greeting"
    version = "1"
    items = (ITEM,)
    lexicons = ("greeting",)

    def detect(self, chat: Chat) -> list[Measurement]:
        lex = self.lex["greeting"]
        opening = chat.human_agent_words[:OPENING]
        if not opening:
            return [Measurement(item=ITEM, value=0, confidence=0.6, needs_review=True,
                                reason="客服没有人工回复，无法评价接待")]
        first = opening[0].index
        waited = [m for m in chat.customer if m.index < first and WAITED.search(m.text)]
        askings = sum(1 for m in chat.customer if m.index < first)
        late = bool(waited) or askings >= 3
        findings = []
        for msg, match in chat.find(lex, opening):
            reason = f"客服开场问候：“{match.text}”"
            if late:
                reason += "（顾客等待/催促后才问候，仍算接待）"
            findings.append(self.finding(ITEM, "greeting", reason, msg, match, lex, after_wait=late))
        later = [m for m in chat.human_agent if m.index > opening[-1].index]
        if not findings:
            for msg, match in chat.find(lex, later)[:1]:
                findings.append(self.finding(ITEM, "late_greeting", f"“{match.text}”出现在客服第3条以后的消息里，不算开场接待",
                                             msg, match, lex, positive=False))
        counted = [f for f in findings if f.positive]
        reason = counted[0].reason if counted else "客服开场的前两条人工消息没有问候（您好、亲、很高兴为您服务等）"
        return [Measurement(item=ITEM, value=len(counted), confidence=0.85 if counted else 0.75, reason=reason,
                            findings=findings)]
