"""Which chats a run covers: by the local day of the customer's first message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from grader.errors import GraderError
from grader.transcript.model import SHANGHAI, Transcript


def day_of(moment: datetime | None, tz: ZoneInfo = SHANGHAI) -> date | None:
    """The local date in `tz` of an aware moment; None for None. The one notion of "the day" in grader:
    a chat's day is day_of(its first customer message's time, the run's --tz)."""
    return moment.astimezone(tz).date() if moment is not None else None


def utc_bounds(since: str | date | None, until: str | date | None,
               tz: ZoneInfo = SHANGHAI) -> tuple[datetime | None, datetime | None]:
    """The instants [start, end) covering local days since..until (inclusive) in `tz`; None = open."""
    def start_of(d):
        d = date.fromisoformat(d) if isinstance(d, str) else d
        return datetime.combine(d, time(0), tzinfo=tz)
    lo = start_of(since) if since else None
    hi = start_of((date.fromisoformat(until) if isinstance(until, str) else until) + timedelta(days=1)) if until else None
    return lo, hi


def parse_day(text: str, tz: ZoneInfo = SHANGHAI, today: date | None = None) -> date:
    """YYYY-MM-DD, today/今天 or yesterday/昨天 as a day in `tz`. Raises GraderError for other text."""
    today = today or datetime.now(tz).date()
    words = {"today": 0, "今天": 0, "yesterday": 1, "昨天": 1}
    if text in words:
        return today - timedelta(days=words[text])
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise GraderError(f"cannot read date {text!r}: use YYYY-MM-DD, 'yesterday' or 'today'") from None


def month_range(text: str) -> tuple[date, date]:
    """(first, last) day of a YYYY-MM month. Raises GraderError for other text."""
    try:
        first = date.fromisoformat(f"{text}-01")
    except ValueError:
        raise GraderError(f"cannot read month {text!r}: use YYYY-MM") from None
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, nxt - timedelta(days=1)


@dataclass(frozen=True)
class DayRange:
    """Inclusive range of local days; None on a side means open."""

    since: date | None = None
    until: date | None = None
    tz: ZoneInfo = SHANGHAI

    @classmethod
    def from_args(cls, day: str | None = None, since: str | None = None, until: str | None = None,
                  month: str | None = None, tz: str = "Asia/Shanghai", today: date | None = None) -> "DayRange":
        zone = ZoneInfo(tz)
        if month:
            first, last = month_range(month)
            return cls(first, last, zone)
        if day:
            d = parse_day(day, zone, today)
            return cls(d, d, zone)
        return cls(parse_day(since, zone, today) if since else None,
                   parse_day(until, zone, today) if until else None, zone)

    def day_of(self, transcript: Transcript) -> date | None:
        return day_of(transcript.started_at, self.tz)

    def contains(self, transcript: Transcript) -> bool:
        if self.since is None and self.until is None:
            return True
        d = self.day_of(transcript)
        if d is None:
            return False
        return (self.since is None or d >= self.since) and (self.until is None or d <= self.until)

    def iso_bounds(self) -> tuple[str | None, str | None]:
        return (self.since.isoformat() if self.since else None, self.until.isoformat() if self.until else None)

    def describe(self) -> str:
        if self.since is None and self.until is None:
            return "all"
        if self.since == self.until:
            return self.since.isoformat()
        return f"{self.since or '…'}..{self.until or '…'}"
