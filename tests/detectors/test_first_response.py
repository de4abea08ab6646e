import pytest

from grader.detectors.first_response import FirstResponseDetector, ServiceHours
from grader.detectors.options import parse_service_hours
from grader.detectors.lexicon import LexiconSet
from grader.errors import ConfigError
from tests.builders import chat

try:
    from grader.rubric.scoring import band_score
except ImportError:  # pragma: no cover - the rubric module is someone else's
    band_score = None


@pytest.fixture(scope="module")
def lexicons():
    return LexiconSet.load()


@pytest.fixture(scope="module")
def detector(lexicons):
    return FirstResponseDetector(lexicons)


def measure(detector, *lines, **kw):
    (m,) = detector.detect(chat(*lines, **kw))
    assert m.item == "first_response"
    return m


@pytest.mark.parametrize("name, lines, expected", [
    ("quick human reply", ["c 10:00:00 在吗", "a 10:00:04 亲，您好"], 4),
    ("clock starts at the first customer message", ["c 10:00:00 在吗", "c 10:00:08 有人吗", "a 10:00:12 在的亲"], 12),
    ("auto-reply then late human reply", ["c 10:00:00 在吗", "auto 10:00:01 【自动回复】您好，客服马上就来",
                                          "a 10:00:40 您好，在的"], 40),
    ("transfer between", ["c 10:00:00 我要退货", "auto 10:00:01 正在为您转接人工",
                          "s 10:00:02 会话已转接给小店:小王", "a2 10:00:18 您好，我是小王"], 18),
    ("agent greeting before customer is not a reply", ["a 09:59:00 欢迎光临", "c 10:00:00 在吗",
                                                       "a 10:00:07 在的亲"], 7),
    ("02:00 answered at opening", ["c 02:00:00 在吗", "a 08:00:05 亲，您好"], 5),
    ("02:00 answered by a night agent", ["c 02:00:00 在吗", "a 02:00:03 在的"], 3),
    ("evening question answered next morning", ["c 2026-11-22 22:59:55 在吗", "a 2026-11-23 08:00:03 在的"], 8),
    ("night agent across midnight", ["c 2026-11-22 23:59:50 在吗", "a 2026-11-23 00:00:05 在的"], 15),
    ("answer at closing time", ["c 22:59:50 在吗", "a 23:00:30 在的"], 40),
])
def test_first_response_seconds(detector, name, lines, expected):
    m = measure(detector, *lines)
    assert m.value == expected, name
    assert m.metrics["first_response_seconds"] == expected
    assert not m.needs_review
    first = next(f for f in m.findings if f.kind in ("first_response", "slow_first_response"))
    assert [e.message_index for e in first.evidence] == [
        next(i for i, l in enumerate(lines) if l.startswith("c ")),
        len(lines) - 1,
    ]


@pytest.mark.parametrize("seconds, score", [(10, 10), (11, 6), (20, 6), (21, 3), (25, 3), (26, 0)])
def test_band_boundaries(detector, seconds, score):
    m = measure(detector, "c 10:00:00 在吗", f"a 10:00:{seconds:02d} 您好")
    assert m.value == seconds
    if band_score is not None:
        assert band_score("first_response", m.value) == score


def test_auto_reply_first_is_noted_not_counted(detector):
    m = measure(detector, "c 10:00:00 在吗", "auto 10:00:01 【自动回复】您好", "a 10:00:40 您好，在的")
    note = next(f for f in m.findings if f.kind == "auto_reply_first")
    assert note.evidence[0].message_index == 1 and not note.positive
    assert m.value == 40


def test_multiple_turns_average_and_share(detector):
    m = measure(detector,
                "c 10:00:00 在吗", "a 10:00:05 在的亲",
                "c 10:01:00 这个有黑色吗", "c 10:01:10 L码", "a 10:01:50 有的",   # 50 s, from 10:01:00
                "c 10:03:00 好的", "a 10:03:15 好的亲")                          # 15 s
    assert m.value == 5
    assert m.metrics["customer_turns"] == 3
    assert m.metrics["unanswered_turns"] == 0
    assert m.metrics["avg_response_seconds"] == pytest.approx(23.3)
    assert m.metrics["max_wait_seconds"] == 50
    assert m.metrics["replied_within_30s_share"] == pytest.approx(0.667)
    slow = [f for f in m.findings if f.kind == "slow_reply"]
    assert len(slow) == 1 and not slow[0].positive
    assert [e.message_index for e in slow[0].evidence] == [2, 4]


def test_unanswered_last_turn(detector):
    m = measure(detector, "c 10:00:00 在吗", "a 10:00:05 在的", "c 10:02:00 怎么不回了", "auto 10:02:01 稍等")
    assert m.value == 5
    assert m.metrics["unanswered_turns"] == 1 and m.metrics["customer_turns"] == 2
    assert m.metrics["avg_response_seconds"] == 5
    assert m.metrics["replied_within_30s_share"] == 1.0


def test_never_answered_by_a_person(detector):
    m = measure(detector, "c 10:00:00 在吗", "auto 10:00:01 【自动回复】稍等")
    assert m.value is None and m.needs_review
    assert m.reason == "顾客一直没有等到人工回复"
    assert m.metrics["first_response_seconds"] is None
    assert m.metrics["replied_within_30s_share"] is None
    assert m.metrics["unanswered_turns"] == 1


