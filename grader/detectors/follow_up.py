"""presale.follow_up: the agent follows up a quiet or undecided customer (跟进客户催单).

Two kinds, each human agent message counted at most once:

* timing ("re_engage"): after an agent's open question (follow_up_cues tag=question, not a closing
  like 还有什么可以帮您) or an unpaid-order system message (kind "order", tag=unpaid, not paid),
  the customer stays silent for at least ``follow_up_silence_seconds`` (default 180), and the
  first *human* agent message after that silence, before the customer speaks again or the order is
  paid, re-engages them. The customer's hesitation (我再看看/考虑一下/再想想/先不要了, follow_up_cues
  tag=hesitation, customer messages only) opens the same window: a human agent who picks the
  customer up again after that silence is following up. A presence check (亲还在吗/还在考虑吗, follow_up tag=presence) also counts
  when the agent spoke last and the customer has been silent that long. Auto-replies never count.
* wording ("nudge"): a human agent message holding a nudge toward ordering (喜欢可以先拍下,
  今天下单今天发, 库存不多, 活动快结束了 …, follow_up tag=nudge) when something before it called for
  a follow-up: the customer hesitated (since the last order sign), signed off without ordering
  (好的谢谢 → 看中的话可以尽早下单哦; follow_up_cues tag=leaving), left an order unpaid, or went
  silent after the agent spoke. A nudge inside the pitch ("现在下单还送" to a buyer who asked a
  question) is a promotion, not a follow-up: shown as "in_pitch", not counted. Without timestamps
  such a nudge is counted but flagged (silence cannot be told).

Not applicable (不适用) when nothing called for a follow-up and the buyer decided alone: no hesitation,
no unpaid order, no sign-off without an order (好的谢谢), and the customer ordered (order_signals) or
ended agreeing to the agent's answer (a bare 好的/行, follow_up_cues tag=agrees), and the agent did not
follow up.
Closing lines (还有什么可以帮您, tag=closing) are never a follow-up. Without timestamps only the
wording can be judged: presence checks are then counted but flagged for review.
value = number of follow-up messages.
"""
from __future__ import annotations

from grader.detectors._cues import clause_text, is_question, order_index
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat, evidence
from grader.detectors.findings import Measurement
from grader.transcript.content import has_words

ITEM = "presale.follow_up"
CUSTOMER_ONLY = ("hesitation", "leaving", "unpaid_words", "agrees")  # follow_up_cues tags read in customer messages only


