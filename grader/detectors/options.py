"""The grading options: every option a detector (or the reading of a run) takes, declared, defaulted
and validated here, once.

`detector_options(given)` is what `Detector.__init__` keeps as `self.options`: a plain dict with
every declared option, the defaults filled in. An unknown name or an unreadable value raises
`grader.errors.ConfigError` (in Chinese and English) before any chat is graded. Options that differ
from the defaults go onto every scorecard's versions (`versioned_options`), so changing one re-grades.
"""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from grader.errors import ConfigError

HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")


def parse_service_hours(spec: str) -> tuple[int, int]:
    """"08:00-23:00" -> (opening, closing) in seconds after local midnight; closing may be 24:00.
    Raises ConfigError for anything else."""
    m = HOURS.match(spec or "")
    if not m:
        raise ConfigError(f"营业时间 {spec!r} 无法识别，请写成 \"08:00-23:00\" (service_hours not understood)")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ConfigError(f"营业时间 {spec!r}：时间应在 00:00 到 24:00 之间 (service_hours: hours are 00:00 to 24:00)")
    return h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60


class DetectorOptions(BaseModel):
    """The options and their defaults (seconds unless named otherwise).

    service_hours: the shop's hours in `tz` ("08:00-23:00"; "20:00-02:00" wraps; "00:00-24:00" always);
    tz: IANA zone of the shop's clock: "the day" of a chat, service hours, promise deadlines;
    slow_reply_seconds / first_response_ok_seconds: first_response's slow and good replies;
    vague_promise_seconds, promise_grace_seconds, promise_return_seconds: promised_contact's deadlines;
    follow_up_silence_seconds: follow_up's silence after which the agent's message is a follow-up;
    session_gap_minutes: the reading's idle gap that ends a chat (None: the reader's default).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    service_hours: str = "08:00-23:00"
    tz: str = "Asia/Shanghai"
    slow_reply_seconds: float = 30
    first_response_ok_seconds: float = 25
    vague_promise_seconds: float = 1800
    promise_grace_seconds: float = 300
    promise_return_seconds: float = 60
    follow_up_silence_seconds: float = 180
    session_gap_minutes: float | None = None

    @field_validator("service_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_service_hours(value)
        return value

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"时区 {value!r} 无法识别，请写成 Asia/Shanghai 这样的 IANA 名称 (unknown time zone)") from None
        return value


DEFAULT_OPTIONS = DetectorOptions().model_dump(exclude_none=True)


def detector_options(given: dict | None = None) -> dict:
    """Every declared option, `given` over the defaults (None values mean the default).
    Raises ConfigError for an unknown option or a value that is not valid."""
    given = {k: v for k, v in (given or {}).items() if v is not None}
    try:
        return DetectorOptions(**given).model_dump()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first.get("loc", ())) or "?"
        raise ConfigError(f"评分选项 {name} 不正确：{first.get('msg')} (grading option not valid)") from None


def versioned_options(options: dict | None) -> dict[str, str]:
    """The options that differ from the defaults: recorded in a scorecard's versions."""
    full = {**DEFAULT_OPTIONS, **{k: v for k, v in (options or {}).items() if v is not None}}
    return {k: str(v) for k, v in sorted(full.items()) if DEFAULT_OPTIONS.get(k) != v}
