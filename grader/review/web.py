"""What every route of the review app shares: its context, rendering, and the user/role/CSRF dependencies.

Routes take `user: dict = Depends(signed_in)` (a page: not signed in → redirect to /login), or
`Depends(supervisor_page(message))` (also 403 for an agent), or
`posted: Posted = Depends(posted_form("supervisor"))` (a POST: 401 without a session, 403 for a bad
CSRF token or a role not allowed, then the form fields).
"""
from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from starlette.templating import Jinja2Templates

from grader.display import environment
from grader.review.auth import SESSION_IDLE, get_user
from grader.review.views import QueueFilters
from grader.store import Store


class Forbidden(Exception):
    """Refused: `status` (401, 403, 400, 404) and a Chinese `message`, shown on the message page."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message


class LoginRequired(Exception):
    """A page asked for without a session: answered with a redirect to /login?next=…"""


class ReviewContext:
    """The app's store, settings and zone; the grader and rubric loaded on first use."""

    def __init__(self, store: Store, settings, grader=None):
        self.store = store
        self.settings = settings
        self.tz = grader.tz if grader is not None else settings.tz
        self._grader = grader
        self._rubric = None
        self.templates = Jinja2Templates(env=environment())

    def grader(self):
        """The Grader of the app's settings (scenario changes re-grade with it)."""
        if self._grader is None:
            self._grader = self.settings.grader()
        return self._grader

    def rubric(self):
        """The rubric the cards were graded with (the settings'; loaded once)."""
        if self._grader is not None:
            return self._grader.rubric
        if self._rubric is None:
            from grader.rubric import load_rubric
            self._rubric = load_rubric(self.settings.rubric)
        return self._rubric

    def job_args(self) -> list[str]:
        """The app's settings as `grader precompute` arguments (its background jobs grade alike)."""
        import dataclasses
        import json

        return ["--settings", json.dumps(dataclasses.asdict(self.settings), ensure_ascii=False)]

    def confidence_warnings(self) -> list[str]:
        """Whether the grader's confidence model was fitted against what it runs (`grader.rubric.fitted`), in Chinese."""
        from grader.rubric.fitted import running_warning

        return running_warning(self.grader())

    def item_labels(self) -> dict[str, str]:
        return {i.id: i.label for i in [*self.rubric().items, *self.rubric().red_lines]}

    def filters(self, q: str) -> QueueFilters:
        return QueueFilters.from_query(q, self.tz)

    def clean_q(self, q: str) -> str:
        """A queue query as the queue would write it ("" stays "")."""
        return self.filters(q).query() if q else ""


def context(request: Request) -> ReviewContext:
    """The app's ReviewContext (a dependency)."""
    return request.app.state.review


def user_of(request: Request) -> dict | None:
    """The signed-in user of this request, or None."""
    store = context(request).store
    return get_user(store, store.session_user(request.session.get("sid"), SESSION_IDLE))


def address_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_valid(request: Request, form: dict) -> bool:
    token = request.session.get("csrf") or ""
    return bool(token) and hmac.compare_digest(token, form.get("csrf", ""))


def render(request: Request, name: str, values: dict, status: int = 200) -> Response:
    """Template `name` with the page's user, CSRF token, flash and zone; headers with a per-response CSP nonce."""
    nonce = secrets.token_urlsafe(16)
    ctx = context(request)
    values = dict(values, request=request, user=values.get("user", user_of(request)), tz=values.get("tz", ctx.tz),
                  csrf=csrf_token(request), nonce=nonce, flash=request.session.pop("flash", None))
    response = ctx.templates.TemplateResponse(request, name, values, status_code=status)
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def signed_in(request: Request) -> dict:
    """Dependency of a page: the signed-in user; raises LoginRequired without one."""
    user = user_of(request)
    if user is None:
        raise LoginRequired()
    return user


def supervisor_page(message: str):
    """Dependency factory of a supervisors-only page: the user; Forbidden(403, message) for an agent."""

    def dependency(request: Request) -> dict:
        """The signed-in supervisor. Raises LoginRequired, or Forbidden(403, message) for an agent."""
        user = signed_in(request)
        if user["role"] != "supervisor":
            raise Forbidden(403, message)
        return user

    return dependency


@dataclass
class Posted:
    """A form posted by a signed-in user with a valid CSRF token: the user and the string fields."""

    user: dict
    form: dict


def posted_form(role: str | None = "supervisor"):
    """Dependency factory of a POST: signed in (401), CSRF token valid (403), role allowed (403); the
    dependency raises Forbidden with that status."""

    async def dependency(request: Request) -> Posted:
        """The user and form. Raises Forbidden: 401 no session, 403 bad CSRF token or role not allowed."""
        user = user_of(request)
        if user is None:
            raise Forbidden(401, "请先登录")
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        if not csrf_valid(request, form):
            raise Forbidden(403, "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")
        if role is not None and user["role"] != role:
            raise Forbidden(403, "没有权限：只有主管可以修改分数" if role == "supervisor" else "没有权限")
        return Posted(user, form)

    return dependency


def card_url(transcript_id: str, q: str = "") -> str:
    return "/card?" + urlencode({"id": transcript_id, "q": q})


def login_redirect(request: Request) -> Response:
    from fastapi.responses import RedirectResponse

    target = request.url.path + ("?" + request.url.query if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


_ENGLISH_NOTE = re.compile(r"\s*[（(][a-z][a-z ]*[)）]\s*$")


def plain_message(text: str, labels: dict[str, str]) -> str:
    """A message for the supervisor: item ids replaced by their Chinese names, the English note dropped."""
    text = _ENGLISH_NOTE.sub("", text or "")
    for item_id in sorted(labels, key=len, reverse=True):
        text = text.replace(item_id, labels[item_id])
    return text


def revision_of(form: dict) -> int | None:
    """The revision the form was loaded at; a missing or unreadable one never matches (refused as stale)."""
    try:
        return int(form.get("revision", ""))
    except ValueError:
        return -1
