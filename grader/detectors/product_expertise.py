"""product_expertise: how well the agent knows the product (or the after-sale process).

Cues are data (``lexicons/expertise.txt``): tag=fact (numbers with units, materials, specs),
tag=process (refund route, working days, 运费险, 上门取件, rules of the process: 是从…开始算的,
分自营和三方; a bare status such as 物流显示… is none), tag=limit (a bare limit: 只能重新下单,
无法驳回), tag=advice (a size/choice tied to numbers), tag=tailor (advice conditioned on the
customer's case: 若是都已经购买的话，建议…; 那您拿…最合适), tag=evasive (不太清楚, 不知道, 应该是吧,
具体看详情页, 你自己看); a deflection (`_cues.deflections`: 不归我们管, 你自己找快递; an explanation
is none) counts as evasion too. Only human agent messages count. The level index (the rubric maps
3/2/1/0 to 20/12/6/0):

* 3 熟悉并能分析 – the customer stated their own situation and a later agent message gives advice
  tied to it. Their situation: ``customer_data.txt`` words (身高/体重/脚长, numbers with cm/斤/kg,
  送人/自己喝/预算, 家里有小孩, 干皮/油皮, 怕冷, 出差 …), or their answer to the agent's question about
  their needs or case (the counted questions of presale.ask_needs and aftersale.clarify_issue,
  consumed: "您是什么支付方式呢" → "白条"). Tied advice: an advice or tailor cue after it (a tailor
  cue also right after any statement of the customer's), or a recommendation made after it
  (presale.recommend's, consumed);
* 2 清楚能满足 – concrete facts or process rules (fact/process cues) and no evasion;
* 1 了解能回答 – the agent answered but thinly (no concrete cue; a bare limit is thin), or gave
  facts but also evaded;
* 0 模糊无法回答 – evasive answers and no concrete facts.

Text alone is a weak witness of expertise: confidence stays between 0.45 and 0.75 and the item is
flagged for review below 0.7. No human agent message with words → value None (rubric fallback).
"""
from __future__ import annotations

from grader.detectors._cues import deflections, is_question
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement, new_finding

ITEM = "product_expertise"
LABELS = {3: "熟悉产品，能结合顾客情况分析", 2: "清楚产品，能给出具体信息", 1: "能回答，但内容单薄",
          0: "回答含糊，无法正面回答"}
REASONS = {"advice": "客服结合顾客提供的情况给出建议：“{}”", "evasive": "客服回答含糊：“{}”",
           "limit": "客服只说明了限制：“{}”", "process": "客服讲清了流程或规则：“{}”",
           "fact": "客服给出具体的产品信息：“{}”"}
SITUATION_ASKS = ("presale.ask_needs", "aftersale.clarify_issue")


