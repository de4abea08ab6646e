"""Grading one part of the input (a file), the same code wherever it runs.

A part is read, the day's chats picked, what is already graded skipped, and the rest graded in
batches. Each batch comes back as plain rows (JSON strings, tuples, dicts) in input order, ready
for the database and the scorecard files: the process that writes does no parsing, grading or
pydantic work, and nothing heavy is pickled between processes.

The grader, its lexicons and jieba are loaded once per process (`GradeSettings.grader()`), and so is
the database connection used to look up what is already graded (`_store`).
"""
from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator


from grader.dates import DayRange
from grader.engines import read_part
from grader.pipeline import Grader
from grader.scorecard.export import csv_row
from grader.settings import GradeSettings
from grader.store import Store, content_hash, scorecard_rows, versions_key
from grader.transcript.model import Transcript
from grader.transcript.reader import SetAside


@dataclass(frozen=True)
class Job:
    """What every part needs to know; small and picklable (sent along with each part)."""

    settings: GradeSettings
    days: DayRange
    db_url: str
    vkey: str
    batch_size: int
    masker: object = None  # grader.privacy.Masker: workers list each new scorecard's PII for the files


@dataclass
class Graded:
    """One scorecard, serialized: the rows the writer stores and writes as they are."""

    transcript_id: str
    rows: tuple[dict, dict, list[dict]]  # for Store.save_rows
    json: str  # the scorecard JSON, for the database and scorecards.jsonl
    csv: list  # the scorecards.csv row
    total: int
    flagged: list[str]  # labels of items needing review
    pii: list = field(default_factory=list)  # (clear, masked) pairs for the files (Masker.pairs)


@dataclass
class Batch:
    """A batch of a part, in input order: each entry a Graded, a SetAside, or the id of a chat
    whose current scorecard is still valid (unchanged)."""

    entries: list = field(default_factory=list)
    read: int = 0
    out_of_range: int = 0
    chats: int = 0  # in the day's range (graded, unchanged or set aside while grading)
    seconds: Counter = field(default_factory=Counter)


# --- per-process state -------------------------------------------------------------------------
_stores: dict[tuple[int, str], Store] = {}  # by process id too: a forked worker opens its own


def _store(url: str) -> Store:
    key = (os.getpid(), url)
    if key not in _stores:
        _stores[key] = Store(url)
    return _stores[key]


def use_store(store: Store) -> None:
    """Let grading in this process look things up through an already open store."""
    _stores[(os.getpid(), store.url)] = store


# --- grading a part ----------------------------------------------------------------------------
def grade_part(part, job: Job) -> Iterator[Batch]:
    """Batches of one part: a file, a slice of one, or a path that is not there (one set-aside)."""

    grader = job.settings.grader()
    store = _store(job.db_url)
    batch, pending = Batch(), []  # pending: the batch's entries, with transcripts to grade in place
    clock = time.perf_counter()
    for item in read_part(part):
        batch.read += 1
        if isinstance(item, SetAside):
            pending.append(item)
        elif not job.days.contains(item):
            batch.out_of_range += 1
        else:
            pending.append(item)
            batch.chats += 1
            if batch.chats >= job.batch_size:
                batch.seconds["read"] += time.perf_counter() - clock
                yield _finish(batch, pending, grader, store, job)
                batch, pending = Batch(), []
                clock = time.perf_counter()
    batch.seconds["read"] += time.perf_counter() - clock
    if pending or batch.read:
        yield _finish(batch, pending, grader, store, job)


def grade_part_list(part, job: Job) -> list[Batch]:
    """All batches of a part at once (for worker processes, which return one result per task)."""
    return list(grade_part(part, job))


def _finish(batch: Batch, pending: list, grader: Grader, store: Store, job: Job) -> Batch:
    """Grade what is new or changed in the batch; everything else keeps its place as is."""
    start = time.perf_counter()
    chats = [t for t in pending if isinstance(t, Transcript)]
    ids = [t.id for t in chats]
    done = store.graded_keys(ids)
    scenarios = store.scenario_overrides(ids)
    hashes = {id(t): content_hash(t) for t in chats}
    batch.seconds["read"] += time.perf_counter() - start  # lookups count as reading
    detect_before = grader.detect_seconds
    start = time.perf_counter()
    for t in pending:
        if isinstance(t, SetAside):
            batch.entries.append(t)
        elif (t.id, hashes[id(t)], job.vkey) in done:
            batch.entries.append(t.id)
        else:
            batch.entries.append(_grade_one(grader, t, scenarios.get(t.id), hashes[id(t)], job.masker))
    detect = grader.detect_seconds - detect_before
    batch.seconds["detect"] += detect
    batch.seconds["score"] += time.perf_counter() - start - detect
    return batch


def job_vkey(grader: Grader) -> str:
    """The versions key of the grader's scorecards (computed once per grader)."""
    key = getattr(grader, "_vkey", None)
    if key is None:
        key = grader._vkey = versions_key(grader.versions)
    return key


def _grade_one(grader: Grader, t: Transcript, scenario: str | None, chash: str,
               masker=None) -> Graded | SetAside:
    """A chat that makes a detector fail is set aside; the rest of the batch goes on."""
    try:
        card = grader.grade(t, scenario)
    except Exception as exc:  # a bug on one chat must not stop the batch
        return SetAside(file=t.source_file or "", line=t.source_line, transcript_id=t.id,
                        reason=f"评分出错（{type(exc).__name__}: {exc}），请报告此会话")
    rows = scorecard_rows(t, card, chash, job_vkey(grader), grader.tz)
    pii = masker.pairs([t.id, t.shop, t.agent, t.customer, t.source_file, *t.notes,
                        *(m.text for m in t.messages)]) if masker is not None else []
    return Graded(transcript_id=t.id, rows=rows, json=rows[1]["json"], csv=csv_row(card, grader.rubric),
                  total=card.total, flagged=[i.label for i in card.items if i.needs_review], pii=pii)

