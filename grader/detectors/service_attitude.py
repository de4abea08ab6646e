"""service_attitude: level index 3 积极解决 / 2 配合解决 / 1 问答式 / 0 推脱.

Cues are data. Own lexicons: ``deflection`` (不归我们管, 你自己找快递, 跟我们没关系 …; tag=dismiss:
denying the customer's complaint, 不是质量问题 / 属于正常现象) and ``proactive`` (tag=initiative:
我帮您申请, 给您补发, 给您两个选择, 或者直接给您退款, 我联系仓库, 报给品控, 不用寄回, 运费我们承担 …;
tag=cooperate: 好的/可以的/已为您修改/正在为您处理). A supervisor reads initiative more widely than
after-sale actions, so wording of other items is reused *as evidence of initiative* (each lexicon
is matched here again on the chat; no other detector's result is read):

* strong initiative — the agent does or offers something the customer did not ask for:
  a proactive action cue not asked for; a question back about the customer's needs (``ask_needs``
  wording, or a question about the customer's situation, see `_cues.situation_question`);
  a recommendation (``recommend``); following up a quiet customer (``follow_up`` tag=presence
  after the agent's own message, e.g. 亲，还在吗);
* supporting initiative — a promotion the customer did not ask about (``promotion``), a nudge
  (``follow_up`` tag=nudge), delivery / usage notes (``delivery_notes``), a time promise
  (``promise``), soothing (``soothe``);
* cooperation — ``proactive`` tag=cooperate, an initiative the customer asked for ("帮我申请退款" →
  "好的帮您申请"), asking for the order number or photos (``clarify``) or any question about the
  case (`_cues.case_question`), a finished resolution
  (``resolution`` tag=done).

Rule:
* deflection (or dismissal of a complaint) and no strong initiative → 0 for deflection, 1 for a
  dismissal only; flagged for review. With strong initiative too → 1, flagged (a close call);
* a proactive action not asked for, or a strong cue and at least two initiative cues in all → 3
  (积极), 0.75 (0.6 with fewer than three cues);
* one strong cue (question back, recommendation, follow-up) alone, supporting cues, or cooperation
  → 2 (配合), 0.6; a single strong cue with nothing else is a close call between 积极 and 配合;
* otherwise the agent only answered → 1 (问答式); 0.7 confidence when replies are short (curt),
  0.5 otherwise (long answers may explain beyond the question);
* every suggestion below confidence 0.7 is flagged for review (`REVIEW_BELOW`);
* curt replies (two or more human messages, under 15 characters on average) with no proactive
  action cap the level: 配合 (2) when the
  agent got something done or followed the procedure (cooperation cues), else 问答式 (1) even with
  a question back or a recommendation ("你预算多少" … "没有优惠"); flagged for review.
No human agent message with words → value None (rubric fallback, review).
"""
from __future__ import annotations

import re

from grader.detectors._cues import case_question, clause_text, is_question, situation_question
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

ITEM = "service_attitude"
QUESTION_END = re.compile(r"(?:[?？]|[吗么嘛呢])\s*$")
LABELS = {3: "积极解决", 2: "配合解决", 1: "问答式解决", 0: "推脱"}
STRONG = {"initiative": "主动提出解决办法", "ask_back": "主动了解顾客需求", "recommend": "主动推荐",
          "follow_up": "主动跟进沉默的顾客"}
SUPPORT = {"promotion": "主动告知优惠活动", "nudge": "主动促单", "notes": "主动告知注意事项",
           "promise": "承诺回复时间", "soothe": "安抚顾客"}
CURT_CHARS = 15
# Levels carry real doubt (people labelling real chats agree on this item 26 times in 30): below
# this confidence the card asks for review. Measured on the JD tuning half: 配合 suggestions are right
# about 6 times in 10, 积极 with fewer than three cues about 5 in 10.
REVIEW_BELOW = 0.7