@register
class ProductExpertiseDetector(Detector):
    name = "product_expertise"
    version = "6"
    items = (ITEM,)
    lexicons = ("expertise", "customer_data", "deflection", "attitude_context")
    consumes = ("presale.ask_needs", "aftersale.clarify_issue", "presale.recommend")

    def _situation_at(self, chat: Chat) -> int | None:
        """Index of the first customer message stating their own situation: ``customer_data`` words
        (身高170, 送人, 干皮 …), or the answer to the agent's question about their needs or case
        (presale.ask_needs' and aftersale.clarify_issue's counted questions: "您是什么支付方式呢" → "白条")."""
        found = [m.index for m in chat.customer if self.lex["customer_data"].search(m.text)]
        for item in SITUATION_ASKS:
            measured = self.consumed(chat, item)
            for f in measured.findings if measured is not None else ():
                if f.positive and f.kind in ("question", "ask"):
                    answer = self._stated_before(chat, len(chat.messages), after=f.evidence[-1].message_index)
                    if answer is not None:
                        found.append(answer)
        return min(found, default=None)

    @staticmethod
    def _stated_before(chat: Chat, index: int, after: int = -1) -> int | None:
        """The first customer message between `after` and `index` that states something (not a
        question), if the next customer message after `after` is one; else None."""
        nxt = next((m for m in chat.messages[after + 1:index] if m.role == "customer"), None)
        return nxt.index if nxt is not None and not is_question(nxt.text) else None

    @staticmethod
    def _after_statement(chat: Chat, index: int) -> bool:
        """Whether the customer's last message before `index` states something (not a question)."""
        prev = next((m for m in reversed(chat.messages[:index]) if m.role == "customer"), None)
        return prev is not None and not is_question(prev.text)

    def detect(self, chat: Chat) -> list[Measurement]:
        humans = chat.human_agent_words
        if not humans:
            return [Measurement(item=ITEM, value=None, confidence=0.0, needs_review=True,
                                reason="客服没有人工文字回复，无法评价产品专业性")]
        data_at = self._situation_at(chat)
        findings = self._cue_findings(chat, data_at)
        # Deflecting the question (不归我们管, 你自己找快递: ``deflection.txt``) is no answer at all.
        for msg, match, _ in deflections(chat, self.lex["deflection"], self.lex["attitude_context"]):
            findings.append(self.finding(ITEM, "evasive", f"客服推脱，没有正面回答：“{match.text}”", msg, match,
                                         self.lex["deflection"], positive=False))
        findings += self._recommendations(chat, data_at, {f.evidence[0].message_index for f in findings
                                                          if f.kind == "advice"})
        kinds = [f.kind for f in findings]
        concrete, tied, evasive = kinds.count("fact") + kinds.count("process"), kinds.count("advice"), kinds.count("evasive")
        asked = any(is_question(m.text) for m in chat.customer)
        level, confidence = _level(concrete, tied, evasive, asked)
        reason = f"{LABELS[level]}：具体信息 {concrete} 处，结合顾客情况的建议 {tied} 处，含糊回答 {evasive} 处"
        if not asked and level < 3:
            reason += "；顾客没有提出明确的产品问题"
        metrics = {"expertise_concrete": concrete, "expertise_tied_advice": tied, "expertise_evasive": evasive}
        return [Measurement(item=ITEM, value=level, confidence=confidence, needs_review=confidence < 0.7,
                            reason=reason, findings=findings, metrics=metrics)]

    def _cue_findings(self, chat: Chat, data_at: int | None) -> list:
        """A finding per ``expertise`` cue in the human agent's words, its kind the cue's tag; advice
        and tailor cues count as advice ("advice") only after the customer's own situation."""
        lex = self.lex["expertise"]
        findings = []
        for msg, match in chat.find(lex, chat.human_agent_words):
            tag = match.term.tag or "fact"
            if tag in ("advice", "tailor") and (data_at is None or msg.index < data_at):
                # a size given before the customer said anything about themselves is only a fact;
                # a conditional offer ("如果您还想要，可以换成低枕款") needs the customer's own words first
                tag = "fact" if tag == "advice" or not self._after_statement(chat, msg.index) else "advice"
            elif tag == "tailor":
                tag = "advice"
            findings.append(self.finding(ITEM, tag, REASONS[tag].format(match.text), msg, match, lex,
                                         positive=tag != "evasive"))
        return findings

    def _recommendations(self, chat: Chat, data_at: int | None, advised: set[int]) -> list:
        """presale.recommend's recommendations (consumed) made after the customer described
        themselves: advice tied to it, one per message not already advised."""
        measured = self.consumed(chat, "presale.recommend")
        if data_at is None or measured is None:
            return []
        out = []
        for f in measured.findings:
            ev = f.evidence[0]
            if f.positive and f.kind == "mention" and ev.message_index > data_at and ev.message_index not in advised:
                advised.add(ev.message_index)
                out.append(new_finding({
                    "detector": self.name, "item": ITEM, "kind": "advice", "positive": True, "evidence": [ev],
                    "reason": f"顾客说明情况后，客服据此推荐：“{ev.quote}”", "term": f.term, "lexicon": f.lexicon,
                    "lexicon_version": f.lexicon_version, "data": {"from_item": "presale.recommend"}}))
        return out


def _level(concrete: int, tied: int, evasive: int, asked: bool) -> tuple[int, float]:
    """(level index, confidence) from the counts of concrete cues, tied advice and evasions."""
    if tied:
        return (3, 0.7) if not evasive else (2, 0.55)
    if concrete:
        return (2, 0.7 if concrete >= 2 else 0.6) if not evasive else (1, 0.5)
    if evasive:
        return 0, (0.65 if asked else 0.5)
    return 1, (0.55 if asked else 0.45)
