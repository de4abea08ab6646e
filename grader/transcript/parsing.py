"""Helpers every format parser shares: times, role words, system-notice kinds, fast messages.

Parsers check their input themselves and build messages with `Message.model_construct`
(no per-message pydantic validation), so times are made tz-aware here.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date as ddate, datetime, time as dtime, timedelta, timezone
from importlib import resources

from grader.construct import constructor
from grader.errors import ConfigError
from grader.transcript.content import content_kind
from grader.transcript.model import SHANGHAI, Message
from grader.transcript.robots import robot_marker, robot_role, robot_sender

# ---------------------------------------------------------------- times

_TIME = re.compile(
    r"\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+|(?=$))"
    r"(?:(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)


class BadTime(ValueError):
    """A time value that is missing or cannot be understood; str() is a reason for people."""


def parse_time(value: object) -> datetime:
    """A tz-aware datetime from what exports write: text, epoch seconds/ms, or datetime.

    Naive times are Beijing time (Asia/Shanghai).
    Raises BadTime for a value that is no time.
    """
    if value is None or value == "":
        raise BadTime("没有时间 (no time)")
    if isinstance(value, datetime):
        return check_time(value if value.tzinfo else value.replace(tzinfo=SHANGHAI), value)
    if isinstance(value, bool):
        raise BadTime(f"时间无法解析：{value!r} (unparseable time)")
    if isinstance(value, (int, float)):
        return _epoch(value)
    if not isinstance(value, str):
        raise BadTime(f"时间无法解析：{value!r} (unparseable time)")
    try:
        parsed = datetime.fromisoformat(value)  # fast path: "2026-11-22 10:00:01", ISO 8601
    except ValueError:
        parsed = _parse_loose(value)
    return check_time(parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI), value)


# Epoch values beyond these are not 2000–2099 in seconds or milliseconds: refused before any
# arithmetic, so a 400-digit integer or 1e300 never overflows a float or a datetime.
_EPOCH_MS_LIMIT = 10 ** 14


def _epoch(value: int | float) -> datetime:
    """Epoch seconds, or milliseconds when above 1e11, as a time in 2000–2099; BadTime otherwise."""
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
    if isinstance(value, float) and not math.isfinite(value) or not -_EPOCH_MS_LIMIT < value < _EPOCH_MS_LIMIT:
        raise BadTime(f"时间超出合理范围（应在 2000–2099 年之间）：{shown} (time out of range)")
    seconds = value / 1000 if value > 1e11 else value
    try:
        moment = datetime.fromtimestamp(seconds, SHANGHAI)
    except (OverflowError, OSError, ValueError):
        raise BadTime(f"时间无法解析：{shown} (unparseable time)") from None
    return check_time(moment, value)


_CLOCK_WITHOUT_SECONDS = re.compile(r"(?:^|[\sT])\d{1,2}:\d{2}(?![:\d])")


def time_resolution(value: object) -> int:
    """60 for a time written without seconds ("2023/1/5 9:03", an Excel re-save), else 1."""
    return 60 if isinstance(value, str) and _CLOCK_WITHOUT_SECONDS.search(value) else 1


_CLOCK_ONLY = re.compile(r"^\s*\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?\s*$")


def join_date_time(date: object, clock: object) -> object:
    """A date column and a time-of-day column as one value for `parse_time` ("2023-03-08" and
    "20:11:05" → "2023-03-08 20:11:05"); `clock` as it is when it already holds a date."""
    if isinstance(clock, dtime):  # a time-of-day cell of a workbook
        clock = clock.strftime("%H:%M:%S")
    if not isinstance(clock, str) or not _CLOCK_ONLY.match(clock) or date in (None, ""):
        return clock
    if isinstance(date, (datetime, ddate)):
        date = date.strftime("%Y-%m-%d")
    return f"{str(date).strip()} {clock.strip()}"


# Chat exports of Chinese shops are from this century; anything outside is a broken value
# (and years 1 or 9999 with an offset cannot even be converted to another time zone).
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


def check_time(moment: datetime, value: object = None) -> datetime:
    """`moment` (tz-aware) if it lies in 2000–2099; BadTime otherwise, naming `value`."""
    try:
        ok = EARLIEST <= moment < LATEST
    except OverflowError:
        ok = False
    if not ok:
        shown = moment if value is None else value
        raise BadTime(f"时间超出合理范围（应在 2000–2099 年之间）：{shown!r} (time out of range)")
    return moment


def _parse_loose(value: str) -> datetime:
    text = value.strip()
    if text.isdigit() and len(text) in (10, 13):
        return parse_time(int(text))
    m = _TIME.match(text)
    if not m:
        raise BadTime(f"时间无法解析：{value!r} (unparseable time)")
    y, mo, d, h, mi, s, frac, tz = m.groups()
    tzinfo = None
    try:
        if tz == "Z":
            tzinfo = timezone.utc
        elif tz:
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            tzinfo = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                        int((frac or "0").ljust(6, "0")), tzinfo=tzinfo)
    except ValueError:
        raise BadTime(f"时间无法解析：{value!r} (unparseable time)") from None


# ---------------------------------------------------------------- role words

ROLE_WORDS = {
    "customer": "customer", "buyer": "customer", "客户": "customer", "买家": "customer",
    "顾客": "customer", "用户": "customer",
    "agent": "agent", "seller": "agent", "客服": "agent", "卖家": "agent", "商家": "agent",
    "system": "system", "系统": "system",
}

TRUE_WORDS = {"是", "true", "1", "yes", "y", "t", "对", "自动", "自动回复"}
FALSE_WORDS = {"否", "false", "0", "no", "n", "f", "", "不是", "人工"}


def role_word(value: object) -> str | None:
    """customer/agent/system for a role word in English or Chinese, None if unknown or empty.
    A robot's role word (机器人, 智能客服, 店小蜜: `robots.txt`) is an agent's: see `robot_role`."""
    if value is None:
        return None
    word = str(value).strip().lower()
    found = ROLE_WORDS.get(word)
    if found is None and word and robot_role(word):
        return "agent"
    return found


def yes_no(value: object) -> bool:
    """是/否/true/false/1/0 (and empty = no). Raises ValueError for anything else."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"自动回复的值看不懂 (auto_reply must be 是/否/true/false/1/0): {value!r}")


