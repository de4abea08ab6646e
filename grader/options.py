"""Command-line options several `grader` commands share, in one module every cli module imports.

grader/cli.py, grader/review/cli.py and grader/calibration/cli.py import from here (never from
each other), so the option definitions have one owner and the modules no import circle.
"""
from __future__ import annotations

import argparse

from grader.dates import DayRange
from grader.settings import DEFAULT_OPTIONS, GradeSettings

DB_HELP = "数据库文件或地址（默认 $GRADER_DB 或 ./grader.db）"
LEXICONS_HELP = "词库文件夹（默认 $GRADER_LEXICONS，否则用安装包自带的 grader/lexicons）"


class ChineseFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's help with its own words in Chinese ("用法：") and the examples kept as written."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class ChineseParser(argparse.ArgumentParser):
    """An ArgumentParser whose help and errors a Chinese-speaking supervisor reads: "用法：", "选项",
    "-h 显示帮助"; errors exit 2 with "错误：" and the usage, as argparse does."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", ChineseFormatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示这段帮助并退出")

    def error(self, message):
        self.print_usage()
        self.exit(2, f"{self.prog}：错误：{message}\n")


def example(*lines: str) -> str:
    """The examples at the end of a command's --help."""
    return "例：\n" + "\n".join(f"  {line}" for line in lines)


def add_db_argument(parser) -> None:
    parser.add_argument("--db", help=DB_HELP)


def add_grading_arguments(parser, what: str = "评分") -> None:
    """--rubric, --lexicons, --service-hours: the settings a card is graded with (see GradeSettings)."""
    parser.add_argument("--rubric", help=f"{what}用的评分表 TOML 文件（默认：标准评分表）")
    parser.add_argument("--lexicons", help=f"{what}用的" + LEXICONS_HELP)
    parser.add_argument("--service-hours", default=DEFAULT_OPTIONS["service_hours"],
                        help=f"营业时间，计算响应时间用（按 --tz 的时钟；默认 {DEFAULT_OPTIONS['service_hours']}）")


def add_tz_argument(parser) -> None:
    parser.add_argument("--tz", default=DEFAULT_OPTIONS["tz"],
                        help=f"店铺所在时区（默认 {DEFAULT_OPTIONS['tz']}）：会话的日期按顾客第一条消息在这个时区的日期算，"
                             "营业时间和约定的回复时间也按它")


def settings_of(args) -> GradeSettings:
    """The process's grading settings from parsed options."""
    return GradeSettings.from_args(args)


def add_period_arguments(parser, month: bool = True) -> None:
    """The --date/--month/--since/--until/--tz options every command that covers days shares."""
    parser.add_argument("--date", help="某一天：YYYY-MM-DD、yesterday（昨天）或 today（今天），按顾客第一条消息的日期")
    if month:
        parser.add_argument("--month", help="某个月：YYYY-MM")
    parser.add_argument("--since", help="起始日期（含）")
    parser.add_argument("--until", help="结束日期（含）")
    add_tz_argument(parser)


def period_of(args) -> tuple[DayRange, str]:
    """The DayRange the options chose, and its name for file names and titles."""
    month = getattr(args, "month", None)
    days = DayRange.from_args(day=args.date, since=args.since, until=args.until, month=month, tz=args.tz)
    return days, month or days.describe()
