"""One settings object per process: loaded once, carried to every grading, part of the versions key."""
import shutil

import pytest

from grader.batch import Run
from grader.dates import DayRange
from grader.detectors.lexicon import LexiconSet, default_lexicon_dir
from grader.settings import GradeSettings, versioned_options
from grader.store import Store, versions_key
from tests.builders import transcript


@pytest.mark.parametrize("options, versioned", [
    ({}, {}),
    ({"service_hours": "08:00-23:00", "tz": "Asia/Shanghai"}, {}),  # the defaults: old keys stay valid
    ({"service_hours": "09:00-21:00"}, {"service_hours": "09:00-21:00"}),
    ({"tz": "Asia/Urumqi"}, {"tz": "Asia/Urumqi"}),
], ids=["none", "defaults-spelled-out", "service-hours", "tz"])
def test_options_that_differ_from_defaults_are_versioned(options, versioned):
    assert versioned_options(options) == versioned


def test_changing_service_hours_changes_the_versions_key():
    default = GradeSettings().grader()
    other = GradeSettings(options={"service_hours": "09:00-21:00"}).grader()
    assert versions_key(default.versions) != versions_key(other.versions)
    assert "option:" not in default.versions.key()  # unchanged from before settings were versioned


def test_grader_is_loaded_once_per_process_and_settings(tmp_path, monkeypatch):
    lex = tmp_path / "lex"
    shutil.copytree(default_lexicon_dir(), lex)
    loads = []
    real = LexiconSet.load.__func__

    def counting(cls, *a, **kw):
        loads.append(a)
        return real(cls, *a, **kw)

    monkeypatch.setattr(LexiconSet, "load", classmethod(counting))
    exports = tmp_path / "in.jsonl"
    exports.write_text('{"id": "x", "platform": "taobao", "messages": [{"time": "2026-11-22 10:00:00", '
                       '"sender": "c", "role": "customer", "text": "在吗"}]}\n', encoding="utf-8")
    settings = GradeSettings(lexicons=str(lex))
    Run(Store(str(tmp_path / "g.db")), settings, DayRange(), progress=False).execute([exports])
    assert len(loads) == 1  # the run and its in-process grading share one Grader
    assert settings.grader() is GradeSettings(lexicons=str(lex)).grader()


def test_a_scenario_change_regrades_with_the_process_settings(db_url):
    from grader.review.overrides import change_scenario

    store = Store(db_url)
    settings = GradeSettings(options={"service_hours": "00:00-24:00"})
    t = transcript("c 02:00:00 在吗，有优惠吗", "a 02:00:08 您好，满300减30", id="night")
    store.save([(t, settings.grader().grade(t, "presale"))])
    change_scenario(store, "night", "aftersale", "售后", "主管", grader=settings.grader())
    card = store.current_scorecards(["night"])["night"]
    assert card.scenario == "aftersale" and card.versions.settings == {"service_hours": "00:00-24:00"}
    assert card.metrics["first_response_seconds"] == 8  # 02:00 is inside these hours: no clock start at 08:00
