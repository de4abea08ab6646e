"""The review web app: queue, scorecard beside the chat, overrides, disputes (FastAPI + Jinja2).

Rules enforced here on the server, whatever the page shows:
- every page needs a signed-in user; every POST a valid per-session CSRF token;
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
"""
from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.sessions import SessionMiddleware
from starlette.templating import Jinja2Templates

from grader.review import disputes as dsp
from grader.review.auth import (ROLE_LABELS, SESSION_IDLE, SESSION_LIFETIME, get_user, session_secret,
                                sign_in)
from grader.review.overrides import (PurgedTranscript, ReviewError, StaleRevision, UnknownTranscript,
                                     apply_override, audit, card_of, change_scenario, final_items, load_card,
                                     mark_reviewed,
                                     review_info)
from grader.review.views import QueueFilters, agents_in, chat_view, latest_day, next_in_queue, queue_rows
from grader.rubric import SCENARIO_LABELS
from grader.store import Store

TEMPLATES = Path(__file__).with_name("templates")
SOURCE_LABELS = {"web": "网页", "cli": "命令行", "dispute": "申诉"}


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True,
                      default_for_string=True), trim_blocks=True, lstrip_blocks=True)
    env.globals.update(SCENARIO_LABELS=SCENARIO_LABELS, ROLE_LABELS=ROLE_LABELS, SOURCE_LABELS=SOURCE_LABELS,
                       STATUS_LABELS=dsp.STATUS_LABELS)
    return env


