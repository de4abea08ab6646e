"""The review web app: queue, scorecard beside the chat, overrides, disputes (FastAPI + Jinja2).

Rules enforced here on the server, whatever the page shows:
- every page needs a signed-in user; every POST a valid per-session CSRF token (the dependencies
  of `grader.review.web`);
- the cookie (signed with a secret kept outside the database) carries a random session id that
  the store must know as live: logout ends it on the server, it expires (12 h, 2 h idle);
- sign-in is throttled per account and per address, failures are audited; every card view is
  written to the access log;
- only supervisors change scores, the scenario or the reviewed flag; agents read their own
  scorecards and open disputes;
- a form carries the revision it was loaded at; a stale one is refused with HTTP 409 and the page
  shows the current values;
- chat text is untrusted: templates autoescape, and a CSP with a per-response nonce blocks any
  script that is not ours.

The routes are in `grader.review.routes` (sign-in, queue, card, calibration, month).
"""
from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.middleware.sessions import SessionMiddleware

from grader.review.auth import SESSION_LIFETIME, session_secret
from grader.review.overrides import UnknownTranscript
from grader.review.routes import auth, calibration, card, month, queue
from grader.review.web import Forbidden, LoginRequired, ReviewContext, login_redirect, render
from grader.store import Store


def create_app(db: str | None, grader=None, settings=None) -> FastAPI:
    """The review app on database `db` (a path or SQLAlchemy URL).

    `settings` (GradeSettings, as the daily run's: rubric, lexicons, options, tz) grade scenario
    changes and name the bands and days; `grader` (a Grader already loaded) may stand in for them.
    Raises what `Store(db)` raises for a database it cannot open (grader.errors.ConfigError).
    """
    from grader.settings import GradeSettings

    settings = settings or GradeSettings()
    store = Store(db)
    app = FastAPI(title="grader review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=session_secret(store), session_cookie="grader_review",
                       same_site="strict", max_age=int(SESSION_LIFETIME.total_seconds()))
    app.state.review = ReviewContext(store, settings, grader)
    app.state.month = month.MonthState(settings.lexicons)
    app.state.store = store
    _handle_errors(app)
    for part in (auth, queue, card, calibration, month):
        app.include_router(part.router)

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    store.refresh_finals(app.state.review.rubric())  # chats re-graded since their overrides: the band filter reads these
    return app


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        return login_redirect(request)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return render(request, "message.html", dict(title="无法操作", message=exc.message), exc.status)

    @app.exception_handler(UnknownTranscript)
    async def _unknown(request: Request, exc: UnknownTranscript):
        return render(request, "message.html", dict(title="找不到", message=str(exc)), 404)
