"""Command-line options several `grader` commands share, in one module every cli module imports.

grader/cli.py, grader/review/cli.py and grader/calibration/cli.py import from here (never from
each other), so the option definitions have one owner and the modules no import circle.
"""
from __future__ import annotations

from grader.dates import DayRange
from grader.settings import DEFAULT_OPTIONS, GradeSettings

DB_HELP = "database file or URL (default $GRADER_DB or ./grader.db)"


def add_db_argument(parser) -> None:
    parser.add_argument("--db", help=DB_HELP)


def add_grading_arguments(parser, what: str = "grading") -> None:
    """--rubric, --lexicons, --service-hours: the settings a card is graded with (see GradeSettings)."""
    parser.add_argument("--rubric", help=f"a rubric TOML file for {what} (default: the standard rubric)")
    parser.add_argument("--lexicons", help=f"lexicon folder for {what} (default $GRADER_LEXICONS or ./lexicons)")
    parser.add_argument("--service-hours", default=DEFAULT_OPTIONS["service_hours"],
                        help=f"service hours for response times (default {DEFAULT_OPTIONS['service_hours']})")


def add_tz_argument(parser) -> None:
    parser.add_argument("--tz", default=DEFAULT_OPTIONS["tz"],
                        help=f"time zone of days (default {DEFAULT_OPTIONS['tz']}): a chat's day is its first "
                             "customer message's local date there")


def settings_of(args) -> GradeSettings:
    """The process's grading settings from parsed options."""
    return GradeSettings.from_args(args)


def add_period_arguments(parser, month: bool = True) -> None:
    """The --date/--month/--since/--until/--tz options every command that covers days shares."""
    parser.add_argument("--date", help="one day: YYYY-MM-DD, yesterday or today (by the customer's first message)")
    if month:
        parser.add_argument("--month", help="a month: YYYY-MM")
    parser.add_argument("--since", help="first day (inclusive)")
    parser.add_argument("--until", help="last day (inclusive)")
    add_tz_argument(parser)


def period_of(args) -> tuple[DayRange, str]:
    """The DayRange the options chose, and its name for file names and titles."""
    month = getattr(args, "month", None)
    days = DayRange.from_args(day=args.date, since=args.since, until=args.until, month=month, tz=args.tz)
    return days, month or days.describe()
