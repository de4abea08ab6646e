"""Which chats a run covers: by the local day of the customer's first message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from grader.errors import GraderError
from grader.transcript.model import SHANGHAI, Transcript


def parse_day(text: str, tz: ZoneInfo = SHANGHAI, today: date | None = None) -> date:
    today = today or datetime.now(tz).date()
    words = {"today": 0, "今天": 0, "yesterday": 1, "昨天": 1}
    if text in words:
        return today - timedelta(days=words[text])
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise GraderError(f"cannot read date {text!r}: use YYYY-MM-DD, 'yesterday' or 'today'") from None


def month_range(text: str) -> tuple[date, date]:
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
        started = transcript.started_at
        return started.astimezone(self.tz).date() if started else None

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


def add_period_arguments(parser, month: bool = True) -> None:
    """The --date/--month/--since/--until/--tz options every command that covers days shares."""
    parser.add_argument("--date", help="one day: YYYY-MM-DD, yesterday or today (by the customer's first message)")
    if month:
        parser.add_argument("--month", help="a month: YYYY-MM")
    parser.add_argument("--since", help="first day (inclusive)")
    parser.add_argument("--until", help="last day (inclusive)")
    parser.add_argument("--tz", default="Asia/Shanghai", help="time zone of days (default Asia/Shanghai)")


def period_of(args) -> tuple[DayRange, str]:
    """The DayRange the options chose, and its name for file names and titles."""
    month = getattr(args, "month", None)
    days = DayRange.from_args(day=args.date, since=args.since, until=args.until, month=month, tz=args.tz)
    return days, month or days.describe()
