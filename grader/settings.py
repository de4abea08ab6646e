"""The grading settings of a process: rubric, lexicons and options, loaded once, carried everywhere.

`grader grade`, `grader review`, `grader calibrate` and `grader override` build one `GradeSettings`
from the same command-line options (`grader.options.add_grading_arguments`); whatever grades a card
(the batch's workers, a scenario change in the review app, calibration's re-grades) uses
`settings.grader()`, the one `Grader` of this process for these settings. Options that differ from
`DEFAULT_OPTIONS` are part of the scorecard's versions, so changing one re-grades.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from grader.detectors.options import DEFAULT_OPTIONS, detector_options, versioned_options  # noqa: F401

_graders: dict = {}


@dataclass
class GradeSettings:
    """rubric: TOML path (None: the standard rubric); lexicons: folder (None: $GRADER_LEXICONS or
    ./lexicons); options: detector options such as service_hours ("08:00-23:00") and tz (IANA zone
    name whose local day is "the day" of a chat)."""

    rubric: str | None = None
    lexicons: str | None = None
    options: dict = field(default_factory=dict)

    def __post_init__(self):
        detector_options(self.options)  # an unknown option or a bad value (--tz, --service-hours): ConfigError now

    @classmethod
    def from_args(cls, args) -> "GradeSettings":
        """From parsed options of `add_grading_arguments` (and --tz, where the command has it)."""
        options = {}
        for name in ("service_hours", "tz"):
            value = getattr(args, name, None)
            if value:
                options[name] = value
        return cls(getattr(args, "rubric", None), getattr(args, "lexicons", None), options)

    @property
    def tz(self) -> ZoneInfo:
        """The shop's clock (--tz): the day of a chat, service hours, promise deadlines, every page and report."""
        return ZoneInfo(self.all_options()["tz"])

    def all_options(self) -> dict:
        """The declared options (grader.detectors.options) with the defaults filled in."""
        return {**DEFAULT_OPTIONS, **{k: v for k, v in self.options.items() if v is not None}}

    def key(self) -> tuple:
        return (self.rubric, self.lexicons, json.dumps(self.all_options(), sort_keys=True, default=str))

    def load_rubric(self):
        """The `grader.rubric.Rubric` of these settings (the process's grader's; ConfigError if unreadable)."""
        key = self.key()
        if key in _graders:
            return _graders[key].rubric
        from grader.rubric import load_rubric
        return load_rubric(self.rubric)

    def grader(self):
        """The process's `grader.pipeline.Grader` for these settings (rubric, lexicons and jieba loaded once)."""
        key = self.key()
        if key not in _graders:
            from grader.pipeline import Grader
            _graders[key] = Grader(self.rubric, self.lexicons, self.all_options())
        return _graders[key]
