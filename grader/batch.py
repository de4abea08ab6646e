"""The daily run: read exports, pick the day's chats, grade what is new or changed, store, export."""
from __future__ import annotations

import os
import socket
import sys
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from tqdm import tqdm

from grader.dates import DayRange
from grader.engines import parts_of
from grader.engines.runners import ENGINES, run_in_pool, run_in_process, run_on_dask
from grader.engines.work import Batch, Graded, Job, Unchanged, collision, use_store
from grader.errors import GraderError
from grader.privacy import load_masker
from grader.scorecard.export import ScorecardFiles, csv_row
from grader.settings import GradeSettings
from grader.store import Store, search, versions_key
from grader.transcript.reader import SetAside, chinese_reason

BATCH_SIZE = 500


@dataclass
class RunCounts:
    """read = graded + unchanged + out_of_range + set_aside, always."""

    read: int = 0
    graded: int = 0
    unchanged: int = 0
    out_of_range: int = 0
    set_aside: int = 0
    totals: list[int] = field(default_factory=list, repr=False)
    flagged_items: Counter = field(default_factory=Counter, repr=False)
    set_aside_reasons: Counter = field(default_factory=Counter, repr=False)
    # CPU seconds of work, in the threads that did it: read (parse, pick the day, look up what is
    # graded), detect, score (the card and its packed rows), index (the search's text, made where
    # the chat is graded, and its index rows, written by the writer), summed over workers, and
    # write (database and files, in the writing process, less the index rows).
    seconds: Counter = field(default_factory=Counter, repr=False)

    @property
    def reconciles(self) -> bool:
        return self.read == self.graded + self.unchanged + self.out_of_range + self.set_aside

    @property
    def mean_total(self) -> float | None:
        return round(sum(self.totals) / len(self.totals), 1) if self.totals else None

    def as_dict(self) -> dict:
        d = {k: v for k, v in asdict(self).items()
             if k not in ("totals", "flagged_items", "set_aside_reasons", "seconds")}
        d["mean_total"] = self.mean_total
        d["reconciles"] = self.reconciles
        d["seconds"] = {k: round(self.seconds[k], 2) for k in ("read", "detect", "score", "index", "write")}
        return d


class Run:
    """Grade the chats of `paths` whose day is in `days`.

    engine "processes": in this process when `workers` is 1, else in that many worker processes;
    engine "dask": on the Dask cluster at `scheduler`, or on a local one of `workers` processes.
    The scorecards (database and files) are the same whichever way they are graded.
    """

    def __init__(self, store: Store, settings: GradeSettings, days: DayRange | None = None,
                 out_dir: str | Path | None = None, workers: int = 1, progress: bool | None = None,
                 batch_size: int = BATCH_SIZE, engine: str = "processes", scheduler: str | None = None,
                 masker=None):
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
        self.store = store
        self.settings = settings
        self.grader = settings.grader()  # the same one this process's grading uses: lexicons load once
        self.vkey = versions_key(self.grader.versions)
        self.days = days or DayRange(tz=settings.tz)
        self.out_dir = out_dir
        self.workers = max(1, workers)
        self.batch_size = batch_size
        self.engine = engine
        self.scheduler = scheduler
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.counts = RunCounts()
        self.masker = masker if masker is not None else load_masker()  # for the files (grader.privacy)
        # chat id -> (owner, content hash) of what this run has graded or kept: one scorecard per chat
        self._seen: dict[str, tuple[tuple[str, str], str]] = {}

    def execute(self, paths: list[str | Path], wait_seconds: float = 0, break_lock: bool = False) -> RunCounts:
        """Grade `paths`. Only one run per database at a time: if another is running this waits
        up to `wait_seconds`, then raises RunBusy (nothing is read or written). `break_lock`: take
        the lock whoever holds it (for a run that died on another machine)."""
        with RunLock(self.store, wait_seconds, break_lock):
            return self._execute(paths)

    def _execute(self, paths: list[str | Path]) -> RunCounts:
        run_id = self.store.start_run({"paths": [str(p) for p in paths], "days": self.days.describe(),
                                       "workers": self.workers, "engine": self.engine, "pid": os.getpid()})
        files = ScorecardFiles(self.out_dir, self.grader.rubric, self.grader.tz, self.grader.versions,
                               masker=self.masker) if self.out_dir else None
        status = "failed"
        try:
            with tqdm(disable=not self.progress, unit=" 会话", desc="评分") as bar:
                for batch in self._batches(parts_of(paths)):
                    self._record(batch, run_id, files)
                    bar.update(batch.read)
            status = "ok"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            if files:
                files.close(commit=status == "ok")
            self.store.finish_run(run_id, status, self.counts.as_dict())
        return self.counts

    def _batches(self, parts) -> Iterator[Batch]:
        job = Job(self.settings, self.days, self.store.url, self.vkey, self.batch_size,
                  self.masker if self.out_dir else None)  # no files, nothing to mask
        if self.engine == "dask":
            return run_on_dask(parts, job, self.workers, self.scheduler)
        if self.workers == 1:
            use_store(self.store)
            return run_in_process(parts, job)
        return run_in_pool(parts, job, self.workers)

    def _record(self, batch: Batch, run_id: int, files: ScorecardFiles | None) -> None:
        """Store the batch in one transaction, then write its scorecards and set-asides in input order."""
        start, indexing = time.thread_time(), search.spent()
        entries = [self._once(e) for e in batch.entries]
        graded = [e for e in entries if isinstance(e, Graded)]
        self.store.save_rows([g.rows for g in graded])
        # a re-graded chat keeps its overrides: the queue's final total and band follow them
        self.store.refresh_finals(self.grader.rubric, [g.rows.transcript_id for g in graded])
        unchanged = [e.transcript_id for e in entries if isinstance(e, Unchanged)]
        cached = self.store.current_with_views(unchanged)
        rows, aside = [], []
        for e in entries:
            if isinstance(e, SetAside):
                aside.append(e)
            elif isinstance(e, Graded):
                rows.append((self.masker.apply_pairs(e.json, e.pii), e.csv))
                self.counts.totals.append(e.total)
                self.counts.flagged_items.update(e.flagged)
            elif e.transcript_id in cached:
                card, view = cached[e.transcript_id]
                rows.append((self.masker.mask_json_line(view), csv_row(card, self.grader.rubric, self.grader.tz)))
                self.counts.totals.append(card.total)
                self.counts.flagged_items.update(i.label for i in card.items if i.needs_review)
        self.counts.read += batch.read
        self.counts.out_of_range += batch.out_of_range
        self.counts.graded += len(graded)
        self.counts.unchanged += len(unchanged)
        self._set_aside(aside, run_id, files)
        if files:
            files.write_serialized(rows, json_masked=True)
        self.counts.seconds.update(batch.seconds)
        index = search.spent() - indexing
        self.counts.seconds["index"] += index
        self.counts.seconds["write"] += time.thread_time() - start - index

    def _once(self, entry):
        """The entry, or a SetAside when this run already has a scorecard for the same chat id:
        the same chat again (an export read twice) or another shop's chat with that id."""
        if isinstance(entry, SetAside):
            return entry
        seen = self._seen.get(entry.transcript_id)
        if seen is None:
            self._seen[entry.transcript_id] = (entry.owner, entry.content_hash)
            return entry
        tid, file, line = entry.transcript_id, entry.source_file, entry.source_line
        if seen[0] != entry.owner:
            return collision(tid, file, line, seen[0], "本次运行中")
        same = "内容相同" if seen[1] == entry.content_hash else "内容不同"
        return SetAside(file=file or "", line=line, transcript_id=tid,
                        reason=f"同一会话重复出现：{tid} 在本次运行中再次出现（{same}），只保留第一次的评分 "
                               "(duplicate chat)")

    def _set_aside(self, items: list[SetAside], run_id: int, files) -> None:
        if not items:
            return
        self.counts.set_aside += len(items)
        self.counts.set_aside_reasons.update(chinese_reason(s.reason) for s in items)  # whole, never cut
        self.store.add_set_aside(run_id, items)
        if files:
            files.write_set_aside(items)



