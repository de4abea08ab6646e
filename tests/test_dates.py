from datetime import date

import pytest

from grader.dates import DayRange, parse_day
from grader.errors import GraderError
from tests.builders import transcript

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize("text, expected", [
    ("yesterday", date(2026, 11, 22)), ("昨天", date(2026, 11, 22)), ("today", TODAY),
    ("2026-11-01", date(2026, 11, 1)),
])
def test_parse_day(text, expected):
    assert parse_day(text, today=TODAY) == expected


def test_bad_date_is_a_clear_error():
    with pytest.raises(GraderError, match="YYYY-MM-DD"):
        parse_day("22/11/2026")


@pytest.mark.parametrize("name, lines, day, inside", [
    ("chat on the day", ["c 10:00:00 在吗"], "2026-11-22", True),
    ("chat the day before", ["c 2026-11-21 10:00:00 在吗"], "2026-11-22", False),
    ("spanning midnight belongs to the day it began",
     ["c 2026-11-21 23:59:30 在吗", "a 2026-11-22 00:00:10 在的"], "2026-11-21", True),
    ("spanning midnight is not the next day",
     ["c 2026-11-21 23:59:30 在吗", "a 2026-11-22 00:00:10 在的"], "2026-11-22", False),
    ("agent opened earlier: the customer's first message decides",
     ["a 2026-11-21 23:50:00 亲，您的订单已发货", "c 2026-11-22 00:10:00 好的"], "2026-11-22", True),
])
def test_day_selection(name, lines, day, inside):
    assert DayRange.from_args(day=day).contains(transcript(*lines)) is inside, name


def test_day_is_local_to_the_configured_zone():
    t = transcript("c 2026-11-22 07:30:00 在吗")  # Shanghai 07:30 = UTC 23:30 the day before
    assert DayRange.from_args(day="2026-11-22").contains(t)
    assert DayRange.from_args(day="2026-11-21", tz="UTC").contains(t)


def test_month_and_open_ranges():
    r = DayRange.from_args(month="2026-02")
    assert (r.since, r.until) == (date(2026, 2, 1), date(2026, 2, 28))
    assert DayRange.from_args(since="2026-11-20").contains(transcript("c 10:00:00 在吗"))
    assert not DayRange.from_args(until="2026-11-21").contains(transcript("c 10:00:00 在吗"))
