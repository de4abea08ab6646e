"""The month and calibration pages never hold up other requests while their aggregates are computed.

The computation is made to wait on an event; meanwhile /healthz, the queue and the page itself are
answered at once (a page that computed on the event loop, or in the request, would hang until it was
released — a timer releases it after 30 s so such a failure ends instead of hanging the suite).
"""
import threading
import time
from datetime import datetime

import pytest

import grader.calibration
import grader.review.month_page as month_page
from grader.review.app import create_app
from grader.transcript.model import SHANGHAI

from .test_app import client


@pytest.fixture
def app(db, grader):
    return create_app(db, grader=grader)


def held(monkeypatch, module, name):
    """Make `module.name` wait for the returned event before doing its work; the started event is set on entry."""
    release, started = threading.Event(), threading.Event()
    real = getattr(module, name)

    def waiting(*args, **kwargs):
        started.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, waiting)
    threading.Timer(30, release.set).start()
    return release, started


def answered_meanwhile(c, page: str, still: str) -> None:
    for path in ("/healthz", "/", page):
        began = time.perf_counter()
        r = c.get(path)
        assert r.status_code == 200 and time.perf_counter() - began < 5, path
    assert still in c.get(page).text  # the same computation, not a second one


MONTH = f"{datetime.now(SHANGHAI):%Y-%m}"


@pytest.mark.parametrize("page, key, module, name, waiting, done", [
    pytest.param("/calibration?since=2026-11-22&until=2026-11-22", "calibration:2026-11-22..2026-11-22",
                 grader.calibration, "calibrate", "正在后台计算", "一致率", id="calibration"),
    pytest.param(f"/month?month={MONTH}", f"month:{MONTH}", month_page, "refresh_month", "正在后台计算",
                 "计算于", id="month"),
])
def test_other_requests_are_answered_while_a_page_computes(app, grader, monkeypatch, page, key, module, name,
                                                           waiting, done):
    if name == "refresh_month":  # the month needs chats of this month
        from grader.store import Store
        from tests.builders import transcript
        today = datetime.now(SHANGHAI).date().isoformat()
        t = transcript("c 10:00:00 这件有优惠吗", "a 10:00:05 您好，现在满200减30哦", "c 10:01:00 好的，拍了",
                       id="m1", day=today)
        Store(app.state.store.url).save([(t, grader.grade(t))])
    release, started = held(monkeypatch, module, name)
    c = client(app, "主管甲")
    assert waiting in c.get(page).text
    assert started.wait(30), "the computation never started"
    answered_meanwhile(c, page, waiting)
    assert app.state.refresher.busy(key)
    release.set()
    app.state.refresher.wait(120)
    assert done in c.get(page).text
