"""aftersale.promised_contact: promises like "10分钟内给您回复" kept by a later human agent message.

The promise wording is data (``lexicons/promise.txt``, tags window / time / soon / open); turning
"两个小时" or "明天上午" into a deadline is code (this module).

Each promise gets a deadline:
* window ("10分钟内", "半小时", "两个小时内", "24小时内", "3个工作日内" – working days are taken
  as calendar days): promise time + the duration;
* time ("明天上午", "今天下午5点前", "明天给您回电"): that moment on that day (上午 → 12:00,
  中午 → 14:00, 下午 → 18:00, 傍晚 → 19:00, 晚上/a bare day → end of that day); a clock time
  without 前 ("10点给您回电") gets ``promise_grace_seconds`` (default 300) of grace; a clock time
  already past today with no day word means tomorrow;
* soon ("稍后/一会儿/马上给您回复"): ``vague_promise_seconds`` (default 1800);
* open ("有结果通知您"): no deadline; any later human agent message keeps it.

Verdicts: kept – a human agent message after the promise, at or before the deadline, in which the
agent comes back (not the immediate answer to the customer's next words: "收到，请您明天保持电话
畅通" 25 s after the customer sends the order number keeps nothing; a message after the agent's own
or after ``promise_return_seconds`` (default 60) of quiet does); broken – no such message and the
transcript goes on past the deadline; unknown – the deadline lies beyond the
end of the transcript (or there are no timestamps); when the reader split the same buyer's next
chat off this one (`Transcript.next_chat_at`), the transcript counts as going on until then. value: 0 if any promise is broken, else None
if any is unknown, else 1, judged over the timed promises (window, time) only. A promise with no
stated time (soon "稍后给您回复", open "有消息通知您") is shown as a finding but is no timed promise
(the convention: 5 only when the agent promised contact within a stated time): with no timed
promise at all the item is not applicable (不适用: scored by the rubric's N/A policy, 0 by default),
unflagged; whether such a chat was left open is judged by same_day_resolution.
"""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat, evidence
from grader.detectors.findings import Measurement
from grader.transcript.model import Message

ITEM = "aftersale.promised_contact"
TIMED = ("window", "time")  # a stated time; soon/open promises are shown but are no timed promise
CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
DURATION = re.compile(r"([0-9]+|[零一二两三四五六七八九十百半]+)(个)?(半)?(分钟|小时|钟头|个工作日|工作日|天)")
UNIT_SECONDS = {"分钟": 60, "小时": 3600, "钟头": 3600, "天": 86400, "工作日": 86400, "个工作日": 86400}
DAY_WORD = re.compile(r"今天|今日|明天|明日|后天")
DAY_OFFSET = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
PERIOD = re.compile(r"早上|上午|中午|下午|傍晚|晚上")
PERIOD_END = {"早上": time(10), "上午": time(12), "中午": time(14), "下午": time(18), "傍晚": time(19),
              "晚上": time(23, 59, 59)}
CLOCK = re.compile(r"([0-9]{1,2}|[一二两三四五六七八九十]{1,3})(?:点|时|:|：)([0-9]{2}|半)?")
BEFORE = re.compile(r"之前|以前|前")


def cn_number(text: str) -> float | None:
    """Arabic or Chinese numerals: "10", "十", "十五", "二十四", "两", "半", "一百" -> a number."""
    if text.isdigit():
        return float(text)
    if text == "半":
        return 0.5
    total, current = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return float(total + current)


def duration_seconds(text: str) -> float | None:
    m = DURATION.search(text)
    if not m:
        return None
    n = cn_number(m.group(1))
    if n is None:
        return None
    if m.group(3):  # 一个半小时
        n += 0.5
    return n * UNIT_SECONDS[m.group(4)]


def time_deadline(text: str, said: datetime, grace: float, tz: ZoneInfo) -> datetime:
    """The deadline of a time-of-day promise said at `said`, on the shop's clock (`tz`, the run's --tz)."""
    local = said.astimezone(tz)
    day_m, period_m, clock_m = DAY_WORD.search(text), PERIOD.search(text), CLOCK.search(text)
    day = local.date() + timedelta(days=DAY_OFFSET[day_m.group(0)] if day_m else 0)
    if clock_m:
        hour = int(cn_number(clock_m.group(1)) or 0)
        minute = 30 if clock_m.group(2) == "半" else int(clock_m.group(2) or 0)
        period = period_m.group(0) if period_m else None
        if period in ("下午", "傍晚", "晚上") and hour < 12:
            hour += 12
        elif period == "中午" and hour < 6:
            hour += 12
        hour, minute = min(hour, 23), min(minute, 59)
        deadline = datetime.combine(day, time(hour, minute), tzinfo=tz)
        if not day_m and deadline <= local:
            deadline += timedelta(days=1)
        if not BEFORE.search(text[clock_m.end():clock_m.end() + 3]):
            deadline += timedelta(seconds=grace)
        return deadline
    end = PERIOD_END[period_m.group(0)] if period_m else time(23, 59, 59)
    return datetime.combine(day, end, tzinfo=tz)


def _fmt(seconds: float) -> str:
    s = int(round(seconds))
    if s < 3600:
        return f"{s // 60} 分 {s % 60} 秒" if s % 60 else f"{s // 60} 分钟"
    return f"{s / 3600:g} 小时" if s % 3600 == 0 or s % 1800 == 0 else f"{s // 3600} 小时 {s % 3600 // 60} 分"


