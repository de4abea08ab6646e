"""scenario: is this a pre-sale (value 0.0) or an after-sale (value 1.0) chat?

Cues come from ``lexicons/scenario_aftersale.txt``, ``lexicons/scenario_presale.txt`` and
``lexicons/scenario_presale_customer.txt`` (questions about a product, looked for in the customer's
words only).
Weights:
* who spoke: a customer's words weigh 1.0, a human agent's 0.5 (the customer says why they came);
* where: the first third of the chat (and at least the first 3 messages) weighs double;
* tag=weak terms weigh half, tag=strong terms double (e.g. 还没付款: an order, but no purchase yet);
* an order notice/card (system order message, or an order card placeholder from the customer)
  before the customer's first question suggests after-sale (weight 1.0);
* an order placed during the chat (``order_signals.txt``: the customer's 好的拍了 / 已付款, a system
  买家已付款 notice) after the agent has answered, in a message with no after-sale cue, suggests
  pre-sale (weight 1.0, the customer's): the buyer decided in this chat, so nothing was bought before.

Mixed chats go by the customer's opening purpose (the convention): when both sides have cues and
the customer's opening (their messages before the agent's first human reply) holds cues of one
side only, that side decides ("这款推车能躺吗" … "对了，上次买的奶瓶盖子漏" is 售前), confidence at
least 0.65. Otherwise:
value = 1.0 when after-sale weight is larger than pre-sale weight, 0.0 when smaller; None when
there is no cue, or the weights tie: no cue is not evidence for either side, so the chat gets the
rubric's `scenario_default` (售后 in the standard rubric: most service chats are about an order)
and is flagged. confidence = 0.5 + 0.45 × margin² × min(1, total / 2), where
margin = |A − P| / (A + P): mixed cues give < 0.6, a single cue about 0.7, two or more
one-sided cues 0.95. No cue → confidence 0.4.
"""
from __future__ import annotations

import re

from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

ITEM = "scenario"
ORDER_CARD = re.compile(r"\[订单[^\]]*\]|咨询订单号")
ROLE_WEIGHT = {"customer": 1.0, "agent": 0.5}
TAG_WEIGHT = {"weak": 0.5, "strong": 2.0}
OPENING_CONFIDENCE = 0.65  # a mixed chat read by its opening purpose: likely, not certain


@register
class ScenarioDetector(Detector):
    name = "scenario"
    version = "6"
    items = (ITEM,)
    lexicons = ("scenario_aftersale", "scenario_presale", "scenario_presale_customer", "order_signals")

    def detect(self, chat: Chat) -> list[Measurement]:
        weights, findings = self._cues(chat)
        a, p = weights["after"], weights["pre"]
        total = a + p
        metrics = {"aftersale_weight": round(a, 2), "presale_weight": round(p, 2)}
        if total == 0:
            return [Measurement(item=ITEM, value=None, confidence=0.4, needs_review=True, findings=findings,
                                reason="没有发现售前或售后的明显线索，按默认场景评分，需复核", metrics=metrics)]
        margin = abs(a - p) / total
        confidence = round(min(0.95, 0.5 + 0.45 * margin * margin * min(1.0, total / 2)), 2)
        opening = self._opening_side(chat, findings) if a and p else None
        if opening is not None:  # mixed chat: the customer's opening purpose decides
            value = 1.0 if opening == "after" else 0.0
            confidence = max(confidence, OPENING_CONFIDENCE)
            label = "售后" if value else "售前"
            reason = f"售后线索权重 {a:g}，售前线索权重 {p:g}，两样都有，按顾客开口的来意判断为{label}"
        elif a == p:  # both sides, equally: as unsure as no cue at all
            value = None
            reason = f"售后线索权重 {a:g}，售前线索权重 {p:g}，两边相当，按默认场景评分，需复核"
        else:
            value = 1.0 if a > p else 0.0
            side, label = ("after", "售后") if value else ("pre", "售前")
            top = max((f for f in findings if f.data["side"] == side), key=lambda f: f.data["weight"])
            reason = (f"售后线索权重 {a:g}，售前线索权重 {p:g}，判断为{label}" if a and p
                      else f"判断为{label}：{top.reason}")
        return [Measurement(item=ITEM, value=value, confidence=confidence, needs_review=confidence < 0.6,
                            reason=reason, findings=findings, metrics=metrics)]

    def _cues(self, chat: Chat) -> tuple[dict[str, float], list]:
        """The weights of after-sale and pre-sale cues ({"after": w, "pre": w}) and their findings."""
        msgs = chat.messages
        early = max(3, len(msgs) // 3)
        weights = {"after": 0.0, "pre": 0.0}
        findings = []
        for side, lex_name, label in (("after", "scenario_aftersale", "售后"), ("pre", "scenario_presale", "售前"),
                                      ("pre", "scenario_presale_customer", "售前")):
            lex = self.lex[lex_name]
            for msg, match in chat.find(lex):
                w = ROLE_WEIGHT["customer" if msg.role == "customer" else "agent"]
                w *= TAG_WEIGHT.get(match.term.tag, 1.0)
                if msg.index < early:
                    w *= 2
                weights[side] += w
                who = "顾客" if msg.role == "customer" else "客服"
                findings.append(self.finding(
                    ITEM, f"{side}sale_cue", f"{who}说“{match.text}”，像{label}咨询", msg, match, lex,
                    positive=True, weight=w, side=side))
        order = self._order_before_question(chat)
        if order is not None:
            weights["after"] += 1.0
            findings.append(self.finding(ITEM, "aftersale_cue", "会话开头先出现订单信息，像售后咨询", order,
                                         positive=True, weight=1.0, side="after"))
        bought = self._order_placed_here(chat, {f.evidence[0].message_index for f in findings
                                                if f.data["side"] == "after"})
        if bought is not None:
            msg, match = bought
            weights["pre"] += 1.0
            findings.append(self.finding(ITEM, "presale_cue", f"顾客在会话中下单（“{match.text}”），像售前咨询", msg,
                                         match, self.lex["order_signals"], positive=True, weight=1.0, side="pre"))
        return weights, findings

    @staticmethod
    def _opening_side(chat: Chat, findings: list) -> str | None:
        """"after" or "pre" when the customer's opening (their messages before the agent's first human
        reply) states cues of that side only; None when it states none, or both. A bare link, card or
        image (a message without words) states no purpose: the chat's cue weights decide then."""
        first_reply = next((m.index for m in chat.human_agent_words), len(chat.messages))
        opening = {m.index for m in chat.customer if m.index < first_reply and m.has_words}
        sides = {f.data["side"] for f in findings if f.evidence and f.evidence[0].message_index in opening}
        return sides.pop() if len(sides) == 1 else None

    def _order_placed_here(self, chat: Chat, after_sale: set[int]):
        """(message, match) of the first order sign after the agent's first human reply, in a
        customer or system message holding no after-sale cue; else None."""
        first_reply = next((m.index for m in chat.human_agent_words), None)
        if first_reply is None:
            return None
        scope = [m for m in chat.messages if m.index > first_reply and m.index not in after_sale
                 and m.role in ("customer", "system")]
        return next(iter(chat.find(self.lex["order_signals"], scope)), None)

    @staticmethod
    def _order_before_question(chat: Chat):
        """An order notice, or a customer's order card, before the customer's first real question."""
        for m in chat.messages:
            if m.role == "system" and m.kind == "order":
                return m
            if m.role == "customer":
                if ORDER_CARD.search(m.text):
                    return m
                if "?" in m.text or "？" in m.text or len(m.text) > 6:
                    return None
        return None
