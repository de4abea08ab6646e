"""Long computations of the review app (month aggregates, calibration reports), off the request path.

Pages read what is stored; when it is missing or stale they ask `Refresher.submit(key, job)`: one
worker thread runs the jobs one at a time, each at most once queued, on a `Store` of its own (its own
connections), so every other request — /healthz included — is answered meanwhile. A failed job is
logged and its message kept for the page (`failure(key)`).
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("grader.review")


class Refresher:
    """One background worker; `job(store)` gets the worker's own Store on database `url`."""

    def __init__(self, url: str):
        self.url = url
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grader-refresh")
        self._lock = threading.Lock()
        self._jobs: dict[str, Future] = {}
        self._failed: dict[str, str] = {}
        self._store = None

    def _own_store(self):
        if self._store is None:
            from grader.store import Store
            self._store = Store(self.url)
        return self._store

    def submit(self, key: str, job) -> bool:
        """Queue `job` under `key` unless one is queued or running; True when queued now."""
        with self._lock:
            running = self._jobs.get(key)
            if running is not None and not running.done():
                return False
            self._failed.pop(key, None)
            self._jobs[key] = self._pool.submit(self._run, key, job)
            return True

    def _run(self, key: str, job) -> None:
        try:
            job(self._own_store())
        except Exception as exc:  # the page says so; the next visit tries again
            log.exception("background job %s failed", key)
            with self._lock:
                self._failed[key] = f"{type(exc).__name__}: {exc}"

    def busy(self, key: str) -> bool:
        """Whether the job under `key` is queued or running."""
        with self._lock:
            job = self._jobs.get(key)
            return job is not None and not job.done()

    def failure(self, key: str) -> str | None:
        with self._lock:
            return self._failed.get(key)

    def wait(self, timeout: float | None = None) -> None:
        """Block until every job queued so far is done (tests, shutdown)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.exception(timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
