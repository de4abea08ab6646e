"""The daily run: read exports, pick the day's chats, grade what is new or changed, store, export."""
from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from tqdm import tqdm

from grader.dates import DayRange
from grader.engines import parts_of
from grader.engines.runners import ENGINES, run_in_pool, run_in_process, run_on_dask
from grader.engines.work import Batch, Graded, Job, use_store
from grader.privacy import load_masker
from grader.scorecard.export import ScorecardFiles, csv_row
from grader.scorecard.model import Scorecard
from grader.settings import GradeSettings
from grader.store import Store, versions_key
from grader.transcript.reader import SetAside

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
    # Seconds of work: read (parse, pick the day, look up what is graded), detect, score
    # (summed over workers), and write (database and files, in the writing process).
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
        d["seconds"] = {k: round(self.seconds[k], 2) for k in ("read", "detect", "score", "write")}
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

    def execute(self, paths: list[str | Path]) -> RunCounts:
        run_id = self.store.start_run({"paths": [str(p) for p in paths], "days": self.days.describe(),
                                       "workers": self.workers, "engine": self.engine})
        files = ScorecardFiles(self.out_dir, self.grader.rubric, self.masker) if self.out_dir else None
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
                files.close()
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
        start = time.perf_counter()
        graded = [e for e in batch.entries if isinstance(e, Graded)]
        self.store.save_rows([g.rows for g in graded])
        unchanged = [e for e in batch.entries if isinstance(e, str)]
        cached = self.store.current_json(unchanged)
        rows, aside = [], []
        for e in batch.entries:
            if isinstance(e, SetAside):
                aside.append(e)
            elif isinstance(e, Graded):
                rows.append((self.masker.apply_pairs(e.json, e.pii), e.csv))
                self.counts.totals.append(e.total)
                self.counts.flagged_items.update(e.flagged)
            elif e in cached:
                card = Scorecard.model_validate_json(cached[e])
                rows.append((self.masker.mask_json_line(cached[e]), csv_row(card, self.grader.rubric)))
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
        self.counts.seconds["write"] += time.perf_counter() - start

    def _set_aside(self, items: list[SetAside], run_id: int, files) -> None:
        if not items:
            return
        self.counts.set_aside += len(items)
        self.counts.set_aside_reasons.update(s.reason.split("：")[0][:40] for s in items)
        self.store.add_set_aside(run_id, items)
        if files:
            files.write_set_aside(items)
