"""The shared field cases (../shared/cases relative to the repo root): each gives its expected outcome.

Skipped when the folder is absent (it is not part of the project)."""
from pathlib import Path

import pytest

from grader.batch import GradeSettings, Run
from grader.dates import DayRange
from grader.store import Store, scorecards
from grader.transcript import SetAside, Transcript, read_file, read_paths

CASES = Path(__file__).resolve().parents[2] / ".." / "shared" / "cases"
needs_cases = pytest.mark.skipif(not CASES.is_dir(), reason="../shared/cases not present")


def _grade(tmp_path, *paths):
    store = Store(str(tmp_path / "g.db"))
    counts = Run(store, GradeSettings(), DayRange(), tmp_path / "out", progress=False).execute(list(paths))
    return store, counts


@needs_cases
@pytest.mark.parametrize("name, reason", [
    ("overflow_year9999_minus12.jsonl", "time out of range"),
    ("overflow_year1_plus14.jsonl", "time out of range"),
])
def test_broken_extreme_timestamps(name, reason):
    [aside] = read_file(CASES / "broken" / name)
    assert isinstance(aside, SetAside) and reason in aside.reason


@needs_cases
@pytest.mark.parametrize("name", ["offset25_drops_rest_of_file.jsonl", "deep_json_drops_rest_of_file.jsonl"])
def test_broken_line_does_not_drop_the_rest_of_the_file(name):
    items = read_file(CASES / "broken" / name)
    assert [type(i) for i in items] == [SetAside, Transcript] and items[0].line == 1


@needs_cases
def test_broken_folder_grades_in_one_run_and_reconciles(tmp_path):
    store, counts = _grade(tmp_path, CASES / "broken")
    assert counts.reconciles and counts.read == read_paths([CASES / "broken"]).read
    # dup1 once, d (after the +25:00 line), the chat after the deep line, shop A's 1001
    assert counts.graded == store.count(scorecards) == 4
    reasons = (tmp_path / "out" / "set_aside.jsonl").read_text(encoding="utf-8")
    assert "duplicate chat" in reasons and "id collision" in reasons
    assert reasons.count("time out of range") == 2
