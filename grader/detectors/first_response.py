"""first_response: seconds from the customer's first message to the first reply written by a person.

Rules (what a supervisor should know):

* Only human agent messages answer (auto-replies 自动回复 and system messages never do). An
  auto-reply that came first is reported as a note, not counted.
* A customer *turn* starts at the customer's first message not yet answered and ends at the next
  human agent message; later customer messages of the same turn do not restart the clock.
* Service hours (option ``service_hours``, default ``"08:00-23:00"``, on the shop's clock ``tz``
  (the run's --tz, default Asia/Shanghai); a window such
  as ``"20:00-02:00"`` wraps past midnight, ``"00:00-24:00"`` means always open):
  - a reply given *inside* service hours is timed in service-hour seconds only, so a message sent
    at 02:00 and answered at 08:00:05 waited 5 s, and one sent at 22:59:55 and answered at
    08:00:03 the next morning waited 8 s;
  - a reply given *outside* service hours (a night agent on duty) is timed in real seconds: a
    message at 02:00:00 answered at 02:00:03 waited 3 s, one at 23:59:50 answered at 00:00:05
    waited 15 s. Someone was working, so the customer's real wait is what counts.
* The rubric's bands are inclusive upper bounds (10 s → 10 分, 20 s → 6 分, 25 s → 3 分, 26 s → 0 分);
  the detector only measures, the rubric scores.
* Times known only to the minute (``Transcript.time_resolution`` 60, e.g. an Excel re-save): the
  wait is a range (both ends up to 59 s off: 9:03 → 9:03 is 0–59 s), the measurement's `value_range`.
  When the rubric's bands (the shop's rubric, `grader.rubric.scoring`) give the two ends different
  scores, the item is flagged for review with the range.

Metrics: first_response_seconds, avg_response_seconds, max_wait_seconds, replied_within_30s_share,
unanswered_turns, customer_turns.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat, evidence
from grader.detectors.findings import Finding, Measurement
from grader.detectors.options import DEFAULT_OPTIONS, parse_service_hours
from grader.transcript.model import Message

ITEM = "first_response"
DAY = 24 * 3600


class ServiceHours:
    """Which moments count as service time, and how many service seconds lie between two moments.

    `spec` as "08:00-23:00" on the clock of `tz` (a ZoneInfo or an IANA name; default the options'
    default, Asia/Shanghai). Raises ConfigError for hours it cannot read."""

    def __init__(self, spec: str = DEFAULT_OPTIONS["service_hours"], tz: ZoneInfo | str = DEFAULT_OPTIONS["tz"]):
        self.spec = spec
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self.open, self.close = parse_service_hours(spec)
        self.always = self.open == self.close or (self.open == 0 and self.close == DAY)

    def _intervals(self, day_start: datetime) -> list[tuple[datetime, datetime]]:
        at = lambda s: day_start + timedelta(seconds=s)  # noqa: E731
        if self.open < self.close:
            return [(at(self.open), at(self.close))]
        return [(day_start, at(self.close)), (at(self.open), at(DAY))]  # wraps past midnight

    def is_open(self, moment: datetime) -> bool:
        if self.always:
            return True
        local = moment.astimezone(self.tz)
        s = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        if self.open < self.close:
            return self.open <= s < self.close
        return s >= self.open or s < self.close

    def opening(self, moment: datetime) -> datetime:
        """`moment` when the shop is open then, else the next opening time after it (local, in `tz`):
        a message sent at 23:40 with hours 08:00-23:00 is served from 08:00 the next day."""
        if self.always or self.is_open(moment):
            return moment
        local = moment.astimezone(self.tz)
        today = datetime.combine(local.date(), time(0), tzinfo=self.tz) + timedelta(seconds=self.open)
        return today if today > local else today + timedelta(days=1)

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Service-hour seconds in [start, end]."""
        if end <= start:
            return 0.0
        if self.always:
            return (end - start).total_seconds()
        start_l, end_l = start.astimezone(self.tz), end.astimezone(self.tz)
        day = datetime.combine(start_l.date(), time(0), tzinfo=self.tz)
        total = 0.0
        while day <= end_l:
            for a, b in self._intervals(day):
                lo, hi = max(a, start_l), min(b, end_l)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day = datetime.combine(day.date() + timedelta(days=1), time(0), tzinfo=self.tz)
        return total

    def wait(self, asked: datetime, answered: datetime) -> float:
        """The wait the shop is judged on (see the module docstring)."""
        if not self.is_open(answered):
            return max(0.0, (answered - asked).total_seconds())
        return self.seconds_between(asked, answered)


