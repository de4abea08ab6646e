"""polite_language: share of the agent's human messages that hold a polite expression.

Source: the rubric's 礼貌用语 item and its scoring convention (a closed list).

* Counted messages: human agent messages with words (`has_words`); auto-replies, a bare link,
  image or card placeholder are left out and counted in ``polite_excluded_messages``.
* Polite: a term of ``lexicons/polite.txt``: 请 (not inside 申请/邀请/请假/请求 …), 您 anywhere,
  谢谢, 对不起, 不好意思, 不客气. 亲, 抱歉, 感谢 alone are not on the list (a shop may switch 亲 on
  in its lexicon).
* Addressing the customer as 你 (``lexicons/impolite_address.txt``) is reported as a negative
  finding ("you_address"). It does not cancel a listed word unless the lexicon's header says
  ``cancels_polite: yes`` (a shop's stricter reading).
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
    version = "2"
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

        cancels = you_lex.headers.get("cancels_polite", "no").strip().lower() in ("yes", "true", "1")
        findings = []
        polite = 0
        for msg in countable:
            for match in you_hits.get(msg.index, ()):
                findings.append(self.finding(
                    ITEM, "you_address", f"客服称呼顾客为“{match.text}”，应使用“您”", msg, match, you_lex,
                    positive=False))
            hits = polite_hits.get(msg.index)
            if hits and not (cancels and msg.index in you_hits):
                polite += 1
                terms = "、".join(dict.fromkeys(m.text for m in hits))
                findings.append(self.finding(ITEM, "polite", f"这条消息有礼貌用语：{terms}", msg, hits[0], polite_lex))
            else:
                why = ("这条消息称呼顾客为“你”，按本店词库设置不算礼貌用语" if hits
                       else "这条消息没有礼貌用语（请、您、谢谢、对不起、不好意思、不客气）")
                findings.append(self.finding(ITEM, "not_polite", why, msg, positive=False))

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
