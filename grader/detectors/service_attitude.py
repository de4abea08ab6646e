"""service_attitude: level index 3 积极解决 / 2 配合解决 / 1 问答式 / 0 推脱.

Cues are data. Own lexicons: ``deflection`` (不归我们管, 你自己找快递, 跟我们没关系 …; tag=dismiss:
denying the customer's complaint, 不是质量问题 / 属于正常现象; tag=self_service: 那你申请退货吧), read
by `_cues.deflections` (an explanation or an answer to the customer's question is no denial; a
self-service pointer with the agent's own help is no deflection), and ``proactive`` (tag=initiative:
我帮您申请, 给您补发, 给您两个选择, 或者直接给您退款, 我联系仓库, 报给品控, 不用寄回, 运费我们承担 …;
tag=cooperate: 已为您修改/正在为您处理).

A supervisor reads initiative more widely than after-sale actions. The other items' evidence is
*consumed*, not matched again (`CONSUMED`: the counted findings of their measurements), so a message
gets one reading on the card (presale.follow_up's "不算跟进" is never this item's "主动跟进"):

* strong initiative — the agent does or offers something the customer did not ask for:
  a proactive action cue not asked for; a question back about the customer's needs
  (presale.ask_needs' questions); a recommendation (presale.recommend);
* supporting initiative — a promotion the customer did not ask about (presale.promotion), a
  follow-up or nudge (presale.follow_up: selling, not solving), delivery / usage notes
  (presale.delivery_notes, also before an order), a timed promise (aftersale.promised_contact,
  kept or not yet due); soothing (aftersale.soothe) is tone, not solving, and is no cue here (the
  convention's 20/12 are about what the agent does; on the JD tuning half, split three ways, reading
  an apology as initiative helped one part and hurt another);
* cooperation — ``proactive`` tag=cooperate; an action in answer to what the customer asked
  (`_asked_for`: the same action, "帮我申请退款" → "好的帮您申请", or any request, "可以更改收货时间吗" →
  "帮您联系库房"), unless it commits beyond the request (我会跟进, 有结果通知您); a hand-off (升级专员);
  asking about the case (aftersale.clarify_issue's asks, but not in a chat the scenario detector
  reads as pre-sale: there is no case before a purchase); a finished resolution
  (aftersale.same_day_resolution: resolved, or the customer says it is).

Rule:
* deflection (or dismissal of a complaint) and no strong initiative → 0 for deflection, 1 for a
  dismissal only; flagged for review. With strong initiative too → 1, flagged (a close call);
* a proactive action not asked for, or a strong cue and at least two initiative cues in all → 3
  (积极), 0.75 (0.6 with fewer than three cues);
* one strong cue (question back, recommendation) alone, supporting cues, or cooperation
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

from grader.detectors._cues import deflections
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat, evidence
from grader.detectors.findings import Evidence, Measurement, new_finding

ITEM = "service_attitude"
LABELS = {3: "积极解决", 2: "配合解决", 1: "问答式解决", 0: "推脱"}
STRONG = {"initiative": "主动提出解决办法", "ask_back": "主动了解顾客需求", "recommend": "主动推荐"}
SUPPORT = {"promotion": "主动告知优惠活动", "nudge": "主动促单", "notes": "主动告知注意事项",
           "promise": "承诺回复时间", "follow_up": "主动跟进沉默的顾客"}
COOPERATE = {"aftersale.clarify_issue": "客服按流程了解问题", "aftersale.same_day_resolution": "客服办好了顾客的事"}
# Other items' counted findings read as cues here: {item: {finding kind: cue kind}}.
CONSUMED = {
    "presale.ask_needs": {"question": "ask_back"},
    "presale.recommend": {"mention": "recommend"},
    "presale.follow_up": {"re_engage": "follow_up", "nudge": "nudge"},
    "presale.promotion": {"mention": "promotion"},
    "presale.delivery_notes": {"note": "notes", "before_order": "notes"},
    "aftersale.promised_contact": {"promise_kept": "promise", "promise_unknown": "promise"},
    "aftersale.clarify_issue": {"ask": "ask_case"},
    "aftersale.same_day_resolution": {"resolved": "cooperate", "customer_solved": "cooperate"},
}
# Findings that do not earn their own item but are still the agent's doing: a delivery note before any
# order (no sale yet), a timed promise whose deadline lies past the record.
STILL_INITIATIVE = {"before_order", "promise_unknown"}
LIMIT = {"recommend": 2, "follow_up": 2, "nudge": 2}  # cues taken per kind from one item (else one)
CURT_CHARS = 15
# Levels carry real doubt (people labelling real chats agree on this item 26 times in 30): below
# this confidence the card asks for review. Measured on the JD tuning half: 配合 suggestions are right
# about 6 times in 10, 积极 with fewer than three cues about 5 in 10.
REVIEW_BELOW = 0.7


@register
class ServiceAttitudeDetector(Detector):
    name = "service_attitude"
    version = "7"
    items = (ITEM,)
    lexicons = ("deflection", "proactive", "attitude_context")
    consumes = (*CONSUMED, "scenario")

    def detect(self, chat: Chat) -> list[Measurement]:
        humans = chat.human_agent_words
        if not humans:
            return [Measurement(item=ITEM, value=None, confidence=0.0, needs_review=True,
                                reason="客服没有人工文字回复，无法评价服务态度")]
        cues = _Cues(self, chat)
        self._deflections(chat, cues)
        self._actions(chat, cues)
        self._from_other_items(chat, cues)
        return [self._level(chat, cues)]

    def _deflections(self, chat: Chat, cues: "_Cues") -> None:
        """Deflections and dismissals, as `_cues.deflections` reads them (shared with the other items)."""
        defl = self.lex["deflection"]
        for msg, match, kind in deflections(chat, defl, self.lex["attitude_context"]):
            if kind == "dismiss":
                cues.dismissals += 1
                cues.findings.append(self.finding(ITEM, "dismiss", f"客服否认顾客反映的问题：“{match.text}”", msg,
                                                  match, defl, positive=False))
            else:
                cues.deflections += 1
                why = "客服把事情推给顾客自己办" if kind == "self_service" else "客服推脱"
                cues.findings.append(self.finding(ITEM, "deflection", f"{why}：“{match.text}”", msg, match, defl,
                                                  positive=False))

    def _actions(self, chat: Chat, cues: "_Cues") -> None:
        """This item's own cues: proactive actions (unless the customer just asked for them) and cooperation."""
        pro = self.lex["proactive"]
        for msg, match in chat.find(pro, chat.human_agent_words):
            if match.term.tag != "initiative":
                cues.add("cooperate", msg.index, evidence(msg, match), "客服配合顾客", pro, term=match.term.raw)
            elif self._asked_for(chat, msg.index, match.text):
                cues.add("cooperate", msg.index, evidence(msg, match), "客服按顾客要求办理", pro, term=match.term.raw)
            else:
                cues.add("initiative", msg.index, evidence(msg, match), STRONG["initiative"], pro, term=match.term.raw)

    def _from_other_items(self, chat: Chat, cues: "_Cues") -> None:
        """Initiative and cooperation as the other detectors measured them: their counted findings,
        never the same words matched again (one message, one reading on the card)."""
        for item, kinds in CONSUMED.items():
            m = self.consumed(chat, item)
            taken: dict[str, int] = {}
            for f in m.findings if m is not None else ():
                kind = kinds.get(f.kind)
                if kind is None or not (f.positive or f.kind in STILL_INITIATIVE) or not f.evidence:
                    continue
                if taken.get(kind, 0) >= LIMIT.get(kind, 1):
                    continue
                ev = f.evidence[-1]  # the agent's words (a re-engagement lists its trigger first)
                if kind == "ask_case" and self._presale(chat):
                    continue  # before a purchase there is no case to ask about: needs count under ask_needs
                if kind == "promotion" and self._deal_asked(chat, ev.message_index):
                    continue  # answering "有优惠吗" with the offer is cooperation in answer, not initiative
                label = STRONG.get(kind) or SUPPORT.get(kind) or COOPERATE[item]
                if cues.add(kind, ev.message_index, ev, label, None, source=item):
                    taken[kind] = taken.get(kind, 0) + 1

    def _presale(self, chat: Chat) -> bool:
        """Whether the scenario detector reads the chat as pre-sale."""
        scenario = self.consumed(chat, "scenario")
        return scenario is not None and scenario.value == 0

    def _deal_asked(self, chat: Chat, index: int) -> bool:
        prev = self._prev_customer(chat, index)
        return prev is not None and bool(self.lex["attitude_context"].search(prev.text, "deal_asked"))

    def _level(self, chat: Chat, cues: "_Cues") -> Measurement:
        humans = chat.human_agent_words
        strong, support, cooperate = cues.strong, cues.support, cues.cooperate
        deflections, dismissals, findings = cues.deflections, cues.dismissals, cues.findings
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
        return Measurement(item=ITEM, value=level, confidence=confidence,
                           needs_review=review or confidence < REVIEW_BELOW, reason=reason, findings=findings,
                           metrics=metrics)

    @staticmethod
    def _prev_customer(chat: Chat, index: int):
        return next((m for m in reversed(chat.messages[:index]) if m.role == "customer"), None)

    def _asked_for(self, chat: Chat, index: int, cue: str) -> bool:
        """Whether the action `cue` answers what the customer asked for, so it is cooperation
        (``attitude_context.txt``): a hand-off (tag=hand_off: 升级专员, 转交) always is; a
        commitment beyond the request (tag=beyond: 跟进, 有结果通知您) never is; otherwise the
        customer's last message asked for the same action (tag=action: "帮我申请退款" → "帮您申请") or
        asked the agent to do something (tag=request: 帮我…, 可以改一下吗, 麻烦…)."""
        context = self.lex["attitude_context"]
        if context.search(cue, "hand_off"):
            return True
        if context.search(cue, "beyond"):
            return False
        prev = self._prev_customer(chat, index)
        if prev is None:
            return False
        action = context.search(cue, "action")
        return bool(action and action.text in prev.text) or context.search(prev.text, "request") is not None


