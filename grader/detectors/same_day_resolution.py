"""aftersale.same_day_resolution: 当天问题当天解决；无法当天解决时约定下次沟通时间.

value 2 – solved in the chat on the day the customer first wrote (the agent states it done:
          已经给您退款/已为您补发/已同意退货/已经处理好了, with no protest after it; or the
          customer says 解决了/收到了), or a concrete next contact agreed ("明天上午10点前联系您",
          "24小时内给您答复": tags window/time of ``promise.txt``), or the customer accepts
          (好的谢谢) with no vague promise outstanding;
value 1 – only a vague promise (稍后联系/有结果通知您) or a hand-off (已为您反馈/已催促), a
          resolution on a later day without an agreed next contact, or unclear: needs_review;
value 0 – left open: the customer's last message has no human reply, the customer is still
          protesting after the last fix, or the agent deflects (我们也没办法/您自己联系快递).

Vocabulary: ``resolution.txt`` (agent: done / pending / deflect), ``resolution_customer.txt``
(customer: solved / confirm / protest), ``promise.txt`` (shared with promised_contact). The day
check is code: Beijing calendar date of the resolution vs the customer's first message; without
timestamps the day cannot be checked and confidence drops.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from grader.dates import day_of
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement
from grader.transcript.model import SHANGHAI, Message

ITEM = "aftersale.same_day_resolution"
CONCRETE = ("window", "time")


def _date(m: Message, tz=SHANGHAI):
    return day_of(m.time, tz)


@register
class SameDayResolutionDetector(Detector):
    name = "same_day_resolution"
    version = "1"
    items = (ITEM,)
    lexicons = ("resolution", "resolution_customer", "promise")

    def __init__(self, lexicons, options=None):
        super().__init__(lexicons, options)
        self.tz = ZoneInfo(self.options.get("tz") or "Asia/Shanghai")  # the run's --tz: "the day" is its day

    def detect(self, chat: Chat) -> list[Measurement]:
        res, cust, prom = (self.lex[n] for n in self.lexicons)
        customers, humans = chat.customer, chat.human_agent
        if not customers:
            return [self._m(None, 0.0, "会话中没有顾客消息，无法判断问题是否解决", [])]
        if not humans:
            return [self._m(0, 0.7, "顾客的问题一直没有人工处理", [
                self.finding(ITEM, "unanswered", "顾客的问题没有人工回复", customers[-1], positive=False)])]

        agent_hits = chat.find(res)
        promise_hits = chat.find(prom)
        cust_hits = chat.find(cust)
        by_tag: dict[str, list] = {}
        for msg, match in agent_hits + promise_hits + cust_hits:
            tag = match.term.tag or ""
            if match.term in prom.terms:
                tag = "concrete" if tag in CONCRETE else "vague"
            by_tag.setdefault(tag, []).append((msg, match))
        cust_tags: dict[int, set[str]] = {}
        for msg, match in cust_hits:
            cust_tags.setdefault(msg.index, set()).add(match.term.tag or "")

        def lexfor(tag):
            return {"done": res, "pending": res, "deflect": res, "concrete": prom, "vague": prom}.get(tag, cust)

        def hit_finding(tag, kind, reason, positive, which=-1):
            msg, match = by_tag[tag][which]
            return self.finding(ITEM, kind, reason.format(term=match.text), msg, match, lexfor(tag), positive=positive)

        last_cust, last_human = customers[-1], humans[-1]
        last_tags = cust_tags.get(last_cust.index, set())
        # A closing 好的谢谢 or a bare 嗯/哦 needs no reply; only the first kind accepts the outcome.
        closing = bool(last_tags & {"solved", "confirm", "ack"}) and "protest" not in last_tags
        accepts = bool(last_tags & {"solved", "confirm"}) and "protest" not in last_tags

        # 0: the customer's last message got no human reply (a closing 好的谢谢 or 嗯 needs none).
        if last_cust.index > last_human.index and not closing:
            return [self._m(0, 0.75, "顾客最后的消息没有得到人工回复，问题没有解决", [
                self.finding(ITEM, "unanswered", "顾客最后的消息没有人工回复", last_cust, positive=False)])]

        fixes = by_tag.get("done", []) + by_tag.get("concrete", [])
        last_fix = max((m.index for m, _ in fixes), default=-1)
        protests = [(m, x) for m, x in by_tag.get("protest", []) if m.index > last_fix]
        if protests:
            p_msg, p_match = protests[-1]
            settled_after = any(i > p_msg.index and ({"solved", "confirm"} & t) and "protest" not in t
                                for i, t in cust_tags.items())
            if not settled_after:
                return [self._m(0, 0.7, f"顾客到最后仍不满意：“{p_match.text}”", [self.finding(
                    ITEM, "protest", "顾客在客服最后一次处理之后仍在抱怨：“{}”".format(p_match.text),
                    p_msg, p_match, cust, positive=False)])]

        first_day = _date(customers[0], self.tz)
        if "done" in by_tag:
            msg, match = by_tag["done"][-1]
            f = hit_finding("done", "resolved", "客服说明问题已解决：“{term}”", True)
            if first_day is None or _date(msg, self.tz) is None:
                return [self._m(2, 0.6, f"客服说明问题已解决：“{match.text}”（没有时间戳，无法核对是否当天）", [f])]
            if _date(msg, self.tz) == first_day:
                return [self._m(2, 0.75, f"当天解决：客服说明“{match.text}”，顾客没有再抱怨", [f])]
            agreed = [m for m, _ in by_tag.get("concrete", []) if _date(m, self.tz) == first_day]
            if agreed:
                return [self._m(2, 0.7, f"第一天约定了下次联系时间，之后客服说明“{match.text}”", [f])]
            return [self._m(1, 0.6, f"问题在 {_date(msg, self.tz)} 才解决，第一天没有约定下次沟通时间", [f])]
        if "concrete" in by_tag:
            f = hit_finding("concrete", "next_contact", "客服约定了下次联系时间：“{term}”", True)
            return [self._m(2, 0.65, f.reason, [f])]
        if "solved" in last_tags or any("solved" in t for i, t in cust_tags.items() if i > last_fix):
            msg, match = next((m, x) for m, x in reversed(by_tag["solved"]))
            f = self.finding(ITEM, "customer_solved", f"顾客确认问题已解决：“{match.text}”", msg, match, cust)
            return [self._m(2, 0.7, f.reason, [f])]
        if "vague" in by_tag or "pending" in by_tag:
            tag = "vague" if "vague" in by_tag else "pending"
            f = hit_finding(tag, tag, "客服只作了模糊承诺或转交处理：“{term}”，没有约定具体时间", False)
            return [self._m(1, 0.6, f.reason, [f], review=True)]
        if "deflect" in by_tag:
            f = hit_finding("deflect", "deflect", "客服推脱：“{term}”", False)
            return [self._m(0, 0.6, f"客服推脱，问题没有解决：“{by_tag['deflect'][-1][1].text}”", [f])]
        if accepts:
            msg = last_cust
            f = self.finding(ITEM, "customer_accepts", "顾客最后表示接受：“{}”".format(msg.text[:20]), msg)
            return [self._m(2, 0.6, f"顾客最后表示接受（“{msg.text[:20]}”），没有再提问题", [f])]
        return [self._m(1, 0.4, "无法从对话判断问题是否当天解决，需人工确认", [], review=True)]

    def _m(self, value, confidence, reason, findings, review=False) -> Measurement:
        return Measurement(item=ITEM, value=value, confidence=confidence, reason=reason, findings=findings,
                           needs_review=review or value is None or value == 1)