class Forbidden(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message


def create_app(db: str | None, grader=None, settings=None) -> FastAPI:
    """The review app on database `db` (a path or SQLAlchemy URL).

    `settings` (GradeSettings, as the daily run's: rubric, lexicons, options, tz) grade scenario
    changes and name the bands and days; `grader` (a Grader already loaded) may stand in for them.
    """
    from grader.settings import GradeSettings

    settings = settings or GradeSettings()
    tz = grader.tz if grader is not None else settings.tz
    store = Store(db)
    app = FastAPI(title="grader review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=session_secret(store), session_cookie="grader_review",
                       same_site="strict", max_age=int(SESSION_LIFETIME.total_seconds()))
    templates = Jinja2Templates(env=_env())
    state = {"grader": grader}

    def get_grader():
        if state["grader"] is None:
            state["grader"] = settings.grader()
        return state["grader"]

    def rubric():
        if state["grader"] is not None:
            return state["grader"].rubric
        if "rubric" not in state:
            from grader.rubric import load_rubric
            state["rubric"] = load_rubric(settings.rubric)
        return state["rubric"]

    # --- helpers -------------------------------------------------------------------------------
    def user_of(request: Request) -> dict | None:
        return get_user(store, store.session_user(request.session.get("sid"), SESSION_IDLE))

    def address_of(request: Request) -> str | None:
        return request.client.host if request.client else None

    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = secrets.token_urlsafe(32)
        return token

    def render(request: Request, name: str, context: dict, status: int = 200) -> Response:
        nonce = secrets.token_urlsafe(16)
        context = dict(context, request=request, user=context.get("user", user_of(request)),
                       csrf=csrf_token(request), nonce=nonce, flash=request.session.pop("flash", None))
        response = templates.TemplateResponse(request, name, context, status_code=status)
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    async def form_of(request: Request, role: str | None = "supervisor") -> tuple[dict, dict]:
        """Signed in (401), CSRF token valid (403), role allowed (403) — then the form fields."""
        user = user_of(request)
        if user is None:
            raise Forbidden(401, "请先登录")
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        token = request.session.get("csrf") or ""
        if not token or not hmac.compare_digest(token, form.get("csrf", "")):
            raise Forbidden(403, "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")
        if role is not None and user["role"] != role:
            raise Forbidden(403, "没有权限：只有主管可以修改分数" if role == "supervisor" else "没有权限")
        return user, form

    def may_read(user: dict, transcript_id: str) -> bool:
        if user["role"] == "supervisor":
            return True
        card, _ = load_card(store, transcript_id)
        return bool(user.get("agent_account")) and card.agent == user["agent_account"]

    def card_url(transcript_id: str, q: str = "") -> str:
        return "/card?" + urlencode({"id": transcript_id, "q": q})

    def card_page(request: Request, user: dict, transcript_id: str, q: str = "", status: int = 200,
                  error: str | None = None, attempted: str | None = None) -> Response:
        purged = None
        try:
            card, transcript = load_card(store, transcript_id)
        except PurgedTranscript:  # the scores are shown; the chat text is gone
            with store.reading() as u:
                (_, card), transcript, purged = card_of(u, transcript_id), None, u.purged_at(transcript_id)
        items = final_items(store, transcript_id, rubric())
        disputes = dsp.list_disputes(store, transcript_id)
        by_item: dict[str, list[dict]] = {}
        for d in disputes:
            by_item.setdefault(d["item_id"], []).append(d)
        labels = {i["id"]: i["label"] for i in items}
        labels["scenario"] = "场景"
        return render(request, "scorecard.html", dict(
            user=user, card=card, items=items, messages=chat_view(transcript, items, tz) if transcript else [],
            purged=purged, q=q,
            queue_url="/?" + q if q else "/", state=review_info(store, transcript_id),
            suggested_total=card.total, final_total=sum(i["final"] for i in items),
            final_band=rubric().band(sum(i["final"] for i in items)), audit=audit(store, transcript_id),
            disputes=by_item, open_disputes=[d for d in disputes if d["status"] == "open"], labels=labels,
            error=error, attempted=attempted, transcript=transcript), status)

    # --- errors --------------------------------------------------------------------------------
    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return render(request, "message.html", dict(title="无法操作", message=exc.message), exc.status)

    @app.exception_handler(UnknownTranscript)
    async def _unknown(request: Request, exc: UnknownTranscript):
        return render(request, "message.html", dict(title="找不到", message=str(exc)), 404)

    # --- sign in -------------------------------------------------------------------------------
    def safe_next(value: str | None) -> str:
        value = value or "/"
        return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"

    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request, next: str = "/"):
        return render(request, "login.html", dict(next=safe_next(next), error=None, name=""))

    @app.post("/login")
    async def login(request: Request):
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        token = request.session.get("csrf") or ""
        if not token or not hmac.compare_digest(token, form.get("csrf", "")):
            return render(request, "login.html", dict(next=safe_next(form.get("next")), name=form.get("name", ""),
                                                      error="页面已过期，请重新登录"), 403)
        user, wait = sign_in(store, form.get("name", ""), form.get("password", ""), address_of(request))
        if user is None:
            error, status = "用户名或密码不正确", 401
            if wait:
                error, status = f"登录失败次数过多，已暂时锁定，请 {max(1, -(-wait // 60))} 分钟后再试", 429
            return render(request, "login.html", dict(next=safe_next(form.get("next")), name=form.get("name", ""),
                                                      error=error), status)
        request.session.clear()
        sid = secrets.token_urlsafe(32)
        store.create_session(sid, user["name"], SESSION_LIFETIME, address_of(request))
        request.session["sid"] = sid
        request.session["csrf"] = secrets.token_urlsafe(32)
        return RedirectResponse(safe_next(form.get("next")), status_code=303)

    @app.post("/logout")
    async def logout(request: Request):
        user, _ = await form_of(request, role=None)
        store.end_session(request.session.get("sid"), user["name"])
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    def login_redirect(request: Request) -> Response:
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    # --- queue ---------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    async def queue(request: Request):
        user = user_of(request)
        if user is None:
            return login_redirect(request)
        filters = QueueFilters.from_params(request.query_params, tz)
        own = user["agent_account"] or "" if user["role"] == "agent" else None
        if own is not None:
            filters.agent = own
        rows = queue_rows(store, rubric(), filters, agent_account=own, tz=tz)
        return render(request, "queue.html", dict(
            user=user, rows=rows, f=filters, q=filters.query(), agents=agents_in(store, filters, tz) if own is None else [own],
            bands=[name for _, name in rubric().bands], latest=latest_day(store, tz) if not rows else None,
            card_url=card_url))

    # --- scorecard -----------------------------------------------------------------------------
    @app.get("/card", response_class=HTMLResponse)
    async def card(request: Request, id: str, q: str = ""):
        user = user_of(request)
        if user is None:
            return login_redirect(request)
        if not may_read(user, id):
            raise Forbidden(403, "没有权限：客服只能查看自己的评分卡")
        store.log_access(user["name"], id, address_of(request))
        return card_page(request, user, id, QueueFilters.from_query(q, tz).query() if q else "")

    def refused(request: Request, user: dict, form: dict, exc: ReviewError, attempted: str) -> Response:
        status = 409 if isinstance(exc, StaleRevision) else 400
        message = str(exc)
        if isinstance(exc, StaleRevision):
            message = "保存被拒绝：另一位主管刚刚修改了这张评分卡，你的修改没有保存。下面是当前的数值，请核对后重新提交。"
        return card_page(request, user, form.get("transcript_id", ""), _q(form), status, message, attempted)

    def _q(form: dict) -> str:
        q = form.get("q", "")
        return QueueFilters.from_query(q, tz).query() if q else ""

    def done(request: Request, form: dict, message: str) -> Response:
        request.session["flash"] = message
        return RedirectResponse(card_url(form.get("transcript_id", ""), _q(form)), status_code=303)

    @app.post("/override")
    async def override(request: Request):
        user, form = await form_of(request)
        tid, item = form.get("transcript_id", ""), form.get("item_id", "")
        attempted = f"{item} → {form.get('score', '')} 分（原因：{form.get('reason', '')}）"
        try:
            change = apply_override(store, tid, item, form.get("score", ""), form.get("reason"), user["name"],
                                    expected_revision=_revision(form), source="web")
        except ReviewError as exc:
            return refused(request, user, form, exc, attempted)
        if change.override_id is None:
            return done(request, form, "分数没有变化，未记录")
        return done(request, form, f"已保存：{item} 从 {change.from_value} 改为 {change.to_value} 分")

    @app.post("/scenario")
    async def scenario(request: Request):
        user, form = await form_of(request)
        attempted = f"场景 → {SCENARIO_LABELS.get(form.get('scenario', ''), form.get('scenario', ''))}"
        try:
            change = change_scenario(store, form.get("transcript_id", ""), form.get("scenario", ""),
                                     form.get("reason"), user["name"], _revision(form), "web", get_grader())
        except ReviewError as exc:
            return refused(request, user, form, exc, attempted)
        if change.override_id is None:
            return done(request, form, "场景没有变化")
        return done(request, form, f"场景已改为{SCENARIO_LABELS[change.to_value]}，已按新场景重新评分")

    @app.post("/reviewed")
    async def reviewed(request: Request):
        user, form = await form_of(request)
        tid = form.get("transcript_id", "")
        undo = form.get("undo") == "1"
        try:
            mark_reviewed(store, tid, user["name"], _revision(form), reviewed=not undo)
        except ReviewError as exc:
            return refused(request, user, form, exc, "标记已复核")
        if undo:
            return done(request, form, "已取消复核标记")
        q = _q(form)
        rows = queue_rows(store, rubric(), QueueFilters.from_query(q, tz), tz=tz)
        nxt = next_in_queue(rows, tid)
        if nxt is None:
            request.session["flash"] = "已标记复核。队列中没有其他待复核的评分卡了。"
            return RedirectResponse("/?" + q if q else "/", status_code=303)
        request.session["flash"] = "已标记复核，这是队列中的下一张。"
        return RedirectResponse(card_url(nxt, q), status_code=303)

    # --- disputes ------------------------------------------------------------------------------
    @app.post("/dispute")
    async def dispute(request: Request):
        user, form = await form_of(request, role="agent")
        tid = form.get("transcript_id", "")
        if not may_read(user, tid):
            raise Forbidden(403, "没有权限：只能对自己的评分卡申诉")
        try:
            dsp.open_dispute(store, tid, form.get("item_id", ""), user["name"], form.get("comment", ""),
                             form.get("requested") or None)
        except ReviewError as exc:
            return refused(request, user, form, exc, "申诉")
        return done(request, form, "申诉已提交，等待主管处理")

    @app.post("/dispute/resolve")
    async def resolve(request: Request):
        user, form = await form_of(request)
        try:
            did = int(form.get("dispute_id", ""))
        except ValueError:
            raise Forbidden(400, "申诉编号不正确") from None
        try:
            if form.get("action") == "accept":
                dsp.accept_dispute(store, did, user["name"], form.get("level") or None, form.get("note", ""),
                                   expected_revision=_revision(form))
                message = f"申诉 #{did} 已接受，分数已修改"
            else:
                dsp.reject_dispute(store, did, user["name"], form.get("note", ""))
                message = f"申诉 #{did} 已驳回"
        except ReviewError as exc:
            return refused(request, user, form, exc, f"处理申诉 #{did}")
        return done(request, form, message)

    # --- calibration (supervisors only): agreement with overrides and proposed lexicon changes ---
    @app.get("/calibration", response_class=HTMLResponse)
    async def calibration(request: Request, since: str = "", until: str = ""):
        from grader.calibration import calibrate, render_calibration_html

        user = user_of(request)
        if user is None:
            return login_redirect(request)
        if user["role"] != "supervisor":
            raise Forbidden(403, "没有权限：只有主管可以查看评分校准")
        report = calibrate(store, since or None, until or None, settings.lexicons,
                           period=f"{since or '…'}..{until or '…'}", settings=settings)
        return render(request, "calibration.html", dict(user=user, since=since, until=until,
                                                        body=render_calibration_html(report)))

    from grader.review.month_page import register as month_pages  # self-assessment and the month (issue 18)
    month_pages(app, store=store, render=render, form_of=form_of, user_of=user_of, login_redirect=login_redirect,
                rubric=rubric, tz=tz, forbidden=Forbidden, lexicons_dir=settings.lexicons)

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    app.state.store = store
    return app


def _revision(form: dict) -> int | None:
    """The revision the form was loaded at; a missing or unreadable one never matches (refused as stale)."""
    try:
        return int(form.get("revision", ""))
    except ValueError:
        return -1
