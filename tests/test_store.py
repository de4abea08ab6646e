import pytest

from grader.pipeline import Grader
from grader.store import Store, content_hash, scorecards, transcripts
from tests.builders import transcript


def _pair(grader, *lines, id="t1"):
    t = transcript(*lines, id=id)
    return t, grader.grade(t)


def test_schema_created_and_versioned(db_url):
    store = Store(db_url)
    assert store.url.startswith("sqlite:///" if "://" not in db_url else "postgresql")
    Store(db_url)  # opening again migrates nothing and fails nothing


def test_saving_the_same_scorecard_twice_creates_no_duplicate(db_url):
    store, grader = Store(db_url), Grader()
    pair = _pair(grader, "c 10:00:00 在吗", "a 10:00:05 您好")
    store.save([pair])
    store.save([pair])
    assert store.count(scorecards) == 1 and store.count(transcripts) == 1
    ((tid, chash, _versions),) = store.graded_keys(["t1"])
    assert (tid, chash) == ("t1", content_hash(pair[0]))


def test_changed_content_keeps_history_and_one_current(db_url):
    store, grader = Store(db_url), Grader()
    store.save([_pair(grader, "c 10:00:00 在吗", "a 10:00:05 您好")])
    store.save([_pair(grader, "c 10:00:00 在吗", "a 10:00:30 在")])
    history = store.scorecard_history("t1")
    assert [h["current"] for h in history] == [False, True]
    stored = store.transcripts(["t1"])["t1"]
    assert stored.messages[1].time.strftime("%H:%M:%S") == "10:00:30"


def test_postgres_style_url_is_accepted_as_is(tmp_path):
    from grader.store import db_url
    assert db_url("postgresql+psycopg://u@localhost/grader") == "postgresql+psycopg://u@localhost/grader"
    assert db_url(str(tmp_path / "x.db")).startswith("sqlite:///")


def test_the_same_chat_twice_in_one_batch_is_saved_in_input_order(db_url):
    store, grader = Store(db_url), Grader()
    first = _pair(grader, "c 10:00:00 在吗", "a 10:00:05 您好")
    changed = _pair(grader, "c 10:00:00 在吗", "a 10:00:30 在")
    store.save([first, changed, first])  # back to the first content: its scorecard is current again
    assert [h["current"] for h in store.scorecard_history("t1")] == [True, False]
    assert store.count(scorecards) == 2


@pytest.mark.parametrize("tz, day, found", [
    ("Asia/Shanghai", "2026-11-22", True),
    ("Asia/Shanghai", "2026-11-21", False),
    ("UTC", "2026-11-21", True),  # 07:30 in Shanghai is 23:30 UTC the day before
    ("UTC", "2026-11-22", False),
], ids=["shanghai-day", "shanghai-day-before", "utc-day-before", "utc-day"])
def test_days_follow_the_tz_asked_for(db_url, tz, day, found):
    from zoneinfo import ZoneInfo
    store, grader = Store(db_url), Grader()
    store.save([_pair(grader, "c 07:30:00 在吗", "a 07:30:05 您好")])
    got = [c.transcript_id for c in store.current_in_days(day, day, ZoneInfo(tz))]
    assert got == (["t1"] if found else [])


def test_a_dictionary_or_versions_row_stored_meanwhile_by_another_process_is_kept(db_url):
    """Tricky: two runs may train the same dictionary at once; the second insert must not fail its batch."""
    from grader.store import dictionaries
    from grader.store.core import insert_missing
    store = Store(db_url)
    row = dict(id="abcd", kind="card", versions_key="k", data=b"zz", created_at="t")
    for _ in range(2):
        with store.engine.begin() as conn:
            insert_missing(conn, dictionaries, [row])
    assert store.count(dictionaries) == 1
