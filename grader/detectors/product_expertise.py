"""product_expertise: how well the agent knows the product (or the after-sale process).

Cues are data (``lexicons/expertise.txt``): tag=fact (numbers with units, materials, specs),
tag=process (refund route, working days, 运费险, 上门取件), tag=advice (a size/choice tied to
numbers), tag=evasive (不太清楚, 不知道, 应该是吧, 具体看详情页, 你自己看); a deflection
(``deflection.txt``: 不归我们管, 你自己找快递) counts as evasion too. Only human agent
messages count. The level index (the rubric maps 3/2/1/0 to 20/12/6/0):

* 3 熟悉并能分析 – the customer gave their data or situation (``customer_data.txt``: 身高/体重/脚长, numbers with cm/斤/kg,
  送人/自己喝/预算, 家里有小孩, 干皮/油皮, 怕冷, 出差 …) and a later agent message gives advice tied to
  it: an expertise advice cue (170的话建议L码, 这种情况更适合…) or any recommendation from
  ``lexicons/recommend.txt`` made after the customer's words;
* 2 清楚能满足 – concrete facts or process rules (fact/process cues) and no evasion;
* 1 了解能回答 – the agent answered but thinly (no concrete cue), or gave facts but also evaded;
* 0 模糊无法回答 – evasive answers and no concrete facts.

Text alone is a weak witness of expertise: confidence stays between 0.45 and 0.75 and the item is
flagged for review below 0.7. No human agent message with words → value None (rubric fallback).
"""
from __future__ import annotations

from grader.detectors._cues import deflections, is_question
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

ITEM = "product_expertise"
LABELS = {3: "熟悉产品，能结合顾客情况分析", 2: "清楚产品，能给出具体信息", 1: "能回答，但内容单薄",
          0: "回答含糊，无法正面回答"}


@register
class ProductExpertiseDetector(Detector):
    name = "product_expertise"
    version = "4"
    items = (ITEM,)
    lexicons = ("expertise", "recommend", "customer_data", "deflection", "attitude_context")

    def detect(self, chat: Chat) -> list[Measurement]:
        lex = self.lex["expertise"]
        humans = chat.human_agent_words
        if not humans:
            return [Measurement(item=ITEM, value=None, confidence=0.0, needs_review=True,
                                reason="客服没有人工文字回复，无法评价产品专业性")]
        data_at = next((m.index for m in chat.customer if self.lex["customer_data"].search(m.text)), None)
        asked = sum(1 for m in chat.customer if is_question(m.text))
        findings = []
        counts = {"fact": 0, "process": 0, "advice": 0, "evasive": 0}
        tied = 0
        for msg, match in chat.find(lex, humans):
            tag = match.term.tag or "fact"
            if tag == "advice" and (data_at is None or msg.index < data_at):
                tag = "fact"  # a size given before the customer said anything about themselves
            counts[tag] += 1
            if tag == "advice":
                tied += 1
                reason = f"客服结合顾客提供的情况给出建议：“{match.text}”"
            elif tag == "evasive":
                reason = f"客服回答含糊：“{match.text}”"
            elif tag == "process":
                reason = f"客服讲清了流程或规则：“{match.text}”"
            else:
                reason = f"客服给出具体的产品信息：“{match.text}”"
            findings.append(self.finding(ITEM, tag, reason, msg, match, lex, positive=tag != "evasive"))
        # Deflecting the question (不归我们管, 你自己找快递: ``deflection.txt``) is no answer at all.
        for msg, match, _ in deflections(chat, self.lex["deflection"], self.lex["attitude_context"]):
            counts["evasive"] += 1
            findings.append(self.finding(ITEM, "evasive", f"客服推脱，没有正面回答：“{match.text}”", msg, match,
                                         self.lex["deflection"], positive=False))
        # A recommendation made after the customer described themselves is advice tied to it.
        advised = {f.evidence[0].message_index for f in findings if f.kind == "advice"}
        if data_at is not None:
            rec = self.lex["recommend"]
            for msg, match in chat.find(rec, [m for m in humans if m.index > data_at]):
                if msg.index in advised:
                    continue
                advised.add(msg.index)
                counts["advice"] += 1
                tied += 1
                findings.append(self.finding(ITEM, "advice", f"顾客说明情况后，客服据此推荐：“{match.text}”",
                                             msg, match, rec))
        concrete = counts["fact"] + counts["process"]
        evasive = counts["evasive"]
        if tied and not evasive:
            level, confidence = 3, 0.7
        elif tied:
            level, confidence = 2, 0.55
        elif concrete and not evasive:
            level, confidence = 2, (0.7 if concrete >= 2 else 0.6)
        elif concrete:
            level, confidence = 1, 0.5
        elif evasive:
            level, confidence = 0, (0.65 if asked else 0.5)
        else:
            level, confidence = 1, (0.55 if asked else 0.45)
        reason = f"{LABELS[level]}：具体信息 {concrete} 处，结合顾客情况的建议 {tied} 处，含糊回答 {evasive} 处"
        if not asked and level < 3:
            reason += "；顾客没有提出明确的产品问题"
        metrics = {"expertise_concrete": concrete, "expertise_tied_advice": tied, "expertise_evasive": evasive}
        return [Measurement(item=ITEM, value=level, confidence=confidence, needs_review=confidence < 0.7,
                            reason=reason, findings=findings, metrics=metrics)]
