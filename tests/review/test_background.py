"""The month and calibration pages never hold up other requests while their aggregates are computed.

The computation runs as a child process (`grader precompute`, started by the app's background
worker); while it runs — it takes seconds, its interpreter's start alone — /healthz, the queue and
the page itself are answered at once, and the page says it is computing.
"""
import time
from datetime import datetime

import pytest

from grader.review.app import create_app
from grader.store import Store
from grader.transcript.model import SHANGHAI
from tests.builders import transcript

from .test_app import card_form, client

MONTH = f"{datetime.now(SHANGHAI):%Y-%m}"


@pytest.fixture
def app(db, grader):
    today = datetime.now(SHANGHAI).date().isoformat()
    t = transcript("c 10:00:00 这件有优惠吗", "a 10:00:05 您好，现在满200减30哦", "c 10:01:00 好的，拍了", id="m1", day=today)
    Store(db).save([(t, grader.grade(t))])
    return create_app(db, grader=grader)


@pytest.mark.parametrize("page, key, done", [
    pytest.param("/calibration?since=2026-11-22&until=2026-11-22", "calibration:2026-11-22..2026-11-22", "一致率",
                 id="calibration"),
    pytest.param(f"/month?month={MONTH}", f"month:{MONTH}", "计算于", id="month"),
])
def test_other_requests_are_answered_while_a_page_computes(app, page, key, done):
    c = client(app, "主管甲")
    c.post("/reviewed", data=card_form(c, "t1"))  # a label, for the calibration
    assert "正在后台计算" in c.get(page).text
    refresher = app.state.refresher
    answered = []
    for path in ("/healthz", "/", "/card?id=t1", page):
        began = time.perf_counter()
        r = c.get(path)
        answered.append((path, r.status_code, time.perf_counter() - began < 5, refresher.busy(key)))
    assert answered == [(path, 200, True, True) for path, *_ in answered]  # all answered while it computes
    assert "正在后台计算" in c.get(page).text
    refresher.wait(300)
    assert refresher.failure(key) is None and done in c.get(page).text


@pytest.mark.parametrize("case, args, fails", [
    pytest.param("a month that does not exist", ["--month", "2026-13"], True, id="bad-month"),
    pytest.param("a month with no chats", ["--month", "2020-01"], False, id="empty-month"),
])
def test_a_failed_job_is_logged_with_its_errors_and_kept_for_the_page(db, caplog, case, args, fails):
    from grader.review.background import Refresher

    refresher = Refresher(str(Store(db).url))
    with caplog.at_level("INFO", logger="grader.review"):
        assert refresher.submit("job", args)
        refresher.wait(300)
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    if fails:
        assert refresher.failure("job") and len(errors) == 1 and "job" in errors[0]
        assert refresher.failure("job") in errors[0]  # the page's line is the log's last line
        assert not refresher.submit("job", args)  # not started over at once (a page reloading itself)
    else:
        assert refresher.failure("job") is None and not errors
        assert refresher.submit("job", args)  # a job that succeeded may run again at once
        refresher.wait(300)
    refresher.close()


def test_the_page_shows_a_failed_job(app, monkeypatch):
    c = client(app, "主管甲")
    c.post("/reviewed", data=card_form(c, "t1"))
    app.state.refresher.url = "sqlite:////nonexistent-folder/grader.db"  # the child cannot open it
    c.get("/calibration?since=2026-11-22&until=2026-11-22")
    app.state.refresher.wait(300)
    text = c.get("/calibration?since=2026-11-22&until=2026-11-22").text
    assert "上次后台计算失败" in text and "正在后台计算" not in text
