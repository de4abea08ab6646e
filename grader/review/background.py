"""Long computations of the review app (month aggregates, calibration reports), off the request path.

Pages read what is stored; when it is missing or stale they ask `Refresher.submit(key, args)`: one
worker thread runs `grader precompute ARGS` as a child process, one job at a time, each at most once
queued. The child has its own interpreter, memory and database connections, so the server answers
every other request meanwhile (/healthz included) and its own memory stays that of its pages,
whatever the job needs. The database is named to the child through $GRADER_DB (a URL may carry a
password: never on a command line). A failed job is never silent: the child's error output (its
last `LOG_LINES` lines, the traceback included) goes to the server's log, and its last line is kept
for the page (`failure(key)`, with the time); the same key is not started again for
`RETRY_AFTER_SECONDS`, so a page reloading itself does not start a failing job over and over.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("grader.review")
JOB_TIMEOUT_SECONDS = 3 * 3600
RETRY_AFTER_SECONDS = 600
LOG_LINES = 40


class Refresher:
    """One background worker running `grader precompute` jobs on database `url`."""

    def __init__(self, url: str):
        self.url = url
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grader-refresh")
        self._lock = threading.Lock()
        self._jobs: dict[str, Future] = {}
        self._failed: dict[str, str] = {}

    def submit(self, key: str, args: list[str]) -> bool:
        """Queue `grader precompute *args` under `key` unless one is queued or running, or it failed less
        than `RETRY_AFTER_SECONDS` ago; True when queued now."""
        with self._lock:
            running = self._jobs.get(key)
            if running is not None and not running.done():
                return False
            failed = self._failed.get(key)
            if failed is not None and time.monotonic() - failed[1] < RETRY_AFTER_SECONDS:
                return False
            self._failed.pop(key, None)
            self._jobs[key] = self._pool.submit(self._run, key, args)
            return True

    def _run(self, key: str, args: list[str]) -> None:
        env = {**os.environ, "GRADER_DB": self.url}
        began = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-m", "grader.cli", "precompute", *args], env=env,
                                  capture_output=True, text=True, timeout=JOB_TIMEOUT_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as exc:
            done, lines = None, [str(exc)]
        if done is not None and done.returncode == 0:
            log.info("background job %s done in %.1f s", key, time.perf_counter() - began)
            return
        if done is not None:
            lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        log.error("background job %s failed after %.1f s:\n%s", key, time.perf_counter() - began,
                  "\n".join(lines[-LOG_LINES:]))
        with self._lock:
            self._failed[key] = (lines[-1], time.monotonic(), time.time())

    def busy(self, key: str) -> bool:
        """Whether the job under `key` is queued or running."""
        with self._lock:
            job = self._jobs.get(key)
            return job is not None and not job.done()

    def failure(self, key: str) -> str | None:
        """The last line of the error output of the job under `key`, when it failed and is not running again."""
        with self._lock:
            failed = self._failed.get(key)
            return failed[0] if failed else None

    def wait(self, timeout: float | None = None) -> None:
        """Block until every job queued so far is done (tests, shutdown)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.exception(timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
