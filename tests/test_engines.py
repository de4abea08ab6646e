"""One worker, several worker processes and Dask grade the same chats into the same scorecards."""
import json

import pytest

from bench.generate import generate
from grader.batch import GradeSettings, Run
from grader.dates import DayRange
from grader.store import Store, scorecards

DAY = DayRange.from_args(day="2026-11-22")


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """60 chats of both scenarios in JSONL, Qianniu text and CSV files, plus a broken line."""
    folder = generate(60, tmp_path_factory.mktemp("exports"), seed=3, per_file=10, jobs=1)
    with open(folder / "export-00000.jsonl", "a", encoding="utf-8") as f:
        f.write("{broken json\n")
    return folder


def _grade(tmp_path, exports, name, **kw):
    store = Store(str(tmp_path / f"{name}.db"))
    counts = Run(store, GradeSettings(), DAY, tmp_path / name, progress=False, batch_size=7, **kw).execute([exports])
    files = {f: (tmp_path / name / f).read_text(encoding="utf-8")
             for f in ("scorecards.jsonl", "scorecards.csv", "set_aside.jsonl")}
    return store, counts, files


def test_one_worker_and_a_process_pool_give_the_same_scorecards(tmp_path, exports):
    _, one, files_one = _grade(tmp_path, exports, "one", workers=1)
    _, two, files_two = _grade(tmp_path, exports, "two", workers=2)
    assert one.graded > 50 and one.set_aside == 1 and one.reconciles
    assert one.as_dict() | {"seconds": None} == two.as_dict() | {"seconds": None}
    assert files_one == files_two
    ids = [json.loads(line)["transcript_id"] for line in files_one["scorecards.jsonl"].splitlines()]
    assert len(ids) == one.graded and ids[:5] == sorted(ids[:5])  # input order


def test_dask_local_cluster_gives_the_same_scorecards(tmp_path, exports):
    distributed = pytest.importorskip("distributed")
    _, one, files_one = _grade(tmp_path, exports, "one", workers=1)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        _, on_dask, files_dask = _grade(tmp_path, exports, "dask", engine="dask", scheduler=cluster.scheduler_address)
    assert one.as_dict() | {"seconds": None} == on_dask.as_dict() | {"seconds": None}
    assert files_one["scorecards.jsonl"] == files_dask["scorecards.jsonl"]
    assert files_one == files_dask


def test_large_jsonl_files_are_split_into_slices_with_the_same_result(tmp_path, exports, monkeypatch):
    import grader.engines

    _, whole, files_whole = _grade(tmp_path, exports, "whole", workers=1)
    monkeypatch.setattr(grader.engines, "SPLIT_BYTES", 5000)
    parts = list(grader.engines.parts_of([exports]))
    assert sum(isinstance(p, grader.engines.Slice) for p in parts) > 6
    _, split, files_split = _grade(tmp_path, exports, "split", workers=2)
    assert whole.as_dict() | {"seconds": None} == split.as_dict() | {"seconds": None}
    assert files_whole == files_split  # the broken line keeps its line number


def test_a_rerun_on_workers_reuses_what_is_graded(tmp_path, exports):
    store, first, _ = _grade(tmp_path, exports, "first", workers=2)
    again = Run(store, GradeSettings(), DAY, tmp_path / "again", workers=2, progress=False).execute([exports])
    assert (again.graded, again.unchanged) == (0, first.graded)
    assert store.count(scorecards) == first.graded
    assert (tmp_path / "again" / "scorecards.jsonl").read_text(encoding="utf-8") == \
        (tmp_path / "first" / "scorecards.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize("enabled", [pytest.param(True, id="collector-on-paused-per-batch"),
                                     pytest.param(False, id="caller-turned-it-off-and-keeps-it-off")])
def test_pausing_the_garbage_collector_changes_no_scorecard(tmp_path, exports, monkeypatch, enabled):
    import contextlib
    import gc

    import grader.engines.work as work

    _, paused, files_paused = _grade(tmp_path, exports, "paused", workers=1)
    monkeypatch.setattr(work, "gc_paused", contextlib.nullcontext)  # the collector runs as it likes
    _, running, files_running = _grade(tmp_path, exports, "running", workers=1)
    assert files_paused == files_running
    assert paused.as_dict() | {"seconds": None} == running.as_dict() | {"seconds": None}
    monkeypatch.undo()
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with work.gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled  # left as found
    finally:
        (gc.enable if was else gc.disable)()
