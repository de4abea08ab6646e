"""polite_language: share of the agent's human messages that hold a polite expression.

* Counted messages: human agent messages with words (`has_words`); a bare link, image or card
  placeholder is left out and counted in ``polite_excluded_messages``.
* Polite: a term of ``lexicons/polite.txt`` (请 as a whole word, 您, 您好, 谢谢, 不好意思, 亲 …).
  亲 is the platform's customary courteous address to a customer and counts; 亲自/亲戚 do not.
* Addressing the customer as 你 (``lexicons/impolite_address.txt``) is a negative finding
  ("you_address"), and that message is **not** polite even when it also holds 请 or 谢谢: the
  rubric asks for 您 throughout, so a message that says 你 breaks it.
* value = polite messages / countable messages; None (needs review) when there is no countable
  human agent message.
"""
from __future__ import annotations

from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

ITEM = "polite_language"


@register
class PoliteLanguageDetector(Detector):
    name = "polite_language"
    version = "1"
    items = (ITEM,)
    lexicons = ("polite", "impolite_address")

    def detect(self, chat: Chat) -> list[Measurement]:
        polite_lex, you_lex = self.lex["polite"], self.lex["impolite_address"]
        humans = chat.human_agent
        countable = chat.human_agent_words
        excluded = len(humans) - len(countable)
        metrics: dict[str, float | int | None] = {
            "polite_coverage": None, "polite_messages": 0, "countable_messages": len(countable),
            "polite_excluded_messages": excluded,
        }
        if not countable:
            reason = ("客服没有人工回复，无法评价礼貌用语" if not humans
                      else "客服的人工消息都没有文字（只有图片、链接或卡片），无法评价礼貌用语")
            return [Measurement(item=ITEM, value=None, confidence=0.0, needs_review=True, reason=reason,
                                metrics=metrics)]

        polite_hits: dict[int, list] = {}
        for msg, match in chat.find(polite_lex, countable):
            polite_hits.setdefault(msg.index, []).append(match)
        you_hits: dict[int, list] = {}
        for msg, match in chat.find(you_lex, countable):
            you_hits.setdefault(msg.index, []).append(match)

        findings = []
        polite = 0
        for msg in countable:
            if msg.index in you_hits:
                for match in you_hits[msg.index]:
                    findings.append(self.finding(
                        ITEM, "you_address", f"客服称呼顾客为“{match.text}”，应使用“您”，这条消息不算礼貌用语",
                        msg, match, you_lex, positive=False))
            elif msg.index in polite_hits:
                polite += 1
                match = polite_hits[msg.index][0]
                terms = "、".join(dict.fromkeys(m.text for m in polite_hits[msg.index]))
                findings.append(self.finding(ITEM, "polite", f"这条消息有礼貌用语：{terms}", msg, match, polite_lex))
            else:
                findings.append(self.finding(ITEM, "not_polite", "这条消息没有礼貌用语（请、您、谢谢、不好意思等）",
                                             msg, positive=False))

        share = polite / len(countable)
        metrics["polite_messages"] = polite
        metrics["polite_coverage"] = round(share, 3)
        you_count = len(you_hits)
        reason = f"客服 {len(countable)} 条有文字的消息中 {polite} 条使用了礼貌用语（{share:.0%}）"
        if you_count:
            reason += f"，{you_count} 条称呼顾客为“你”"
        if excluded:
            reason += f"；{excluded} 条只有图片/链接/卡片的消息不计入"
        # Few messages make the share coarse; jieba can miss a word boundary now and then.
        confidence = 0.9 if len(countable) >= 3 else 0.75
        return [Measurement(item=ITEM, value=round(share, 4), confidence=confidence, reason=reason,
                            findings=findings, metrics=metrics)]
