"""What supervisors read: the one Jinja environment and the display helpers of every page and report.

The review app, the team report, the month report and the calibration page all render through
`environment()`; labels (platforms, speakers, account roles, dispute states, override sources,
scenarios) and formats (percent, number, 是/否, local time) have their one owner here.

Template names: the review app's pages by name ("queue.html"); the reports' with their folder
("report/month.html", "calibration/calibration_page.html").
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, pass_context, select_autoescape

from grader.rubric import SCENARIO_LABELS

_ROOT = Path(__file__).parent
PLATFORM_LABELS = {"taobao": "淘宝", "jd": "京东", "pdd": "拼多多", "douyin": "抖音", "other": "其他", "unknown": "未知"}
SPEAKER_LABELS = {"customer": "顾客", "agent": "客服", "system": "系统"}
ACCOUNT_ROLE_LABELS = {"supervisor": "主管", "agent": "客服"}
DISPUTE_STATUS_LABELS = {"open": "待处理", "accepted": "已接受", "rejected": "已驳回"}
OVERRIDE_SOURCE_LABELS = {"web": "网页", "cli": "命令行", "dispute": "申诉", "bulk": "批量接受"}
YES, NO = "是", "否"
NOT_APPLICABLE = "不适用"


def platform_label(code: str | None) -> str:
    """"pdd" -> "拼多多"; an unknown code is shown as it is ("" for none)."""
    return PLATFORM_LABELS.get(code or "", code or "")


def yes_no(value) -> str:
    """True -> 是, False -> 否, None -> ""."""
    return "" if value is None else YES if value else NO


def pct(value) -> str:
    """0.123 -> "12.3%"; None -> "—"."""
    return "—" if value is None else f"{value:.1%}"


def num(value) -> str:
    """A number without trailing zeros (2.0 -> "2"); None -> "—"."""
    return "—" if value is None else f"{value:g}"


def lexicon_title(lexicon) -> str:
    """A lexicon's name for the supervisor: its description's first sentence ("礼貌用语（封闭词表）"),
    else its file name."""
    text = (getattr(lexicon, "headers", {}) or {}).get("description", "")
    return text.split("。")[0].strip() or lexicon.name


def display_names(rubric, lexicons, detectors=()) -> dict[str, str]:
    """Chinese names by id: rubric items (their labels), lexicons (`lexicon_title`) and detectors
    (the labels of the items they feed), for pages that would otherwise show ids."""
    names = {lex.name: lexicon_title(lex) for lex in lexicons.values()}
    names.update({i.id: i.label for i in rubric.items})
    for detector in detectors:
        labels = [names.get(item, item) for item in getattr(detector, "items", ())]
        names.setdefault(detector.name, "、".join(labels) + "检测" if labels else detector.name)
    return names


def local_text(value: str | None, tz) -> str:
    """A stored UTC ISO time as local "YYYY-MM-DD HH:MM" in `tz` ("" for none; unreadable text as it is)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


@pass_context
def _local(context, value) -> str:
    """`{{ at|local }}`: in the zone the page was rendered for (its context's `tz`)."""
    return local_text(value, context.get("tz"))


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment of every page and report: autoescaped (chat text is untrusted), with the
    labels as globals and `local`, `pct`, `num`, `yes_no`, `platform` as filters."""
    loader = ChoiceLoader([
        FileSystemLoader(str(_ROOT / "review" / "templates")),
        PrefixLoader({"report": FileSystemLoader(str(_ROOT / "report" / "templates")),
                      "calibration": FileSystemLoader(str(_ROOT / "calibration" / "templates"))}),
    ])
    env = Environment(loader=loader, autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(PLATFORM_LABELS=PLATFORM_LABELS, SCENARIO_LABELS=SCENARIO_LABELS,
                       ROLE_LABELS=ACCOUNT_ROLE_LABELS, SOURCE_LABELS=OVERRIDE_SOURCE_LABELS,
                       STATUS_LABELS=DISPUTE_STATUS_LABELS)
    env.filters.update(local=_local, pct=pct, num=num, yes_no=yes_no, platform=platform_label)
    return env
