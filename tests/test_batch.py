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
    _run(store, exports, tmp_path / "out1", day="2026-11-22")
    again = _run(store, exports, tmp_path / "out2", day="2026-11-22")
    assert again.graded == 0 and again.unchanged == 2 and again.reconciles
    assert store.count(scorecards) == 2
    # the second run's files list the day's scorecards, taken from the database: the same lines
    first, second = ((tmp_path / d / "scorecards.jsonl").read_text(encoding="utf-8") for d in ("out1", "out2"))
    assert first == second and len(second.splitlines()) == 2
    key = json.loads(second.splitlines()[0])["versions_key"]
    versions = json.loads((tmp_path / "out2" / "scorecards.versions.json").read_text(encoding="utf-8"))
    assert set(versions) == {key} and "lexicons" in versions[key]


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


def _write(path, *chats):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in chats), encoding="utf-8")


def _shop_chat(tid, shop, agent_text="您好"):
    return {"id": tid, "platform": "taobao", "shop": shop, "agent": f"{shop}:甲",
            "messages": [{"time": "2026-11-22 10:00:00", "role": "customer", "sender": "tb1", "text": "在吗"},
                         {"time": "2026-11-22 10:00:03", "role": "agent", "sender": f"{shop}:甲", "text": agent_text}]}