class _Cues:
    """The cues found on one chat: strong and supporting initiative, cooperation, deflections, and
    their findings. One span of one message counts once, whichever reading found it first."""

    def __init__(self, detector: ServiceAttitudeDetector, chat: Chat):
        self.detector, self.chat = detector, chat
        self.strong: list[str] = []
        self.support: list[str] = []
        self.cooperate = self.deflections = self.dismissals = 0
        self.findings: list = []
        self._spans: set[tuple[int, int]] = set()  # (message, char) already counted

    def add(self, kind: str, index: int, ev: Evidence, label: str, lexicon, source: str | None = None,
            term: str | None = None) -> bool:
        """Count a cue of `kind` at `ev` unless its span was counted already; True if counted."""
        # A re-engagement after silence is read from the message's timing, not its words: it blocks
        # no words inside it (a promotion in the same message still counts).
        here = {(index, -1)} if kind == "follow_up" else {(index, i) for i in range(ev.start, ev.end)}
        if here & self._spans:
            return False
        self._spans.update(here)
        data = {"from_item": source} if source else {}
        if kind in ("cooperate", "ask_case"):
            self.cooperate += 1
            finding_kind = "cooperate"
        else:
            (self.strong if kind in STRONG else self.support).append(kind)
            finding_kind = "initiative"
            data.update(strength="strong" if kind in STRONG else "support", cue=kind)
        self.findings.append(new_finding({
            "detector": self.detector.name, "item": ITEM, "kind": finding_kind, "positive": True,
            "evidence": [ev], "reason": f"{label}：“{ev.quote}”", "term": term,
            "lexicon": lexicon.name if lexicon else None,
            "lexicon_version": lexicon.version_tag if lexicon else None, "data": data}))
        return True
