"""aftersale.same_day_resolution: 当天问题当天解决；无法当天解决时约定下次沟通时间 (10 or 0).

Source: the rubric item and its convention: 10 when the problem is solved in the chat (refund
approved, reissue or exchange registered, answer given) or a concrete next-contact time is agreed;
0 when it is left open, vague ("有消息通知你") or abandoned. There is no 5.

value 2 – the agent states it done on the day the customer first wrote (已经给您退款/已为您补发/
          已同意退货, with no protest after it), or the customer says 解决了/收到了, or a concrete
          next contact is agreed ("明天上午10点前联系您": tags window/time of ``promise.txt``), or
          the agent answered and the customer closes (好的谢谢) with nothing outstanding;
value 0 – left open: the customer's last message has no human reply; the customer still protests
          after the last fix or says they will see to it themselves (我先问问他); the agent deflects,
          or refuses what was asked (不换, 你的请求我们无法处理) with no way forward and no acceptance;
          only a vague promise or a hand-off (稍后联系/已为您反馈/专员会联系您); the agent's last
          step asks the customer for something that never comes; solved on a later day with no
          contact agreed. Vague and unclear outcomes are flagged for review.
Resolution is judged from the agent's actions and the end of the chat: a customer's 收到了 early in
a complaint ("收到了，但是水箱裂了") is not "solved" when the complaint follows it.

Vocabulary: ``resolution.txt`` (agent: done / not_done / pending), ``deflection.txt`` (shared with
service_attitude: refusals and dismissals of the complaint), ``resolution_customer.txt``
(customer: solved / confirm / protest / self), ``promise.txt`` (shared with promised_contact),
``clarify.txt`` (what counts as asking the customer for something). The day is the calendar date of
the customer's first message in the chat's time zone, or the next service day when that message came
outside service hours (option ``service_hours``, as first_response reads it: a question at 23:40
answered and solved at 08:01 is solved the day the shop first could serve it); without timestamps it
cannot be checked.
"""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from grader.dates import day_of
from grader.detectors._cues import CLAUSES, clause_text, deflections
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement
from grader.detectors.first_response import ServiceHours
from grader.transcript.model import SHANGHAI, Message

ITEM = "aftersale.same_day_resolution"
CONCRETE = ("window", "time")
# A way forward after a refusal, beside the agent's own help (attitude_context tag=agent_acts).
WAY_FORWARD = re.compile(r"建议|可以|或者|另外|不过|但是|帮您|为您|给您")


def _date(m: Message, tz=SHANGHAI):
    return day_of(m.time, tz)