def _mins(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60} 分 {s % 60} 秒" if s % 60 else f"{s // 60} 分钟"


@register
class FollowUpDetector(Detector):
    name = "follow_up"
    version = "4"
    items = (ITEM,)
    lexicons = ("follow_up", "follow_up_cues", "order_signals")

    def __init__(self, lexicons, options=None):
        super().__init__(lexicons, options)
        self.silence = self.options["follow_up_silence_seconds"]

    def detect(self, chat: Chat) -> list[Measurement]:
        r = _Reading(chat, self.lex["follow_up"], self.lex["follow_up_cues"], self.lex["order_signals"])
        triggers = self._triggers(r)
        self._re_engagements(r, triggers)
        self._presence_checks(r)
        self._nudges(r)
        return [self._measurement(r, triggers)]

    def _triggers(self, r: "_Reading") -> list[tuple]:
        """(message, why) after which a silent customer may be followed up: an agent's open question,
        an unpaid order notice, a customer's hesitation; in chat order."""
        triggers = []
        for m in r.chat.human_agent:
            if "question" in r.cue_tags.get(m.index, {}) and not r.is_closing(m.index):
                triggers.append((m, "question"))
        for m in r.orders:
            tags = r.cue_tags.get(m.index, {})
            if "unpaid" in tags and "paid" not in tags:
                triggers.append((m, "unpaid"))
        triggers += [(m, "hesitation") for m, _ in r.hesitations.values()]
        triggers.sort(key=lambda t: t[0].index)
        return triggers

    def _re_engagements(self, r: "_Reading", triggers: list[tuple]) -> None:
        """Timing: re-engaging after the customer went quiet following a trigger."""
        msgs = r.chat.messages
        for trig, why in triggers:
            if trig.time is None:
                continue
            for m in msgs[trig.index + 1:]:
                if m.role == "customer":
                    break
                if m.role == "system" and "paid" in r.cue_tags.get(m.index, {}):
                    break
                if not m.is_human_agent or m.time is None or not has_words(m.text):
                    continue
                gap = (m.time - trig.time).total_seconds()
                if gap < self.silence:
                    continue
                if r.is_closing(m.index) or m.index in r.counted:
                    break
                if why == "hesitation":
                    cause = f"顾客犹豫（“{r.hesitations[trig.index][1].text}”）后"
                else:
                    cause = "客服提问后" if why == "question" else "顾客下单未付款后"
                f = self.finding(ITEM, "re_engage", f"{cause}顾客沉默了 {_mins(gap)}，客服主动跟进", m,
                                 positive=True, trigger=why, silence_seconds=round(gap))
                f.evidence.insert(0, evidence(trig))
                r.counted[m.index] = f
                break

    def _presence_checks(self, r: "_Reading") -> None:
        """Presence checks (亲还在吗): only after the customer has been silent long enough."""
        msgs, words = r.chat.messages, r.words
        for m in r.chat.human_agent:
            match = r.agent_tags.get(m.index, {}).get("presence")
            if match is None or m.index in r.counted or r.is_closing(m.index):
                continue
            prev = next((p for p in reversed(msgs[:m.index]) if p.role != "system"), None)
            if m.time is None or prev is None or prev.time is None:
                if not r.timed:
                    r.counted[m.index] = self.finding(
                        ITEM, "re_engage", f"客服询问“{match.text}”（没有时间戳，无法核实顾客是否沉默）", m, match,
                        words, unverified=True)
                continue
            gap = (m.time - prev.time).total_seconds()
            if prev.role == "agent" and gap >= self.silence:
                r.counted[m.index] = self.finding(
                    ITEM, "re_engage", f"顾客沉默 {_mins(gap)} 后，客服询问“{match.text}”跟进", m, match, words,
                    silence_seconds=round(gap))
            else:
                r.findings.append(self.finding(
                    ITEM, "not_follow_up", f"“{match.text}”不是在顾客沉默后说的，不算跟进", m, match, words,
                    positive=False))

    def _nudges(self, r: "_Reading") -> None:
        """Wording: nudges toward ordering, when something called for a follow-up before them
        (`_called_for`); a nudge inside the pitch is a promotion, shown but not counted, as is an
        excluded one."""
        words = r.words
        for msg, match in r.chat.find(words, include_excluded=True):
            if match.term.tag not in (None, "nudge") or msg.index in r.counted:
                continue
            if match.excluded_by:
                r.findings.append(self.finding(
                    ITEM, "excluded", f"“{match.text}”后面是“{match.excluded_by}”，不是催单", msg, match, words,
                    positive=False))
                continue
            cause = self._called_for(r, msg)
            if cause is None:
                r.findings.append(self.finding(
                    ITEM, "in_pitch", f"“{match.text}”是介绍里顺带的促销话术，顾客之前没有犹豫、沉默或道别，不算跟进",
                    msg, match, words, positive=False))
            else:
                r.counted[msg.index] = self.finding(ITEM, "nudge", f"{cause}客服催单：“{match.text}”", msg, match,
                                                    words, unverified=cause == "")

    def _called_for(self, r: "_Reading", msg) -> str | None:
        """Why a nudge in `msg` follows up ("顾客犹豫后" …), "" when the chat has no times to tell,
        or None when nothing before it called for one: the buyer's hesitation since the last order
        sign, the buyer's last words a sign-off without an order (tag=leaving), an unpaid order
        notice or the buyer's 还没付, or the buyer silent for ``follow_up_silence_seconds`` after the agent spoke."""
        last_order = max((i for i in r.order_signs if i < msg.index), default=-1)
        if any(last_order < i < msg.index for i in r.hesitations):
            return "顾客犹豫后"
        last_customer = next((m for m in reversed(r.chat.messages[:msg.index]) if m.role == "customer"), None)
        if last_customer is not None and last_customer.index in r.leaving:
            return "顾客没下单就道别后"
        tags = [r.cue_tags.get(m.index, {}) for m in r.orders if m.index < msg.index]
        if any("unpaid" in t and "paid" not in t for t in tags) or (
                any(i < msg.index for i in r.unpaid_words) and not any("paid" in t for t in tags)):
            return "顾客下单未付款后"
        prev = next((m for m in reversed(r.chat.messages[:msg.index]) if m.role != "system"), None)
        if prev is None or prev.time is None or msg.time is None:
            return None if r.timed else ""
        if prev.role == "agent" and (msg.time - prev.time).total_seconds() >= self.silence:
            return f"顾客沉默 {_mins((msg.time - prev.time).total_seconds())} 后"
        return None

    def _measurement(self, r: "_Reading", triggers: list[tuple]) -> Measurement:
        """The count of follow-ups; 不适用 when the customer ordered without hesitating."""
        follow_ups = [r.counted[i] for i in sorted(r.counted)]
        findings = follow_ups + r.findings
        n = len(follow_ups)
        unverified = any(f.data.get("unverified") for f in follow_ups)
        if n:
            kinds = {"re_engage": "沉默后跟进", "nudge": "催单话术"}
            parts = "、".join(dict.fromkeys(kinds[f.kind] for f in follow_ups))
            reason = f"客服跟进了 {n} 次（{parts}）：{follow_ups[0].reason}"
            confidence = 0.6 if unverified else 0.8
        elif not r.hesitations and not r.leaving and not r.unpaid_words and \
                not any(why == "unpaid" for _, why in triggers) and (r.agrees or order_index(
                    r.chat, self.lex["order_signals"])[0] is not None):
            pitch = "（介绍里的促销话术算告知活动，不算跟进）" if any(f.kind == "in_pitch" for f in findings) else ""
            how = "自己下了单" if order_index(r.chat, self.lex["order_signals"])[0] is not None else "最后同意了客服的答复"
            return Measurement(item=ITEM, value=0, confidence=0.75, not_applicable=True, findings=findings,
                               reason=f"顾客没有犹豫，{how}，不需要跟进催单{pitch}")
        else:
            reason = "客服没有跟进沉默或未付款的顾客，也没有催单话术"
            confidence = 0.7 if r.timed else 0.5
        return Measurement(item=ITEM, value=n, confidence=confidence, reason=reason, findings=findings,
                           needs_review=unverified or (not r.timed and not n))


class _Reading:
    """One chat as follow_up reads it: the agents' follow-up words and the cues by message, the
    customer's hesitations, sign-offs without an order and "not paid yet" words, where orders were placed,
    and the follow-ups counted so far (message index -> finding)."""

    def __init__(self, chat: Chat, words, cues, orders):
        self.chat, self.words = chat, words
        self.orders = [m for m in chat.messages if m.role == "system" and m.kind == "order"]
        self.agent_tags: dict[int, dict[str, object]] = {}
        for msg, match in chat.find(words):
            self.agent_tags.setdefault(msg.index, {}).setdefault(match.term.tag or "nudge", match)
        self.cue_tags: dict[int, dict[str, object]] = {}
        for msg, match in chat.find(cues, chat.human_agent + self.orders):
            if match.term.tag not in CUSTOMER_ONLY:
                self.cue_tags.setdefault(msg.index, {}).setdefault(match.term.tag or "", match)
        self.hesitations: dict = {}
        leaving: set[int] = set()
        agrees: set[int] = set()
        first_answer = next((m.index for m in chat.human_agent_words), len(chat.messages))
        self.unpaid_words: set[int] = set()  # customer messages saying the order is not paid yet
        for msg, match in chat.find(cues, chat.customer):
            if match.term.tag == "hesitation":
                self.hesitations.setdefault(msg.index, (msg, match))
            elif match.term.tag == "leaving" and msg.index > first_answer and \
                    not is_question(clause_text(msg.text, match.start, match.end)):
                leaving.add(msg.index)  # after an answer: "能用吗？谢谢" opening the chat asks, it does not leave
            elif match.term.tag == "unpaid_words":
                self.unpaid_words.add(msg.index)
            elif match.term.tag == "agrees":
                agrees.add(msg.index)
        ordered = {m.index for m, _ in chat.find(orders, chat.customer)}
        self.leaving = leaving - ordered - set(self.hesitations)  # "好的，拍了" orders; it does not leave
        self.order_signs = ordered | {m.index for m in self.orders}
        last = chat.customer[-1].index if chat.customer else None
        self.agrees = last in agrees  # the buyer's last words a bare 好的/行 to the agent's answer
        self.counted: dict[int, object] = {}
        self.findings: list = []
        self.timed = any(m.time is not None for m in chat.messages)

    def is_closing(self, i: int) -> bool:
        tags = self.agent_tags.get(i, {})
        return "closing" in tags and "nudge" not in tags
