"""The daily run: read exports, pick the day's chats, grade what is new or changed, store, export."""
from __future__ import annotations

import sys
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from tqdm import tqdm

from grader.dates import DayRange
from grader.pipeline import Grader
from grader.scorecard.export import ScorecardFiles
from grader.scorecard.model import Scorecard
from grader.store import Store, content_hash, versions_key
from grader.transcript.model import Transcript
from grader.transcript.reader import SetAside, iter_read

BATCH_SIZE = 200


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

    @property
    def reconciles(self) -> bool:
        return self.read == self.graded + self.unchanged + self.out_of_range + self.set_aside

    @property
    def mean_total(self) -> float | None:
        return round(sum(self.totals) / len(self.totals), 1) if self.totals else None

    def as_dict(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if k not in ("totals", "flagged_items", "set_aside_reasons")}
        d["mean_total"] = self.mean_total
        d["reconciles"] = self.reconciles
        return d


@dataclass
class GradeSettings:
    rubric: str | None = None
    lexicons: str | None = None
    options: dict = field(default_factory=dict)

    def grader(self) -> Grader:
        return Grader(self.rubric, self.lexicons, self.options)


# --- grading, in this process or in worker processes (one Grader per process) -------------------
_worker_grader: Grader | None = None


def _init_worker(settings: GradeSettings) -> None:
    global _worker_grader
    _worker_grader = settings.grader()


def grade_many(grader: Grader, work: list[tuple[Transcript, str | None]]) -> list[Scorecard | SetAside]:
    """Grade each (transcript, scenario chosen by a supervisor or None); one that makes a detector
    fail is set aside, the rest go on."""
    results: list[Scorecard | SetAside] = []
    for t, scenario in work:
        try:
            results.append(grader.grade(t, scenario))
        except Exception as exc:  # a bug on one chat must not stop the batch
            results.append(SetAside(file=t.source_file or "", line=t.source_line, transcript_id=t.id,
                                    reason=f"评分出错（{type(exc).__name__}: {exc}），请报告此会话"))
    return results


def _grade_in_worker(work: list[tuple[Transcript, str | None]]) -> list[Scorecard | SetAside]:
    return grade_many(_worker_grader, work)


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Run:
    def __init__(self, store: Store, settings: GradeSettings, days: DayRange = DayRange(),
                 out_dir: str | Path | None = None, workers: int = 1, progress: bool | None = None,
                 batch_size: int = BATCH_SIZE):
        self.store = store
        self.settings = settings
        self.grader = settings.grader()
        self.vkey = versions_key(self.grader.versions)
        self.days = days
        self.out_dir = out_dir
        self.workers = max(1, workers)
        self.batch_size = batch_size
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.counts = RunCounts()

    def execute(self, paths: list[str | Path]) -> RunCounts:
        run_id = self.store.start_run({"paths": [str(p) for p in paths], "days": self.days.describe(),
                                       "workers": self.workers})
        files = ScorecardFiles(self.out_dir, self.grader.rubric) if self.out_dir else None
        status = "failed"
        try:
            with tqdm(disable=not self.progress, unit=" 会话", desc="评分") as bar:
                for batch, results in self._graded_batches(self._select(paths, run_id, files)):
                    self._record(batch, results, run_id, files)
                    bar.update(len(batch))
            status = "ok"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            if files:
                files.close()
            self.store.finish_run(run_id, status, self.counts.as_dict())
        return self.counts

    def _select(self, paths, run_id: int, files) -> Iterator[Transcript]:
        for item in iter_read(paths):
            self.counts.read += 1
            if isinstance(item, SetAside):
                self._set_aside([item], run_id, files)
            elif not self.days.contains(item):
                self.counts.out_of_range += 1
            else:
                yield item

    def _graded_batches(self, transcripts: Iterator[Transcript]):
        """Yield (batch, results); results is None where nothing needs grading (cached cards)."""
        batches = (self._split_new(b) for b in _batches(transcripts, self.batch_size))
        if self.workers == 1:
            for batch, todo in batches:
                yield batch, grade_many(self.grader, todo)
            return
        with ProcessPoolExecutor(self.workers, initializer=_init_worker, initargs=(self.settings,)) as pool:
            pending: deque = deque()
            for batch, todo in batches:
                pending.append((batch, pool.submit(_grade_in_worker, todo)))
                if len(pending) >= 2 * self.workers:  # bounded: memory does not grow with the day
                    b, fut = pending.popleft()
                    yield b, fut.result()
            while pending:
                b, fut = pending.popleft()
                yield b, fut.result()

    def _split_new(self, batch: list[Transcript]) -> tuple[list[Transcript], list[tuple[Transcript, str | None]]]:
        """The batch, and what in it needs grading: new chats, changed content or changed versions."""
        ids = [t.id for t in batch]
        done = self.store.graded_keys(ids)
        scenarios = self.store.scenario_overrides(ids)
        todo = [(t, scenarios.get(t.id)) for t in batch if (t.id, content_hash(t), self.vkey) not in done]
        return batch, todo

    def _record(self, batch: list[Transcript], results: list, run_id: int, files) -> None:
        graded_ids = set()
        pairs, aside = [], []
        by_id = {t.id: t for t in batch}
        for r in results:
            if isinstance(r, SetAside):
                aside.append(r)
            else:
                pairs.append((by_id[r.transcript_id], r))
                graded_ids.add(r.transcript_id)
        self.store.save(pairs)
        self._set_aside(aside, run_id, files)
        failed = {s.transcript_id for s in aside}
        unchanged_ids = [t.id for t in batch if t.id not in graded_ids and t.id not in failed]
        cached = self.store.current_scorecards(unchanged_ids)
        self.counts.graded += len(pairs)
        self.counts.unchanged += len(unchanged_ids)
        cards = [r for _, r in pairs] + [cached[i] for i in unchanged_ids if i in cached]
        order = {t.id: n for n, t in enumerate(batch)}
        cards.sort(key=lambda c: order[c.transcript_id])
        for card in cards:
            self.counts.totals.append(card.total)
            self.counts.flagged_items.update(i.label for i in card.items if i.needs_review)
        if files:
            files.write(cards)

    def _set_aside(self, items: list[SetAside], run_id: int, files) -> None:
        if not items:
            return
        self.counts.set_aside += len(items)
        self.counts.set_aside_reasons.update(s.reason.split("：")[0][:40] for s in items)
        self.store.add_set_aside(run_id, items)
        if files:
            files.write_set_aside(items)
