"""Where parts are graded: in this process, in a pool of worker processes, or on a Dask cluster.

Every runner takes the parts (files, in input order) and yields their batches in input order,
whichever worker finished first; at most a few parts per worker are in flight, so memory stays
bounded however many chats the day holds.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator

from grader.engines.work import Batch, Job, grade_part, grade_part_list

ENGINES = ("processes", "dask")
IN_FLIGHT_PER_WORKER = 2


def run_in_process(parts: Iterable[str], job: Job) -> Iterator[Batch]:
    """One worker: batches are stored as they are graded (an interrupted run keeps whole batches)."""
    for part in parts:
        yield from grade_part(part, job)


def run_in_pool(parts: Iterable[str], job: Job, workers: int) -> Iterator[Batch]:
    pool = ProcessPoolExecutor(workers, initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        yield from _in_order(parts, lambda part: pool.submit(grade_part_list, part, job),
                             workers * IN_FLIGHT_PER_WORKER)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def die_with_parent(parent: int) -> None:
    """In a worker process: end when the parent ends, even by kill -9 (Linux PR_SET_PDEATHSIG), so
    no worker outlives the run that started it."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)


def run_on_dask(parts: Iterable[str], job: Job, workers: int, scheduler: str | None = None) -> Iterator[Batch]:
    """On the cluster at `scheduler` (host:port), or on a local cluster of `workers` processes.

    Workers read the input files themselves (the paths must be the same on every worker) and
    look up already graded chats in the database (`--db` must be reachable from every worker);
    only this process writes.
    """
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        slots = max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))
        yield from _in_order(parts, lambda part: client.submit(grade_part_list, part, job, pure=False),
                             slots * IN_FLIGHT_PER_WORKER)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _in_order(parts: Iterable[str], submit: Callable, limit: int) -> Iterator[Batch]:
    pending: deque = deque()
    for part in parts:
        pending.append(submit(part))
        if len(pending) >= limit:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()