def _fmt(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s} 秒"
    if s < 3600:
        return f"{s // 60} 分 {s % 60} 秒"
    return f"{s // 3600} 小时 {s % 3600 // 60} 分"


class Turn:
    __slots__ = ("asked", "answer", "seconds", "auto_first")

    def __init__(self, asked: Message, answer: Message | None, auto_first: Message | None):
        self.asked = asked
        self.answer = answer
        self.auto_first = auto_first
        self.seconds: float | None = None


def customer_turns(messages: list[Message], served_from: int | None = None,
                   handed_over_at: int | None = None) -> list[Turn]:
    """Customer turns in order: first unanswered customer message -> next human agent message.

    One agent's part of a handed-over chat (transcript/transfers.py): from `served_from` (the
    transfer notice's index) on, the clock of a customer already there starting at the notice;
    a question still open at `handed_over_at` is the next agent's, not an unanswered turn."""
    turns: list[Turn] = []
    pending: Message | None = None
    auto_first: Message | None = None
    if served_from is not None and served_from < len(messages):
        if any(m.role == "customer" for m in messages[:served_from]):
            pending = messages[served_from]
        messages = messages[served_from + 1:]
    for m in messages:
        if m.role == "customer":
            if pending is None:
                pending, auto_first = m, None
        elif m.is_human_agent:
            if pending is not None:
                turns.append(Turn(pending, m, auto_first))
                pending = None
        elif m.role == "agent" and pending is not None and auto_first is None:
            auto_first = m  # an auto-reply: noted, never an answer
    if pending is not None and (handed_over_at is None or pending.index > handed_over_at):
        turns.append(Turn(pending, None, auto_first))
    return turns