@register
class SameDayResolutionDetector(Detector):
    name = "same_day_resolution"
    version = "4"
    items = (ITEM,)
    lexicons = ("resolution", "resolution_customer", "promise", "clarify", "deflection", "request", "sign_off",
                "attitude_context")

    def __init__(self, lexicons, options=None):
        super().__init__(lexicons, options)
        self.tz = ZoneInfo(self.options["tz"])  # the run's --tz: "the day" is its day
        self.hours = ServiceHours(self.options["service_hours"], self.tz)

    def detect(self, chat: Chat) -> list[Measurement]:
        customers, humans = chat.customer, chat.human_agent
        if not customers:
            return [self._m(None, 0.0, "会话中没有顾客消息，无法判断问题是否解决", [])]
        if not humans:
            return [self._m(0, 0.7, "顾客的问题一直没有人工处理", [
                self.finding(ITEM, "unanswered", "顾客的问题没有人工回复", customers[-1], positive=False)])]
        r = _Reading(self, chat)
        for rule in (self._unanswered, self._still_protesting, self._left_open, self._resolved, self._agreed,
                     self._customer_solved, self._vague, self._waiting):
            found = rule(r)
            if found is not None:
                return [found]
        return [self._answered(r)]

    def _unanswered(self, r: "_Reading") -> Measurement | None:
        """0: the customer's last message got no human reply (a closing 好的谢谢 or 嗯 needs none)."""
        if r.last_cust.index > r.last_human.index and not r.closing:
            return self._m(0, 0.75, "顾客最后的消息没有得到人工回复，问题没有解决", [
                self.finding(ITEM, "unanswered", "顾客最后的消息没有人工回复", r.last_cust, positive=False)])
        return None

    def _still_protesting(self, r: "_Reading") -> Measurement | None:
        """0: the customer still protests after the agent's last fix, and nothing settled it since."""
        by_tag = r.by_tag
        protests = [(m, x) for m, x in by_tag.get("protest", []) + by_tag.get("self", []) if m.index > r.last_fix]
        if not protests:
            return None
        p_msg, p_match = protests[-1]
        # A later 好的谢谢 settles a protest; only 解决了 settles "I'll see to it myself".
        settling = {"solved"} if by_tag.get("self") and protests[-1] in by_tag["self"] else {"solved", "confirm"}
        settled_after = any(i > p_msg.index and (settling & t) and not ({"protest", "self"} & t)
                            for i, t in r.cust_tags.items())
        if settled_after:
            return None
        return self._m(0, 0.7, f"顾客到最后仍不满意：“{p_match.text}”", [self.finding(
            ITEM, "protest", "顾客在客服最后一次处理之后仍在抱怨：“{}”".format(p_match.text),
            p_msg, p_match, r.cust, positive=False)])

    def _left_open(self, r: "_Reading") -> Measurement | None:
        """0: after the last fix the agent deflected, or said it is not done yet."""
        deflected = [(m, x) for m, x in r.by_tag.get("deflect", []) if m.index > r.last_fix]
        if deflected:
            f = r.hit_finding("deflect", "deflect", "客服推脱：“{term}”", False)
            return self._m(0, 0.6, f"客服推脱，问题没有解决：“{deflected[-1][1].text}”", [f])
        refused = self._refused(r)
        if refused is not None:
            return refused
        not_yet = [(m, x) for m, x in r.by_tag.get("not_done", []) if m.index > r.last_fix]
        if not_yet:
            msg, match = not_yet[-1]
            text = clause_text(msg.text, match.start, match.end)
            f = self.finding(ITEM, "not_done", f"客服说明还没有办好：“{text}”", msg, match, r.res, positive=False)
            return self._m(0, 0.6, f"客服说明还没有办好：“{text}”，问题没有当场解决", [f])
        return None

    def _refused(self, r: "_Reading") -> Measurement | None:
        """0: after the last fix the agent refused what the customer asked (不换/无法处理, ``resolution.txt``
        tag=refused), offered no way forward after it (``attitude_context`` tag=agent_acts, or 建议/可以/
        或者) and the customer did not accept (a resigned 好吧 is no acceptance)."""
        refusals = [(m, x) for m, x in r.by_tag.get("refused", []) if m.index > r.last_fix]
        if not refusals:
            return None
        msg, match = refusals[-1]
        after = [msg.text[match.end:]] + [m.text for m in r.chat.human_agent_words if m.index > msg.index]
        context = self.lex["attitude_context"]
        if any(context.search(t, "agent_acts") or WAY_FORWARD.search(t) for t in after):
            return None
        if any(i > msg.index and t & {"solved", "confirm"} for i, t in r.cust_tags.items()):
            return None
        text = clause_text(msg.text, match.start, match.end)
        f = self.finding(ITEM, "refused", f"客服拒绝了顾客的要求：“{text}”，也没有给出别的办法", msg, match, r.res,
                         positive=False)
        return self._m(0, 0.65, f"客服拒绝了顾客的要求（“{text}”），没有给出别的办法，问题没有解决", [f])

    def _resolved(self, r: "_Reading") -> Measurement | None:
        """The agent says it is done: 2 that day (or after a next contact agreed on the first day)."""
        if "done" not in r.by_tag:
            return None
        first_day = self._service_day(r.chat.customer[0])
        msg, match = r.by_tag["done"][-1]
        f = r.hit_finding("done", "resolved", "客服说明问题已解决：“{term}”", True)
        if first_day is None or _date(msg, self.tz) is None:
            return self._m(2, 0.6, f"客服说明问题已解决：“{match.text}”（没有时间戳，无法核对是否当天）", [f])
        if _date(msg, self.tz) == first_day:
            return self._m(2, 0.75, f"当天解决：客服说明“{match.text}”，顾客没有再抱怨", [f])
        agreed = [m for m, _ in r.by_tag.get("concrete", []) if _date(m, self.tz) == first_day]
        if agreed:
            return self._m(2, 0.7, f"第一天约定了下次联系时间，之后客服说明“{match.text}”", [f])
        return self._m(0, 0.55, f"问题在 {_date(msg, self.tz)} 才解决，第一天没有约定下次沟通时间", [f], review=True)

    def _service_day(self, m: Message):
        """The day the shop first could serve message `m`: its own day, or the day of the next opening
        when it came outside service hours (23:40 with hours 08:00-23:00 is the next day's business)."""
        return None if m.time is None else day_of(self.hours.opening(m.time), self.tz)

    def _agreed(self, r: "_Reading") -> Measurement | None:
        """2: a next contact at a stated time was agreed."""
        if "concrete" not in r.by_tag:
            return None
        f = r.hit_finding("concrete", "next_contact", "客服约定了下次联系时间：“{term}”", True)
        return self._m(2, 0.65, f.reason, [f])

    def _customer_solved(self, r: "_Reading") -> Measurement | None:
        """2: the customer's 解决了/收到了 once the agent has acted, not as the opening of a complaint
        ("收到了，但是水箱裂了"), and not in a message that still protests."""
        first_reply = r.chat.human_agent[0].index
        solved = [(m, x) for m, x in r.by_tag.get("solved", [])
                  if m.index > max(r.last_fix, first_reply) and "protest" not in r.cust_tags[m.index]]
        if not solved:
            return None
        msg, match = solved[-1]
        f = self.finding(ITEM, "customer_solved", f"顾客确认问题已解决：“{match.text}”", msg, match, r.cust)
        return self._m(2, 0.7, f.reason, [f])

    def _vague(self, r: "_Reading") -> Measurement | None:
        """0 (flagged): only a vague promise or a hand-over, no time agreed."""
        if "vague" not in r.by_tag and "pending" not in r.by_tag:
            return None
        tag = "vague" if "vague" in r.by_tag else "pending"
        f = r.hit_finding(tag, tag, "客服只作了模糊承诺或转交处理：“{term}”，没有约定具体时间，问题没有当场解决", False)
        return self._m(0, 0.55, f.reason, [f], review=True)

    def _waiting(self, r: "_Reading") -> Measurement | None:
        """0 (flagged): the agent ends waiting for the customer's information."""
        waiting = self._waiting_on_customer(r.chat, r.last_cust)
        if waiting is None:
            return None
        msg, match = waiting
        f = self.finding(ITEM, "waiting", f"客服最后在等顾客提供信息：“{match.text}”，问题没有当场解决",
                         msg, match, self.lex["clarify"], positive=False)
        return self._m(0, 0.55, f.reason, [f], review=True)

    def _answered(self, r: "_Reading") -> Measurement:
        """2: answered, and the customer accepts (or, flagged, raises nothing more)."""
        if r.accepts:
            msg = r.last_cust
            f = self.finding(ITEM, "customer_accepts", "顾客最后表示接受：“{}”".format(msg.text[:20]), msg)
            return self._m(2, 0.6, f"客服作了答复，顾客最后表示接受（“{msg.text[:20]}”），没有再提问题", [f])
        f = self.finding(ITEM, "answered", "客服回复了顾客最后的问题", r.last_human)
        return self._m(2, 0.5, "客服回复了顾客的问题，顾客没有再提出异议；是否真正解决需人工确认", [f], review=True)

    def _waiting_on_customer(self, chat: Chat, last_cust: Message):
        """The agent's last worded human message that is not only a sign-off (``sign_off.txt``), when
        it asks the customer for something (order number, screenshot …) and the customer only
        acknowledges or leaves: (message, match)."""
        ask, sign_off = self.lex["clarify"], self.lex["sign_off"]
        last = next((m for m in reversed(chat.human_agent_words)
                     if not all(sign_off.search(c.group(0)) for c in CLAUSES.finditer(m.text))), None)
        if last is None or last_cust.index > last.index and len(last_cust.text.strip()) > 6:
            return None
        for msg, match in chat.find(ask, [last]):
            if self.lex["request"].search(clause_text(msg.text, match.start, match.end)):
                return msg, match
        return None

    def _m(self, value, confidence, reason, findings, review=False) -> Measurement:
        return Measurement(item=ITEM, value=value, confidence=confidence, reason=reason, findings=findings,
                           needs_review=review or value is None)