def test_no_timestamps(detector):
    m = measure(detector, "c 在吗", "a 在的")
    assert m.value is None and m.needs_review
    assert "时间戳" in m.reason


def test_chat_opened_by_agent(detector):
    m = measure(detector, "a 10:00:00 亲，您拍的宝贝还没付款哦")
    assert m.value is None and m.needs_review
    assert m.metrics["customer_turns"] == 0


def test_service_hours_option(lexicons):
    always = FirstResponseDetector(lexicons, {"service_hours": "00:00-24:00"})
    (m,) = always.detect(chat("c 02:00:00 在吗", "a 08:00:05 在的"))
    assert m.value == 6 * 3600 + 5


@pytest.mark.parametrize("spec, start, end, expected", [
    ("08:00-23:00", "2026-11-22T02:00:00", "2026-11-22T08:00:05", 5),
    ("20:00-02:00", "2026-11-22T01:59:50", "2026-11-22T20:00:10", 20),
    ("08:00-23:00", "2026-11-22T22:00:00", "2026-11-24T09:00:00", 3600 + 15 * 3600 + 3600),
])
def test_service_seconds(spec, start, end, expected):
    from datetime import datetime

    from grader.transcript.model import SHANGHAI
    hours = ServiceHours(spec)
    a = datetime.fromisoformat(start).replace(tzinfo=SHANGHAI)
    b = datetime.fromisoformat(end).replace(tzinfo=SHANGHAI)
    assert hours.seconds_between(a, b) == expected


@pytest.mark.parametrize("spec", ["8-23", "25:00-26:00", "", "08:00-24:30"])
def test_bad_service_hours(spec):
    with pytest.raises(ConfigError):
        parse_service_hours(spec)


@pytest.mark.parametrize("lines, needs_review, shown", [
    pytest.param(["c 09:03:00 在吗", "a 09:03:00 您好"], True, "0 秒–59 秒", id="same-minute-0-to-59s-undecided"),
    pytest.param(["c 09:03:00 在吗", "a 09:04:00 您好"], True, "1 秒–1 分 59 秒", id="next-minute-undecided"),
    pytest.param(["c 09:03:00 在吗", "a 09:06:00 您好"], False, "2 分 1 秒–3 分 59 秒",
                 id="three-minutes-is-0-points-either-way"),
])
def test_minute_precise_times_give_a_range(detector, lines, needs_review, shown):
    from grader.rubric import load_rubric
    from grader.rubric.scoring import score_item

    t = chat(*lines)
    t.transcript.time_resolution = 60
    (m,) = detector.detect(t)
    assert shown in m.reason and m.value_range is not None
    scored = score_item(load_rubric().item("first_response"), m)  # the standard rubric's bands decide
    assert scored.needs_review is needs_review and (scored.confidence < 0.6) is needs_review
    assert ("分数因此无法确定" in scored.reason) is needs_review


SHOP_BANDS = "bands = [[60, 10], [120, 6], [300, 3]]"  # a shop that counts a minute as quick


@pytest.mark.parametrize("lines, needs_review", [
    pytest.param(["c 09:03:00 在吗", "a 09:03:00 您好"], False, id="0-59s-is-10-points-in-the-shop-rubric"),
    pytest.param(["c 09:03:00 在吗", "a 09:04:00 您好"], True, id="1s-119s-straddles-the-shops-60s-band"),
    pytest.param(["c 09:03:00 在吗", "a 09:09:00 您好"], False, id="5-7-minutes-is-0-points-either-way"),
])
def test_a_shop_rubric_decides_whether_a_minute_range_is_undecided(detector, tmp_path, lines, needs_review):
    """first_response asked the standard rubric's bands before: a shop rubric's card was flagged falsely."""
    from grader.rubric import load_rubric
    from grader.rubric.rubric import STANDARD
    from grader.rubric.scoring import score_item

    text = STANDARD.read_text(encoding="utf-8").replace("bands = [[10, 10], [20, 6], [25, 3]]", SHOP_BANDS)
    assert SHOP_BANDS in text
    (tmp_path / "shop.toml").write_text(text, encoding="utf-8")
    t = chat(*lines)
    t.transcript.time_resolution = 60
    (m,) = detector.detect(t)
    scored = score_item(load_rubric(tmp_path / "shop.toml").item("first_response"), m)
    assert scored.needs_review is needs_review


def test_second_precise_times_are_confident(detector):
    m = measure(detector, "c 09:03:00 在吗", "a 09:03:00 您好")
    assert not m.needs_review and "分钟" not in m.reason


@pytest.mark.parametrize("tz, value", [
    ("Asia/Shanghai", 65),  # 07:00:05 Beijing: before 08:00, a night reply timed in real seconds
    ("Asia/Tokyo", 5),      # 08:00:05 in Tokyo: inside the shop's hours, timed from the opening
], ids=["shanghai-closed", "tokyo-open"])
def test_service_hours_are_on_the_run_tz_clock(lexicons, tz, value):
    """Tricky: the same chat; --tz moves the shop's hours (they were always Beijing time before)."""
    detector = FirstResponseDetector(lexicons, {"tz": tz})
    (m,) = detector.detect(chat("c 06:59:00 在吗", "a 07:00:05 在的"))
    assert m.value == value


def test_an_unknown_tz_is_a_config_error(lexicons):
    with pytest.raises(ConfigError):
        FirstResponseDetector(lexicons, {"tz": "Asia/Nowhere"})
