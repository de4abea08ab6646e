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


def _read_one_chat(name):
    items = read_file(CASES / "exports" / name)
    assert len(items) == 1 and isinstance(items[0], Transcript), items
    return items[0]


def _replies(t):
    """Seconds from each customer message to the next agent message."""
    out, asked = [], None
    for m in t.messages:
        if m.role == "customer" and asked is None:
            asked = m.time
        elif m.role == "agent" and m.is_human_agent and asked is not None:
            out.append((m.time - asked).total_seconds())
            asked = None
    return out


@needs_cases
@pytest.mark.parametrize("name", ["c01_qn_two_line_header.txt", "c01b_qn_mixed_one_and_two_line_headers.txt"])
def test_qianniu_two_line_headers(name):
    t = _read_one_chat(name)
    assert [m.role for m in t.messages] == ["customer", "agent", "customer", "agent"]
    assert _replies(t) == [7, 10]


@needs_cases
def test_qianniu_product_card_is_not_the_agents_words():
    from grader import grade
    t = _read_one_chat("c03_qn_product_card_lines.txt")
    assert [m.kind for m in t.messages if m.role == "system"] == ["notice", "notice", "card"]
    assert not any("包邮" in m.text for m in t.messages if m.role == "agent")
    card = grade(t)
    assert [i.score for i in card.items if i.id == "presale.promotion"] == [0]


@needs_cases
@pytest.mark.parametrize("name", ["c04a_qn_timeout_notice_bare.txt", "c04b_qn_timeout_notice_under_buyer.txt"])
def test_qianniu_timeout_warning_is_a_system_notice(name):
    t = _read_one_chat(name)
    [warning] = [m for m in t.messages if "即将超时" in m.text]
    assert (warning.role, warning.kind) == ("system", "warning")
    assert not any("即将超时" in m.text for m in t.messages if m.role == "customer")


@needs_cases
def test_qianniu_same_buyer_next_day_is_a_second_chat(tmp_path):
    from grader import grade
    first, second = read_file(CASES / "exports" / "c16_same_buyer_next_day_no_separator.txt")
    assert first.started_at.date().isoformat() == "2023-03-14"
    assert second.started_at.date().isoformat() == "2023-03-15"
    assert grade(second).metrics["first_response_seconds"] == 280
    store = Store(str(tmp_path / "g.db"))
    counts = Run(store, GradeSettings(), DayRange.from_args(day="2023-03-15"), None, progress=False).execute(
        [CASES / "exports" / "c16_same_buyer_next_day_no_separator.txt"])
    assert (counts.graded, counts.out_of_range) == (1, 1)


@needs_cases
def test_excel_resave_without_seconds_flags_first_response_with_the_range():
    from grader import grade
    t = _read_one_chat("c05_excel_resaved_gbk_no_seconds.csv")
    assert t.time_resolution == 60 and len(t.messages) == 5
    [item] = [i for i in grade(t).items if i.id == "first_response"]
    assert item.needs_review and item.confidence < 0.6 and "0 秒–59 秒" in item.reason


@needs_cases
def test_date_and_time_columns_are_combined():
    t = _read_one_chat("c07_date_time_split_columns.csv")
    assert [m.time.strftime("%Y-%m-%d %H:%M:%S") for m in t.messages][:2] == ["2023-03-08 20:11:05", "2023-03-08 20:11:12"]


@needs_cases
def test_exporter_json_document_and_zip_are_read():
    result = read_paths([CASES / "exports" / "c09_exporter_json"])
    assert result.parsed == 2 and not result.set_aside  # the document, and the same document in the zip
    for t in result.transcripts:
        assert [m.role for m in t.messages] == ["customer", "agent", "customer"]
