"""Long computations of the review app (month aggregates, calibration reports), off the request path.

Pages read what is stored; when it is missing or stale they ask `Refresher.submit(key, args)`: one
worker thread runs `grader precompute ARGS` as a child process, one job at a time, each at most once
queued. The child has its own interpreter, memory and database connections, so the server answers
every other request meanwhile (/healthz included) and its own memory stays that of its pages,
whatever the job needs. The database is named to the child through $GRADER_DB (a URL may carry a
password: never on a command line). A failed job's message is kept for the page (`failure(key)`).
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("grader.review")
JOB_TIMEOUT_SECONDS = 3 * 3600


class Refresher:
    """One background worker running `grader precompute` jobs on database `url`."""

    def __init__(self, url: str):
        self.url = url
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grader-refresh")
        self._lock = threading.Lock()
        self._jobs: dict[str, Future] = {}
        self._failed: dict[str, str] = {}

    def submit(self, key: str, args: list[str]) -> bool:
        """Queue `grader precompute *args` under `key` unless one is queued or running; True when queued now."""
        with self._lock:
            running = self._jobs.get(key)
            if running is not None and not running.done():
                return False
            self._failed.pop(key, None)
            self._jobs[key] = self._pool.submit(self._run, key, args)
            return True

    def _run(self, key: str, args: list[str]) -> None:
        env = {**os.environ, "GRADER_DB": self.url}
        try:
            done = subprocess.run([sys.executable, "-m", "grader.cli", "precompute", *args], env=env,
                                  capture_output=True, text=True, timeout=JOB_TIMEOUT_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as exc:
            done, message = None, str(exc)
        if done is None or done.returncode != 0:
            message = message if done is None else (done.stderr.strip().splitlines() or ["?"])[-1]
            log.error("background job %s failed: %s", key, message)
            with self._lock:
                self._failed[key] = message

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
