"""Grading one part of the input (a file), the same code wherever it runs.

A part is read, the day's chats picked, what is already graded skipped, and the rest graded in
batches. Each batch comes back as plain rows (JSON strings, tuples, dicts) in input order, ready
for the database and the scorecard files: the process that writes does no parsing, grading or
pydantic work, and nothing heavy is pickled between processes.

The grader, its lexicons and jieba are loaded once per process (`GradeSettings.grader()`), and so is
the database connection used to look up what is already graded (`_store`).
"""
from __future__ import annotations

import gc
import os
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Iterator


from grader.dates import DayRange
from grader.engines import read_part
from grader.pipeline import Grader
from grader.scorecard.export import csv_row
from grader.settings import GradeSettings
from grader.store import ChatRows, Store, chat_rows, content_hash, search
from grader.transcript.model import Transcript
from grader.transcript.reader import SetAside
from grader.transcript.screen import fit_to_grade


@dataclass(frozen=True)
class Job:
    """What every part needs to know; small and picklable (sent along with each part)."""

    settings: GradeSettings
    days: DayRange
    db_url: str
    vkey: str
    batch_size: int
    masker: object = None  # grader.privacy.Masker: workers list each new scorecard's PII for the files


@dataclass(frozen=True)
class Unchanged:
    """A chat whose current scorecard is still valid (same content, same versions)."""

    transcript_id: str
    owner: tuple[str, str]  # (platform, shop): a chat id is unique only within its shop
    content_hash: str
    source_file: str | None = None
    source_line: int | None = None


@dataclass
class Graded:
    """One scorecard, serialized: the rows the writer stores and writes as they are."""

    transcript_id: str
    owner: tuple[str, str]
    content_hash: str
    source_file: str | None
    source_line: int | None
    rows: ChatRows  # for Store.save_rows
    json: str  # the scorecard's line of scorecards.jsonl (its supervisor view)
    csv: list  # the scorecards.csv row
    total: int
    flagged: list[str]  # labels of items needing review
    pii: list = field(default_factory=list)  # (clear, masked) pairs for the files (Masker.pairs)


@dataclass
class Batch:
    """A batch of a part, in input order: each entry a Graded, a SetAside, or an Unchanged."""

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


_frozen: set[int] = set()  # processes whose loaded state (grader, lexicons, jieba) is frozen


@contextmanager
def gc_paused():
    """No garbage collection while a batch is read and graded; one collection after it.

    Grading allocates hundreds of short-lived objects per chat that reference counting frees at
    once, yet each allocation counts toward the collector's next pass, which then walks every
    live object (the grader, lexicons, the batch so far): about a tenth of a run for nothing.
    What was loaded once per process is frozen (`gc.freeze`) so later passes skip it, and a
    collection of the youngest generation after each batch (everything the batch allocated, since
    nothing was collected meanwhile) frees any cycles, so memory stays flat.
    """
    if not gc.isenabled():  # the caller manages the collector
        yield
        return
    if os.getpid() not in _frozen:
        gc.collect()
        gc.freeze()
        _frozen.add(os.getpid())
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)  # what the batch allocated is all still young: no walk over the rest of the heap


# --- grading a part ----------------------------------------------------------------------------
def grade_part(part, job: Job) -> Iterator[Batch]:
    """Batches of one part: a file, a slice of one, or a path that is not there (one set-aside).
    The collector is paused while each batch is read and graded (`gc_paused`), not while the
    caller holds it."""

    grader = job.settings.grader()
    store = _store(job.db_url)
    reading = read_part(part, session_gap(job.settings.options))
    while True:
        with gc_paused():
            batch = _next_batch(reading, grader, store, job)
        if batch is None:
            return
        yield batch


def _next_batch(reading: Iterator, grader: Grader, store: Store, job: Job) -> Batch | None:
    """The next batch read from `reading` and graded, or None when the part is done."""
    batch, pending = Batch(), []  # pending: the batch's entries, with transcripts to grade in place
    clock = time.thread_time()
    for item in reading:
        batch.read += 1
        if isinstance(item, SetAside):
            pending.append(item)
        elif not job.days.contains(item):
            batch.out_of_range += 1
        elif isinstance(item := fit_to_grade(item), SetAside):
            pending.append(item)
        else:
            pending.append(item)
            batch.chats += 1
            if batch.chats >= job.batch_size:
                batch.seconds["read"] += time.thread_time() - clock
                return _finish(batch, pending, grader, store, job)
    batch.seconds["read"] += time.thread_time() - clock
    if pending or batch.read:
        return _finish(batch, pending, grader, store, job)
    return None


def grade_part_list(part, job: Job) -> list[Batch]:
    """All batches of a part at once (for worker processes, which return one result per task)."""
    return list(grade_part(part, job))


