"""aftersale.warm_greeting: the agent's first human reply greets warmly.

Source: the rubric's 热情接待售后客户咨询 and its convention: 您好, 欢迎, 很高兴为您服务, 我是…,
让您久等了, or 在的 answering 在吗 (tag=presence in ``lexicons/greeting.txt``).

* The first human reply is the run of human agent messages with words before the customer speaks
  again: agents often send 在的 and 您好 as two bubbles.
* Not greetings: auto-replies (a bot's welcome is not the agent's reception), a generic offer of
  help alone (有什么可以帮您), 亲 alone, a bare demand or a holding line; a greeting later in the
  chat is reported but does not count.
* A greeting after the customer had to wait or complain (人呢/在吗 repeated) still counts; the
  reason says so, so the supervisor can weigh it with first_response.
value = greeting terms found in the first reply.
"""
from __future__ import annotations

from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

ITEM = "aftersale.warm_greeting"


@register
class WarmGreetingDetector(Detector):
    name = "warm_greeting"
    version = "2"
    items = (ITEM,)
    lexicons = ("greeting", "customer_waiting")

    def detect(self, chat: Chat) -> list[Measurement]:
        lex = self.lex["greeting"]
        opening = self.first_reply(chat)
        if not opening:
            return [Measurement(item=ITEM, value=0, confidence=0.6, needs_review=True,
                                reason="客服没有人工回复，无法评价接待")]
        first = opening[0].index
        before = [m for m in chat.customer if m.index < first]
        waiting = self.lex["customer_waiting"]
        waited = [m for m in before if waiting.search(m.text, "waited")]
        late = bool(waited) or len(before) >= 3
        presence_asked = any(waiting.search(m.text, "presence") for m in before)
        findings = []
        for msg, match in chat.find(lex, opening):
            if match.term.tag == "presence" and not presence_asked:
                continue  # 在的 greets only as the answer to 在吗
            reason = f"客服开场问候：“{match.text}”"
            if late:
                reason += "（顾客等待/催促后才问候，仍算接待）"
            findings.append(self.finding(ITEM, "greeting", reason, msg, match, lex, after_wait=late))
        later = [m for m in chat.human_agent if m.index > opening[-1].index]
        if not findings:
            for msg, match in chat.find(lex, later)[:1]:
                findings.append(self.finding(ITEM, "late_greeting", f"“{match.text}”不在客服的第一次人工回复里，不算开场接待",
                                             msg, match, lex, positive=False))
        counted = [f for f in findings if f.positive]
        reason = counted[0].reason if counted else "客服第一次人工回复没有问候（您好、欢迎、很高兴为您服务等）"
        return [Measurement(item=ITEM, value=len(counted), confidence=0.85 if counted else 0.75, reason=reason,
                            findings=findings)]

    @staticmethod
    def first_reply(chat: Chat) -> list:
        """The agent's first human reply: human agent messages with words from the first one until
        the customer speaks again."""
        worded = {m.index for m in chat.human_agent_words}
        reply = []
        for m in chat.messages:
            if m.index in worded:
                reply.append(m)
            elif reply and m.role == "customer":
                break
        return reply
