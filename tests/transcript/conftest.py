"""Fixtures shared by the reader tests."""
import signal

import pytest


class Hang(Exception):
    """A step did not finish within its `deadline` seconds."""


def _alarm(_signum, _frame):
    raise Hang


@pytest.fixture
def deadline():
    """Fail instead of hanging: `deadline(s)` arms a SIGALRM that raises `Hang` after s seconds
    (`deadline(0)` disarms it)."""
    old = signal.signal(signal.SIGALRM, _alarm)
    yield lambda seconds: signal.alarm(seconds)
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)