def _finish(batch: Batch, pending: list, grader: Grader, store: Store, job: Job) -> Batch:
    """Grade what is new or changed in the batch; everything else keeps its place as is."""
    start = time.thread_time()
    chats = [t for t in pending if isinstance(t, Transcript)]
    ids = [t.id for t in chats]
    done = store.graded_keys(ids)
    scenarios = store.scenario_overrides(ids)
    hashes = {id(t): content_hash(t) for t in chats}
    stored_owner = _stored_owners(store, chats, hashes, done)
    batch.seconds["read"] += time.thread_time() - start  # lookups count as reading
    detect_before = grader.detect_seconds
    start = time.thread_time()
    graded = []
    for t in pending:
        if isinstance(t, SetAside):
            batch.entries.append(t)
        elif t.id in stored_owner and stored_owner[t.id] != owner_of(t):
            batch.entries.append(collision(t.id, t.source_file, t.source_line, stored_owner[t.id], "数据库里已有"))
        elif (t.id, hashes[id(t)], job.vkey) in done:
            batch.entries.append(Unchanged(t.id, owner_of(t), hashes[id(t)], t.source_file, t.source_line))
        else:
            entry = _grade_one(grader, t, scenarios.get(t.id))
            batch.entries.append(entry)
            if not isinstance(entry, SetAside):
                graded.append((len(batch.entries) - 1, t, entry))
    indexing = search.spent()
    rows = chat_rows([(t, card) for _, t, card in graded], store.packer, grader.tz,
                     [hashes[id(t)] for _, t, _ in graded], grader.lexicons)
    index = search.spent() - indexing
    for (pos, t, card), row in zip(graded, rows):
        batch.entries[pos] = Graded(transcript_id=card.transcript_id, owner=owner_of(t), content_hash=hashes[id(t)],
                                    source_file=t.source_file, source_line=t.source_line, rows=row, json=row.view,
                                    csv=csv_row(card, grader.rubric, grader.tz), total=card.total,
                                    flagged=[i.label for i in card.items if i.needs_review],
                                    pii=_pii(job.masker, t))
    detect = grader.detect_seconds - detect_before
    batch.seconds["detect"] += detect
    batch.seconds["index"] += index
    batch.seconds["score"] += time.thread_time() - start - detect - index
    return batch


def _grade_one(grader: Grader, t: Transcript, scenario: str | None):
    """The scorecard; a chat that makes a detector fail is set aside and the rest of the batch goes on."""
    try:
        return grader.grade(t, scenario)
    except Exception as exc:  # a bug on one chat must not stop the batch
        return SetAside(file=t.source_file or "", line=t.source_line, transcript_id=t.id,
                        reason=f"评分出错（{type(exc).__name__}: {exc}），请报告此会话")


def _pii(masker, t: Transcript) -> list:
    """(clear, masked) pairs of the chat's personal information, for the files (Masker.pairs)."""
    if masker is None:
        return []
    return masker.pairs([t.id, t.shop, t.agent, t.customer, t.source_file, *t.notes, *(m.text for m in t.messages)])


def session_gap(options: dict) -> timedelta | None:
    """The idle gap that ends a chat, from the run's options ("session_gap_minutes")."""
    minutes = options.get("session_gap_minutes")
    return timedelta(minutes=float(minutes)) if minutes else None


def owner_of(t: Transcript) -> tuple[str, str]:
    """(platform, shop) of a chat: export ids are unique only within one shop's export."""
    return (t.platform or "unknown", t.shop or "")


def collision(tid: str, file: str | None, line: int | None, other: tuple[str, str], where: str) -> SetAside:
    """A chat whose id is already taken by a chat of another shop or platform: set aside loudly.
    `other` is the (platform, shop) holding the id; `where` says where that chat was met."""
    shown = "/".join(x for x in other if x and x != "unknown") or "未知店铺"
    return SetAside(file=file or "", line=line, transcript_id=tid,
                    reason=f"会话ID与其他店铺重复：{tid} 与{where}的另一家店铺（{shown}）的会话同号，为免覆盖已搁置；"
                           "请让导出带上店铺或改用唯一的会话ID (id collision)")


def _stored_owners(store: Store, chats: list[Transcript], hashes: dict, done: set) -> dict[str, tuple[str, str]]:
    """(platform, shop) of the stored chats whose id is met here with other content (rare: an
    updated export, or another shop's chat with the same id)."""
    stored = {key[0]: key[1] for key in done}
    changed = [t.id for t in chats if t.id in stored and stored[t.id] != hashes[id(t)]]
    return {tid: (card.platform or "unknown", card.shop or "")
            for tid, card in store.current_scorecards(changed).items()}