@register
class FirstResponseDetector(Detector):
    name = "first_response"
    version = "2"  # 2: minute-precise times give a range and flag an undecided score; a part's clock from its transfer
    items = (ITEM,)

    def __init__(self, lexicons, options=None):
        super().__init__(lexicons, options)
        self.hours = ServiceHours(self.options["service_hours"], self.options["tz"])
        self.slow_after = self.options["slow_reply_seconds"]
        self.good_within = self.options["first_response_ok_seconds"]

    def detect(self, chat: Chat) -> list[Measurement]:
        msgs = chat.messages
        part = chat.transcript
        turns = customer_turns(msgs, part.served_from, part.handed_over_at)
        metrics: dict[str, float | int | None] = {
            "first_response_seconds": None, "avg_response_seconds": None, "max_wait_seconds": None,
            "replied_within_30s_share": None, "unanswered_turns": sum(1 for t in turns if t.answer is None),
            "customer_turns": len(turns),
        }
        if not turns:
            reason = ("会话由客服发起，顾客没有发过消息，无法计算首次响应时间" if chat.human_agent or msgs
                      else "会话中没有消息，无法计算首次响应时间")
            return [Measurement(item=ITEM, value=None, confidence=0.0, needs_review=True, reason=reason,
                                metrics=metrics)]
        self._time(turns, metrics)
        findings = self._side_findings(turns)
        unmeasured = self._unmeasured(msgs, turns[0], findings, metrics)
        if unmeasured is not None:
            return [unmeasured]
        return [self._measured(chat, turns[0], findings, metrics)]

    def _time(self, turns: list[Turn], metrics: dict) -> None:
        """Each answered turn's wait (service hours), and the average, longest and share within 30 s."""
        for t in turns:
            if t.answer is not None and t.asked.time is not None and t.answer.time is not None:
                t.seconds = self.hours.wait(t.asked.time, t.answer.time)
        waits = [t.seconds for t in turns if t.seconds is not None]
        if waits:
            metrics["avg_response_seconds"] = round(sum(waits) / len(waits), 1)
            metrics["max_wait_seconds"] = round(max(waits), 1)
            metrics["replied_within_30s_share"] = round(sum(1 for w in waits if w <= self.slow_after) / len(waits), 3)

    def _side_findings(self, turns: list[Turn]) -> list[Finding]:
        """An auto-reply or robot that answered first, and the later turns answered slowly."""
        findings: list[Finding] = []
        first = turns[0]
        if first.auto_first is not None:
            who = "机器人（店小蜜、智能客服等）" if first.auto_first.robot else "自动回复"
            findings.append(self.finding(
                ITEM, "auto_reply_first", f"最先回复的是{who}，不算人工响应，计时到人工回复为止",
                first.auto_first, positive=False))
        for t in turns[1:]:
            if t.seconds is not None and t.seconds > self.slow_after:
                findings.append(self._pair(
                    "slow_reply", f"顾客等了 {_fmt(t.seconds)} 才得到人工回复（超过 {int(self.slow_after)} 秒）",
                    t, positive=False))
        return findings

    def _unmeasured(self, msgs: list[Message], first: Turn, findings: list[Finding], metrics: dict
                    ) -> Measurement | None:
        """The measurement when the first response cannot be timed (no times, never answered), else None."""
        if all(m.time is None for m in msgs):
            return Measurement(item=ITEM, value=None, confidence=0.0, needs_review=True, findings=findings,
                               reason="聊天记录没有时间戳，无法计算首次响应时间", metrics=metrics)
        if first.answer is None:
            findings.insert(0, self.finding(ITEM, "never_answered", "顾客的第一条消息没有人工回复",
                                             first.asked, positive=False))
            return Measurement(item=ITEM, value=None, confidence=0.5, needs_review=True, findings=findings,
                               reason="顾客一直没有等到人工回复", metrics=metrics)
        if first.seconds is None:
            findings.insert(0, self._pair("first_response", "顾客的第一条消息或首次人工回复缺少时间，无法计时", first,
                                          positive=False))
            return Measurement(item=ITEM, value=None, confidence=0.0, needs_review=True, findings=findings,
                               reason="首次响应的消息缺少时间戳，无法计算首次响应时间", metrics=metrics)
        return None

    def _measured(self, chat: Chat, first: Turn, findings: list[Finding], metrics: dict) -> Measurement:
        """The first response timed: seconds, the reason, and the range when times are to the minute."""
        seconds = first.seconds
        metrics["first_response_seconds"] = round(seconds, 1)
        real = (first.answer.time - first.asked.time).total_seconds()
        reason = (f"转接给本客服后 {_fmt(seconds)} 作出首次回复" if chat.transcript.served_from is not None
                  else f"顾客第一条消息后 {_fmt(seconds)} 得到首次人工回复")
        if abs(real - seconds) >= 1:
            reason += f"（按营业时间 {self.hours.spec} 计，实际相隔 {_fmt(real)}）"
        kind = "slow_first_response" if seconds > self.slow_after else "first_response"
        findings.insert(0, self._pair(kind, reason, first, positive=seconds <= self.good_within))
        step = chat.transcript.time_resolution
        value_range = None
        if step > 1:
            value_range = (max(0.0, seconds - (step - 1)), seconds + step - 1)  # the rubric (the shop's) decides
            reason += f"；导出的时间只精确到分钟，实际首次响应在 {_fmt(value_range[0])}–{_fmt(value_range[1])} 之间"
        return Measurement(item=ITEM, value=round(seconds, 1), confidence=0.95, needs_review=False,
                           reason=reason, findings=findings, metrics=metrics, value_range=value_range)

    def _pair(self, kind: str, reason: str, turn: Turn, positive: bool) -> Finding:
        """A finding whose evidence is the customer's message and the human reply."""
        f = self.finding(ITEM, kind, reason, turn.asked, positive=positive,
                         seconds=None if turn.seconds is None else round(turn.seconds, 1))
        if turn.answer is not None:
            f.evidence.append(evidence(turn.answer))
        return f