@register
class ServiceAttitudeDetector(Detector):
    name = "service_attitude"
    version = "4"
    items = (ITEM,)
    lexicons = ("deflection", "proactive", "ask_needs", "recommend", "follow_up", "promotion",
                "delivery_notes", "promise", "soothe", "clarify", "not_clarify", "resolution", "situation",
                "attitude_context")

    def detect(self, chat: Chat) -> list[Measurement]:
        humans = chat.human_agent_words
        if not humans:
            return [Measurement(item=ITEM, value=None, confidence=0.0, needs_review=True,
                                reason="客服没有人工文字回复，无法评价服务态度")]
        findings = []
        defl, pro = self.lex["deflection"], self.lex["proactive"]
        deflections = dismissals = 0
        for msg, match in chat.find(defl, humans):
            if match.term.tag == "dismiss":
                prev = self._prev_customer(chat, msg.index)
                if prev is None or QUESTION_END.search(prev.text):
                    continue  # answering a question ("会褪色吗" → "轻微是正常的") is no dismissal
                dismissals += 1
                findings.append(self.finding(ITEM, "dismiss", f"客服否认顾客反映的问题：“{match.text}”", msg,
                                             match, defl, positive=False))
            else:
                deflections += 1
                findings.append(self.finding(ITEM, "deflection", f"客服推脱：“{match.text}”", msg, match, defl,
                                             positive=False))
        strong: list[str] = []
        support: list[str] = []
        cooperate = 0

        spans: set[tuple[int, int]] = set()  # (message, char) already counted: one cue, one count

        def add(kind: str, msg, match, lex, label: str) -> None:
            nonlocal cooperate
            here = {(msg.index, i) for i in range(match.start, match.end)}
            if here & spans:
                return
            spans.update(here)
            if kind == "cooperate":
                cooperate += 1
                findings.append(self.finding(ITEM, "cooperate", f"{label}：“{match.text}”", msg, match, lex))
                return
            (strong if kind in STRONG else support).append(kind)
            findings.append(self.finding(ITEM, "initiative", f"{label}：“{match.text}”", msg, match, lex,
                                         strength="strong" if kind in STRONG else "support", cue=kind))

        for msg, match in chat.find(pro, humans):
            if match.term.tag == "initiative":
                if self._asked_for(chat, msg.index, match.text):
                    add("cooperate", msg, match, pro, "客服按顾客要求办理")
                else:
                    add("initiative", msg, match, pro, STRONG["initiative"])
            else:
                add("cooperate", msg, match, pro, "客服配合顾客")
        # A question back about the customer's needs: listed wording, else the general family.
        for msg, match in chat.find(self.lex["ask_needs"], humans):
            if is_question(clause_text(msg.text, match.start, match.end)):
                add("ask_back", msg, match, self.lex["ask_needs"], STRONG["ask_back"])
                break
        else:
            for msg in humans:
                q = situation_question(msg.text, self.lex["situation"])
                if q is not None:
                    add("ask_back", msg, q, None, STRONG["ask_back"])
                    break
        for msg, match in chat.find(self.lex["recommend"], humans)[:2]:
            add("recommend", msg, match, self.lex["recommend"], STRONG["recommend"])
        for msg, match in chat.find(self.lex["follow_up"], humans):
            if match.term.tag == "presence" and self._after_own_message(chat, msg.index):
                add("follow_up", msg, match, self.lex["follow_up"], STRONG["follow_up"])
            elif match.term.tag == "nudge":
                add("nudge", msg, match, self.lex["follow_up"], SUPPORT["nudge"])
        for msg, match in chat.find(self.lex["promotion"], humans):
            prev = self._prev_customer(chat, msg.index)
            if prev is None or not self.lex["attitude_context"].search(prev.text, "deal_asked"):
                add("promotion", msg, match, self.lex["promotion"], SUPPORT["promotion"])
                break
        for name, kind in (("delivery_notes", "notes"), ("promise", "promise"), ("soothe", "soothe")):
            for msg, match in chat.find(self.lex[name], humans)[:1]:
                add(kind, msg, match, self.lex[name], SUPPORT[kind])
        clarified = chat.find(self.lex["clarify"], humans)[:1]
        for msg, match in clarified:
            add("cooperate", msg, match, self.lex["clarify"], "客服按流程了解问题")
        for msg in [] if clarified else humans:  # or any question about the case (是这个订单吗)
            if (q := case_question(msg.text, self.lex["not_clarify"])) is not None:
                add("cooperate", msg, q, None, "客服问清顾客的问题")
                break
        for msg, match in chat.find(self.lex["resolution"], humans):
            if match.term.tag == "done":
                add("cooperate", msg, match, self.lex["resolution"], "客服办好了顾客的事")
                break

        n_strong, n_all = len(strong), len(strong) + len(support)
        avg_len = sum(len(m.text) for m in humans) / len(humans)
        review = False
        if (deflections or dismissals) and not n_strong:
            level, confidence, review = (0, 0.65, True) if deflections else (1, 0.55, True)
        elif deflections or dismissals:
            level, confidence, review = 1, 0.5, True
        elif "initiative" in strong or (n_strong and n_all >= 2):
            level, confidence = 3, (0.75 if n_all >= 3 else 0.6)
        elif n_strong or support or cooperate:
            level, confidence = 2, 0.6  # 配合 or 问答式 is where people disagree most
            if n_strong:
                confidence, review = 0.55, True  # one initiative alone: 积极 or 配合?
        else:
            level, confidence = 1, (0.7 if avg_len < CURT_CHARS else 0.5)
        curt = avg_len < CURT_CHARS and len(humans) >= 2 and "initiative" not in strong
        capped = 2 if cooperate else 1
        if curt and level > capped:
            # Curt replies (short messages on average) without a real action: a supervisor reads the
            # chat as answering only, unless the agent got the customer's matter done (配合).
            level, confidence, review = capped, 0.55, True
        else:
            curt = False
        reason = (f"{LABELS[level]}：主动解决 {n_strong} 处（另有辅助 {len(support)} 处），配合 {cooperate} 处，"
                  f"推脱 {deflections} 处")
        if dismissals:
            reason += f"，否认顾客问题 {dismissals} 处"
        if (deflections or dismissals) and n_strong:
            reason += "（既有推脱又有主动解决，请人工判断）"
        elif curt and (n_strong or support or cooperate):
            reason += f"；回复简短（平均 {avg_len:.0f} 字），按{LABELS[level]}计，请人工复核"
        metrics = {"attitude_initiative": n_strong, "attitude_support": len(support),
                   "attitude_cooperate": cooperate, "attitude_deflections": deflections,
                   "attitude_dismissals": dismissals}
        return [Measurement(item=ITEM, value=level, confidence=confidence,
                            needs_review=review or confidence < REVIEW_BELOW, reason=reason, findings=findings,
                            metrics=metrics)]

    @staticmethod
    def _prev_customer(chat: Chat, index: int):
        return next((m for m in reversed(chat.messages[:index]) if m.role == "customer"), None)

    @staticmethod
    def _after_own_message(chat: Chat, index: int) -> bool:
        """Whether the message before `index` (system lines skipped) is the agent's: a follow-up."""
        prev = next((m for m in reversed(chat.messages[:index]) if m.role != "system"), None)
        return prev is not None and prev.role == "agent"

    def _asked_for(self, chat: Chat, index: int, cue: str) -> bool:
        """Whether the customer's last message before `index` asked for the cue's action
        (``attitude_context.txt`` tag=action)."""
        action = self.lex["attitude_context"].search(cue, "action")
        if not action:
            return False
        prev = self._prev_customer(chat, index)
        return bool(prev and action.text in prev.text)