class RunBusy(GraderError):
    """Another grading run holds the database."""


class RunLock:
    """One grading run per database at a time (two cron jobs overlapping, a run started twice).

    The lock is a row in the database (`Store.take_run_lock`), so it holds for SQLite and
    PostgreSQL alike and across machines. A holder on this machine whose process is gone (kill -9,
    a crash) is noticed and its lock broken; runs it left marked "running" are marked "killed".
    A holder on another machine is never assumed dead: the error names it, and `force`
    (`grader grade --break-lock`) takes the lock from it.
    """

    POLL_SECONDS = 1.0

    def __init__(self, store: Store, wait_seconds: float = 0, force: bool = False):
        self.store = store
        self.wait_seconds = wait_seconds
        self.force = force
        self.holder = {"host": socket.gethostname(), "pid": os.getpid(), "started": _process_start(os.getpid()),
                       "token": uuid.uuid4().hex, "since": time.strftime("%Y-%m-%d %H:%M:%S")}

    def __enter__(self) -> "RunLock":
        deadline = time.monotonic() + self.wait_seconds
        while True:
            current = self.store.take_run_lock(self.holder)
            if current is None:
                break
            if self.force or _gone(current):
                self.store.break_run_lock(current)
                continue
            if time.monotonic() >= deadline:
                where = "本机" if current.get("host") == self.holder["host"] else f"机器 {current.get('host')}"
                raise RunBusy(f"另一个评分任务正在使用这个数据库（{where}，进程 {current.get('pid')}，"
                              f"自 {current.get('since')} 起）；请等它结束再运行，或加 --wait 分钟数 排队等待；"
                              "若确定它已不在运行（如那台机器已关机），加 --break-lock "
                              "(another grading run holds the database)")
            time.sleep(self.POLL_SECONDS)
        # Only the holder of the lock runs, so any run still marked running died without finishing.
        self.store.mark_runs_killed(self.store.running_runs())
        return self

    def __exit__(self, *exc) -> None:
        self.store.release_run_lock(self.holder)


def _process_start(pid: int) -> str | None:
    """When process `pid` started (Linux clock ticks), so a reused pid is not taken for the holder."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _gone(holder: dict) -> bool:
    """Whether the lock's holder is a process of this machine that no longer runs."""
    if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
        return False
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    started = holder.get("started")
    return started is not None and _process_start(holder["pid"]) not in (None, started)