@pytest.mark.parametrize("files, graded, reason", [
    pytest.param({"a.jsonl": [_shop_chat("1001", "A店"), _shop_chat("1001", "A店")]}, 1, "duplicate chat",
                 id="same-chat-twice-in-one-file"),
    pytest.param({"a.jsonl": [_shop_chat("1001", "A店")], "b/a-copy.jsonl": [_shop_chat("1001", "A店")]}, 1,
                 "duplicate chat", id="same-export-in-two-folders"),
    pytest.param({"a.jsonl": [_shop_chat("1001", "A店"), _shop_chat("1001", "A店", "你好呀")]}, 1,
                 "内容不同", id="same-id-other-content-in-one-run"),
    pytest.param({"shopA.jsonl": [_shop_chat("1001", "A店")], "shopB.jsonl": [_shop_chat("1001", "B店")]}, 1,
                 "id collision", id="same-id-two-shops"),
    pytest.param({"a.jsonl": [_shop_chat("1001", "A店"), _shop_chat("1002", "B店")]}, 2, None,
                 id="two-shops-two-ids"),
])
@pytest.mark.parametrize("workers", [1, 2])
def test_one_scorecard_per_chat_and_collisions_set_aside(store, tmp_path, files, graded, reason, workers):
    for name, chats in files.items():
        _write(tmp_path / "in" / name, *chats)
    counts = Run(store, GradeSettings(), DayRange(), tmp_path / "out", workers=workers, progress=False,
                 batch_size=1).execute([tmp_path / "in"])
    assert counts.graded == graded and counts.reconciles
    assert store.count(scorecards) == graded
    csv_rows = (tmp_path / "out" / "scorecards.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(csv_rows) == 1 + graded
    aside = [json.loads(x) for x in (tmp_path / "out" / "set_aside.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [reason in a["reason"] for a in aside] == ([True] if reason else [])


def test_an_id_collision_with_an_earlier_run_is_set_aside_and_the_card_kept(store, tmp_path):
    _write(tmp_path / "mon" / "shopA.jsonl", _shop_chat("1001", "A店"))
    _write(tmp_path / "tue" / "shopB.jsonl", _shop_chat("1001", "B店"))
    Run(store, GradeSettings(), DayRange(), None, progress=False).execute([tmp_path / "mon"])
    counts = Run(store, GradeSettings(), DayRange(), None, progress=False).execute([tmp_path / "tue"])
    assert (counts.graded, counts.set_aside) == (0, 1)
    assert store.current_scorecards(["1001"])["1001"].shop == "A店"
    assert len(store.scorecard_history("1001")) == 1
    # the same shop's updated export is still re-graded
    _write(tmp_path / "wed" / "shopA.jsonl", _shop_chat("1001", "A店", "您好，在的"))
    again = Run(store, GradeSettings(), DayRange(), None, progress=False).execute([tmp_path / "wed"])
    assert (again.graded, again.set_aside) == (1, 0)


@pytest.mark.parametrize("chat, reason", [
    pytest.param({"id": "n", "messages": [{"time": "2026-11-22 10:00:03", "role": "agent", "sender": "店:甲",
                                           "text": "您好"}]}, "no customer", id="no-customer"),
    pytest.param({"id": "i", "shop": "店", "messages": [
        {"time": "2026-11-22 10:00:00", "role": "customer", "sender": "店:甲", "text": "您好，在的"},
        {"time": "2026-11-22 10:00:03", "role": "agent", "sender": "tb1", "text": "在吗"}]},
        "roles look inverted", id="inverted"),
])
def test_chats_unfit_to_grade_are_set_aside(store, tmp_path, chat, reason):
    _write(tmp_path / "in" / "x.jsonl", chat)
    counts = Run(store, GradeSettings(), DayRange(), tmp_path / "out", progress=False).execute([tmp_path / "in"])
    assert (counts.graded, counts.set_aside, counts.read) == (0, 1, 1)
    [aside] = [json.loads(x) for x in (tmp_path / "out" / "set_aside.jsonl").read_text(encoding="utf-8").splitlines()]
    assert reason in aside["reason"] and aside["transcript_id"] == chat["id"]


# --- one run per database at a time ------------------------------------------------------------
def test_a_second_run_refuses_while_one_is_running(store, exports):
    from grader.batch import RunBusy, RunLock
    with RunLock(store):
        with pytest.raises(RunBusy, match="另一个评分任务"):
            _run(store, exports)
    assert store.count(scorecards) == 0
    assert _run(store, exports).reconciles  # free again once the first ends


def test_a_second_run_waits_when_asked(store, exports):
    import threading
    from grader.batch import RunLock
    lock = RunLock(store).__enter__()
    threading.Timer(1.5, lock.__exit__).start()
    counts = Run(store, GradeSettings(), DayRange.from_args(day="2026-11-22"), None, progress=False).execute(
        [exports], wait_seconds=30)
    assert counts.graded == 2


HOLD = """
import sys, time
from grader.batch import RunLock
from grader.store import Store
store = Store(sys.argv[1])
RunLock(store).__enter__()
store.start_run({"paths": ["x"]})
print("holding", flush=True)
time.sleep(120)
"""


def test_a_run_killed_with_kill_9_is_marked_and_its_lock_broken(store, exports):
    import subprocess
    import sys
    holder = subprocess.Popen([sys.executable, "-c", HOLD, store.url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
    finally:
        holder.kill()  # SIGKILL: no finally, no release
        holder.wait()
    counts = _run(store, exports, day="2026-11-22")
    assert counts.graded == 2
    with store.engine.connect() as conn:
        assert [r[0] for r in conn.execute(select(runs.c.status).order_by(runs.c.id))] == ["killed", "ok"]


def test_pool_workers_end_with_their_parent():
    import subprocess
    import sys
    import time
    script = ("import os, time\n"
              "from concurrent.futures import ProcessPoolExecutor\n"
              "from grader.engines.runners import die_with_parent\n"
              "pool = ProcessPoolExecutor(2, initializer=die_with_parent, initargs=(os.getpid(),))\n"
              "pids = [pool.submit(os.getpid).result() for _ in range(4)]\n"
              "print(' '.join(map(str, set(pids))), flush=True)\n"
              "time.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    workers = [int(p) for p in parent.stdout.readline().split()]
    parent.kill()
    parent.wait()
    deadline = time.time() + 10
    alive = workers
    while alive and time.time() < deadline:
        time.sleep(0.1)
        alive = [p for p in workers if _alive(p)]
    assert workers and not alive


def _alive(pid):
    import os
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def test_a_lock_held_from_another_machine_is_kept_unless_broken(store, exports):
    from grader.batch import RunBusy
    store.take_run_lock({"host": "other-machine", "pid": 1, "started": None, "token": "t", "since": "earlier"})
    run_id = store.start_run({"paths": ["x"]})
    with pytest.raises(RunBusy, match="other-machine.*--break-lock"):
        _run(store, exports)
    counts = Run(store, GradeSettings(), DayRange.from_args(day="2026-11-22"), None, progress=False).execute(
        [exports], break_lock=True)
    assert counts.graded == 2
    with store.engine.connect() as conn:
        assert conn.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar_one() == "killed"


def test_set_aside_reasons_are_counted_whole(db_url, tmp_path):
    """Tricky: the summary cut reasons at the first "：" and 40 characters, hiding why a chat was set aside."""
    from grader.transcript.reader import chinese_reason

    exports = tmp_path / "in.jsonl"
    exports.write_text('{"id": "ok", "messages": [{"time": "2026-11-22 10:00:00", "role": "customer", '
                       '"sender": "c", "text": "在吗"}]}\n{oops, not json at all\n', encoding="utf-8")
    counts = Run(Store(db_url), GradeSettings(), DayRange(), None, progress=False).execute([exports])
    assert counts.set_aside == 1
    (reason,) = counts.set_aside_reasons
    assert "：" in reason and len(reason) > 40 and not reason.endswith(")")  # the whole reason, details too
    assert chinese_reason("这一行读不懂：JSONDecodeError: x (unreadable line)") == "这一行读不懂：JSONDecodeError: x"