class _Reading:
    """One chat as same_day_resolution reads it: the agents' and the customer's words by tag, the
    customer's tags by message, the last fix, and how the customer's last message closes."""

    def __init__(self, detector: SameDayResolutionDetector, chat: Chat):
        lex = detector.lex
        self.detector, self.chat = detector, chat
        self.res, self.cust, self.prom, defl = lex["resolution"], lex["resolution_customer"], lex["promise"], lex["deflection"]
        # Deflections as `_cues.deflections` reads them: an explanation ("是正常的霜，不影响饮用") is no denial.
        agent_hits = chat.find(self.res) + [(m, x) for m, x, _ in deflections(chat, defl, lex["attitude_context"])]
        cust_hits = chat.find(self.cust)
        self.by_tag: dict[str, list] = {}
        for msg, match in agent_hits + chat.find(self.prom) + cust_hits:
            tag = match.term.tag or ""
            if match.term in defl.terms:
                tag = "deflect"  # refusals and dismissals (不是质量问题) alike leave the problem open
            elif match.term in self.prom.terms:
                tag = "concrete" if tag in CONCRETE else "vague"
            self.by_tag.setdefault(tag, []).append((msg, match))
        self.lex_of = {"done": self.res, "not_done": self.res, "pending": self.res, "deflect": defl,
                       "concrete": self.prom, "vague": self.prom}
        self.cust_tags: dict[int, set[str]] = {}
        for msg, match in cust_hits:
            self.cust_tags.setdefault(msg.index, set()).add(match.term.tag or "")
        self.last_cust, self.last_human = chat.customer[-1], chat.human_agent[-1]
        last_tags = self.cust_tags.get(self.last_cust.index, set())
        # A closing 好的谢谢 or a bare 嗯/哦 needs no reply; only the first kind accepts the outcome.
        self.closing = bool(last_tags & {"solved", "confirm", "ack"}) and "protest" not in last_tags
        self.accepts = bool(last_tags & {"solved", "confirm"}) and "protest" not in last_tags
        fixes = self.by_tag.get("done", []) + self.by_tag.get("concrete", [])
        self.last_fix = max((m.index for m, _ in fixes), default=-1)

    def hit_finding(self, tag: str, kind: str, reason: str, positive: bool, which: int = -1):
        """A finding on the `which`th hit of `tag`, its reason formatted with the matched words."""
        msg, match = self.by_tag[tag][which]
        return self.detector.finding(ITEM, kind, reason.format(term=match.text), msg, match,
                                     self.lex_of.get(tag, self.cust), positive=positive)