@register
class PromisedContactDetector(Detector):
    name = "promised_contact"
    version = "5"  # 5: only stated-time promises are judged; 4: up to the buyer's next chat
    items = (ITEM,)
    lexicons = ("promise",)

    def __init__(self, lexicons, options=None):
        super().__init__(lexicons, options)
        self.vague_seconds = self.options["vague_promise_seconds"]
        self.grace = self.options["promise_grace_seconds"]
        self.comeback = self.options["promise_return_seconds"]
        self.tz = ZoneInfo(self.options["tz"])

    def detect(self, chat: Chat) -> list[Measurement]:
        lex = self.lex["promise"]
        by_message: dict[int, tuple] = {}
        for msg, match in chat.find(lex):  # one promise per message: the first timed one, else the first
            kept = by_message.get(msg.index)
            if kept is None or (kept[1].term.tag not in TIMED and match.term.tag in TIMED):
                by_message[msg.index] = (msg, match)
        promises = [by_message[i] for i in sorted(by_message)]
        if not promises:
            return [Measurement(item=ITEM, value=0, confidence=0.8, not_applicable=True,
                                reason="客服没有作出限时联系的承诺")]

        msgs = chat.messages
        last_time = max((m.time for m in msgs if m.time is not None), default=None)
        returned = chat.transcript.next_chat_at  # the buyer's next chat: no contact came before it
        if returned is not None and (last_time is None or returned > last_time):
            last_time = returned
        findings = []
        for msg, match in promises:
            tag = match.term.tag or "open"
            later = [m for m in chat.human_agent if m.index > msg.index and self._comes_back(msgs, m)]
            verdict, reason, keeper = self._judge(tag, msg, match, later, last_time)
            f = self.finding(ITEM, f"promise_{verdict}", reason, msg, match, lex,
                             positive=verdict == "kept", verdict=verdict, promise=tag)
            if keeper is not None:
                f.evidence.append(evidence(keeper))
            findings.append(f)

        timed = [f for f in findings if f.data["promise"] in TIMED]
        if not timed:  # 稍后给您回复 / 有消息通知您: no stated time, so no timed promise to keep
            said = "”“".join(match.text for _, match in promises)
            return [Measurement(item=ITEM, value=0, confidence=0.8, not_applicable=True, findings=findings,
                                reason=f"客服只说了“{said}”，没有说定时限，不算限时联系的承诺")]
        verdicts = [f.data["verdict"] for f in timed]
        if "broken" in verdicts:
            value, reason = 0, next(f.reason for f in timed if f.data["verdict"] == "broken")
        elif "unknown" in verdicts:
            value, reason = None, next(f.reason for f in timed if f.data["verdict"] == "unknown")
        else:
            value = 1
            reason = timed[0].reason if len(timed) == 1 else f"客服作出的 {len(timed)} 个限时回复承诺都按时兑现"
        confidence = 0.3 if value is None else 0.8
        return [Measurement(item=ITEM, value=value, confidence=confidence,
                            needs_review=value is None, reason=reason, findings=findings)]

    def _comes_back(self, msgs: list[Message], m: Message) -> bool:
        """Whether agent message `m` returns to the customer rather than answering their last words."""
        prev = next((p for p in reversed(msgs[:m.index]) if p.role != "system"), None)
        if prev is None or prev.role != "customer" or prev.time is None or m.time is None:
            return True
        return (m.time - prev.time).total_seconds() >= self.comeback

    def _judge(self, tag: str, msg: Message, match, later: list[Message], last_time: datetime | None):
        said = match.text
        if tag == "open":
            if later:
                return "kept", f"客服承诺“{said}”，之后又主动回复了顾客", later[0]
            return "unknown", "客服承诺“有结果通知”，但会话记录里之后没有客服消息，承诺时限在会话记录之外，无法核实", None
        if msg.time is None:
            return "unknown", f"客服承诺“{said}”，但聊天记录没有时间戳，无法核实是否按时兑现", None
        if tag == "window":
            seconds = duration_seconds(said)
            deadline = msg.time + timedelta(seconds=seconds) if seconds else None
        elif tag == "time":
            deadline = time_deadline(said, msg.time, self.grace, self.tz)
        else:
            deadline = msg.time + timedelta(seconds=self.vague_seconds)
        if deadline is None:
            return "unknown", f"客服承诺“{said}”，但没能读出时限，需人工核实", None
        for m in later:
            if m.time is not None and msg.time <= m.time <= deadline:
                waited = (m.time - msg.time).total_seconds()
                return "kept", f"客服承诺“{said}”，{_fmt(waited)}后按时回复了顾客", m
        if last_time is not None and last_time > deadline:
            after = next((m for m in later if m.time is not None and m.time > deadline), None)
            if after is not None:
                waited = (after.time - msg.time).total_seconds()
                return "broken", f"客服承诺“{said}”，但 {_fmt(waited)}后才再次回复，没有按时兑现", after
            return "broken", f"客服承诺“{said}”，到时限过后仍没有客服联系顾客", None
        return "unknown", f"客服承诺“{said}”，承诺时限在会话记录之外，无法核实", None
