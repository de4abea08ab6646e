"""The daily run: date selection, idempotent re-runs, re-grading on version change, resuming."""
import json
import re
import shutil

import pytest
from sqlalchemy import select

from grader.batch import GradeSettings, Run
from grader.dates import DayRange
from grader.detectors.lexicon import default_lexicon_dir
from grader.pipeline import Grader
from grader.store import Store, runs, scorecards

CHATS = [  # (id, first customer time, agent reply time)
    ("day-before", "2026-11-21 15:00:00", "2026-11-21 15:00:06"),
    ("spans-midnight", "2026-11-21 23:59:40", "2026-11-22 00:00:02"),
    ("morning", "2026-11-22 09:10:00", "2026-11-22 09:10:08"),
    ("evening", "2026-11-22 21:00:00", "2026-11-22 21:00:30"),
    ("next-day", "2026-11-23 10:00:00", "2026-11-23 10:00:04"),
]


def _chat(tid, c_time, a_time):
    return {"id": tid, "platform": "taobao", "shop": "小店", "agent": "小店:小美", "customer": "tb1",
            "messages": [{"time": c_time, "sender": "tb1", "role": "customer", "text": "这件有优惠吗"},
                         {"time": a_time, "sender": "小店:小美", "role": "agent", "text": "您好，现在满300减30哦"}]}


@pytest.fixture
def exports(tmp_path):
    folder = tmp_path / "exports" / "nested"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text("\n".join(json.dumps(_chat(*c), ensure_ascii=False) for c in CHATS[:3]) + "\n",
                                    encoding="utf-8")
    (folder / "b.jsonl").write_text("\n".join(json.dumps(_chat(*c), ensure_ascii=False) for c in CHATS[3:])
                                    + "\n{broken json\n", encoding="utf-8")
    return tmp_path / "exports"


@pytest.fixture
def store(db_url):
    return Store(db_url)


def _run(store, exports, out=None, day="2026-11-21", settings=None, **kw):
    return Run(store, settings or GradeSettings(), DayRange.from_args(day=day), out, progress=False, **kw).execute([exports])


def test_a_day_holds_the_chats_that_began_on_it(store, exports, tmp_path):
    counts = _run(store, exports, tmp_path / "out")
    assert counts.graded == 2 and counts.out_of_range == 3 and counts.set_aside == 1
    assert counts.read == 6 and counts.reconciles
    lines = (tmp_path / "out" / "scorecards.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["transcript_id"] for x in lines] == ["day-before", "spans-midnight"]
    aside = [json.loads(x) for x in (tmp_path / "out" / "set_aside.jsonl").read_text(encoding="utf-8").splitlines()]
    assert aside[0]["file"].endswith("b.jsonl") and aside[0]["line"] == 3


def test_rerun_skips_what_is_graded_and_creates_no_duplicates(store, exports, tmp_path):
    _run(store, exports, day="2026-11-22")
    again = _run(store, exports, tmp_path / "out2", day="2026-11-22")
    assert again.graded == 0 and again.unchanged == 2 and again.reconciles
    assert store.count(scorecards) == 2
    # the second run's files still list the day's scorecards, taken from the database
    assert len((tmp_path / "out2" / "scorecards.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_changed_lexicon_version_regrades_and_keeps_history(store, exports, tmp_path):
    _run(store, exports, day="2026-11-22")
    lex = tmp_path / "lexicons"
    shutil.copytree(default_lexicon_dir(), lex)
    promo = lex / "promotion.txt"
    text = promo.read_text(encoding="utf-8")
    version = int(re.search(r"# version: (\d+)", text).group(1))
    promo.write_text(text.replace(f"# version: {version}", f"# version: {version + 1}", 1), encoding="utf-8")
    again = _run(store, exports, day="2026-11-22", settings=GradeSettings(lexicons=str(lex)))
    assert again.graded == 2 and again.unchanged == 0
    history = store.scorecard_history("morning")
    assert [h["current"] for h in history] == [False, True]
    current = store.current_scorecards(["morning"])["morning"]
    assert current.versions.lexicons["promotion"].startswith(f"{version + 1}+")


def test_changed_content_is_regraded(store, exports):
    _run(store, exports, day="2026-11-22")
    path = exports / "nested" / "a.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace("2026-11-22 09:10:08", "2026-11-22 09:11:08"),
                    encoding="utf-8")
    again = _run(store, exports, day="2026-11-22")
    assert (again.graded, again.unchanged) == (1, 1)
    assert store.current_scorecards(["morning"])["morning"].metrics["first_response_seconds"] == 68


def test_interrupted_run_leaves_a_consistent_database_and_the_next_run_finishes(store, exports, monkeypatch):
    real = Grader.grade
    calls = {"n": 0}

    def flaky(self, transcript, scenario=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, transcript, scenario)

    monkeypatch.setattr(Grader, "grade", flaky)
    with pytest.raises(KeyboardInterrupt):
        Run(store, GradeSettings(), DayRange(), None, progress=False, batch_size=2).execute([exports])
    graded_before = store.count(scorecards)
    assert graded_before == 2  # the first batch was committed whole, the second not at all
    monkeypatch.setattr(Grader, "grade", real)
    counts = Run(store, GradeSettings(), DayRange(), None, progress=False, batch_size=2).execute([exports])
    assert (counts.graded, counts.unchanged) == (3, 2)
    assert store.count(scorecards) == 5
    with store.engine.connect() as conn:
        assert [r[0] for r in conn.execute(select(runs.c.status).order_by(runs.c.id))] == ["interrupted", "ok"]


def test_a_chat_that_breaks_a_detector_is_set_aside_and_the_batch_goes_on(store, exports, monkeypatch):
    real = Grader.grade

    def broken_on_morning(self, transcript, scenario=None):
        if transcript.id == "morning":
            raise ValueError("boom")
        return real(self, transcript, scenario)

    monkeypatch.setattr(Grader, "grade", broken_on_morning)
    counts = _run(store, exports, day="2026-11-22")
    assert (counts.graded, counts.set_aside) == (1, 2) and counts.reconciles