# ---------------------------------------------------------------- system notices


@dataclass(frozen=True)
class Notice:
    kind: str
    pattern: re.Pattern[str]


KINDS = ("transfer", "recall", "order", "notice", "warning", "closed")


def load_notices(text: str, source: str = "qianniu_notices.txt") -> list[Notice]:
    """Parse a notice-pattern file: `KIND REGEX` per line, # comments.
    Raises ConfigError for a line that is no valid regular expression."""
    notices = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or parts[0] not in KINDS:
            raise ConfigError(
                f"{source}:{number}: expected 'KIND REGEX' with KIND one of {', '.join(KINDS)}, "
                f"got {raw!r}")
        try:
            pattern = re.compile(parts[1].strip())
        except re.error as exc:
            raise ConfigError(f"{source}:{number}: bad regular expression: {exc}") from None
        notices.append(Notice(parts[0], pattern))
    return notices


NOTICES: list[Notice] = load_notices(
    resources.files("grader.transcript").joinpath("qianniu_notices.txt").read_text("utf-8"))

# Cheap pre-check: every notice line holds one of these characters (keeps regexes off most lines).
_NOTICE_HINT = re.compile(r"转|撤回|已|原因|来自|浏览|订单|交易|系统|超时|结束|关闭")


def match_notice(line: str, notices: list[Notice] | None = None) -> tuple[Notice, re.Match] | None:
    """The notice pattern that matches the whole (stripped) line, if any."""
    text = line.strip()
    if not text or (notices is None and not _NOTICE_HINT.search(text)):
        return None
    for notice in NOTICES if notices is None else notices:
        m = notice.pattern.fullmatch(text)
        if m:
            return notice, m
    return None


def system_kind(text: str) -> str:
    """The kind of a system message: transfer, recall, order, or notice."""
    found = match_notice(text)
    return found[0].kind if found else "notice"


def shop_of(*accounts: str | None) -> str | None:
    """The shop of a sub-account "店铺名:子账号" (Taobao/Qianniu style), if any account has one."""
    for account in accounts:
        if account:
            head, sep, _ = account.replace("：", ":").partition(":")
            if sep and head.strip():
                return head.strip()
    return None


# ---------------------------------------------------------------- messages

AUTO_PREFIX = re.compile(r"^\s*(?:\[自动回复\]|【自动回复】)\s*")


def message(*, time: datetime | None, sender: str, role: str, text: str, auto_reply: bool = False,
            kind: str = "text", source_file: str | None, source_line: int | None,
            robot: str | None = None) -> Message:
    """A Message without validation: the caller has checked role and made `time` tz-aware.

    A customer or agent message without words gets the kind of what it holds (image, emoticon,
    card: `content.content_kind`) unless the export named one. An agent message from a robot's
    account or opening with a robot's marker (`robots.txt`) is a robot's (`robot`, and
    `auto_reply`), whatever the export said; the marker is removed from the text."""
    if role == "agent":
        if robot is None:
            robot = robot_sender(sender)
        marked = robot_marker(text)
        if marked is not None:
            robot = robot or marked[0]
            text = marked[1]
        auto_reply = auto_reply or robot is not None
    else:
        robot = None
    if kind == "text" and role != "system":
        kind = content_kind(text)
    return _construct({
        "index": 0, "time": time, "sender": sender, "role": role, "text": text,
        "auto_reply": auto_reply, "kind": kind, "robot": robot, "colleague": False, "source_file": source_file,
        "source_line": source_line})


_construct = constructor(Message, {
    "index": 0, "time": None, "sender": "s", "role": "agent", "text": "t", "auto_reply": False, "kind": "text",
    "robot": None, "colleague": False, "source_file": None, "source_line": None})
