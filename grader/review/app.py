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
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.sessions import SessionMiddleware
from starlette.templating import Jinja2Templates

from grader.calibration import sessions as cs
from grader.review import disputes as dsp
from grader.review.auth import (ROLE_LABELS, SESSION_IDLE, SESSION_LIFETIME, get_user, session_secret,
                                sign_in)
from grader.review.overrides import (PurgedTranscript, ReviewError, StaleRevision, UnknownTranscript,
                                     apply_override, audit, card_of, change_scenario, final_items, final_red_lines,
                                     final_total, load_card, mark_reviewed,
                                     review_info)
from grader.review.views import (PAGE_SIZE, PLATFORM_LABELS, QueueFilters, chat_view, latest_day, menu_values, neighbours,
                                 next_in_queue, queue_page)
from grader.rubric import SCENARIO_LABELS
from grader.store import Store

TEMPLATES = Path(__file__).with_name("templates")
SOURCE_LABELS = {"web": "网页", "cli": "命令行", "dispute": "申诉", "bulk": "批量接受"}
BULK_MIN_CERTAINTY = 0.8  # bulk accept never takes a card the tool is less sure of
BULK_MAX = 500


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True,
                      default_for_string=True), trim_blocks=True, lstrip_blocks=True)
    env.globals.update(PLATFORM_LABELS=PLATFORM_LABELS, SCENARIO_LABELS=SCENARIO_LABELS, ROLE_LABELS=ROLE_LABELS, SOURCE_LABELS=SOURCE_LABELS,
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
    templates.env.filters["local"] = lambda value: local_text(value, tz)
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
                  error: str | None = None, attempted: str | None = None, kept: dict | None = None) -> Response:
        """The card beside its chat; after a refused save `kept` ({item_id, score, reason}) refills that form."""
        purged = None
        try:
            card, transcript = load_card(store, transcript_id)
        except PurgedTranscript:  # the scores are shown; the chat text is gone
            with store.reading() as u:
                (_, card), transcript, purged = card_of(u, transcript_id), None, u.purged_at(transcript_id)
        items = final_items(store, transcript_id, rubric())
        own = user.get("agent_account") or "" if user["role"] == "agent" else None
        prev_id, next_id = neighbours(store, QueueFilters.from_query(q, tz), transcript_id, own, tz)
        total = final_total(store, transcript_id, rubric())  # the final card's: the rubric's N/A policy
        disputes = dsp.list_disputes(store, transcript_id)
        by_item: dict[str, list[dict]] = {}
        for d in disputes:
            by_item.setdefault(d["item_id"], []).append(d)
        red_lines = final_red_lines(store, transcript_id, rubric())
        labels = {i["id"]: i["label"] for i in items + red_lines}
        labels["scenario"] = "场景"
        return render(request, "scorecard.html", dict(
            user=user, card=card, items=items, red_lines=red_lines,
            messages=chat_view(transcript, items + red_lines, tz) if transcript else [],
            purged=purged, q=q,
            queue_url="/?" + q if q else "/", state=review_info(store, transcript_id),
            suggested_total=card.total, final_total=total, final_band=rubric().band(total),
            audit=audit(store, transcript_id),
            disputes=by_item, open_disputes=[d for d in disputes if d["status"] == "open"], labels=labels,
            error=error, attempted=attempted, kept=kept or {}, transcript=transcript, tz=tz,
            prev_url=card_url(prev_id, q) if prev_id else None, next_url=card_url(next_id, q) if next_id else None),
            status)

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
    async def queue(request: Request, page: int = 1, size: int = PAGE_SIZE):
        user = user_of(request)
        if user is None:
            return login_redirect(request)
        filters = QueueFilters.from_params(request.query_params, tz)
        own = user["agent_account"] or "" if user["role"] == "agent" else None
        if own is not None:
            filters.agent = own
        size = min(max(1, size), 200)
        found = queue_page(store, rubric(), filters, page, size, agent_account=own, tz=tz)
        q = filters.query()
        paging = [("size", size)] if size != PAGE_SIZE else []
        return render(request, "queue.html", dict(
            user=user, page=found, rows=found.rows, f=filters, q=q,
            agents=menu_values(store, "agent") if own is None else [own],
            shops=menu_values(store, "shop"), platforms=list(dict.fromkeys(["taobao", "jd", "pdd", "douyin", *menu_values(store, "platform")])),
            items=[(i.id, i.label) for i in rubric().items],
            bands=[name for _, name in rubric().bands], latest=latest_day(store, tz) if not found.total else None,
            page_url=lambda n: "/?" + urlencode([*parse_qsl(q, keep_blank_values=True), *paging, ("page", n)]),
            card_url=card_url, bulk_min=BULK_MIN_CERTAINTY))

    @app.post("/bulk-accept")
    async def bulk_accept(request: Request):
        """Mark reviewed, one by one as a single accept is, the filtered queue's unreviewed cards the tool is
        sure of (no item needing review, certainty at least the threshold); at most BULK_MAX per click."""
        user, form = await form_of(request)
        q = _q(form)
        try:
            floor = max(BULK_MIN_CERTAINTY, float(form.get("min_certainty", "") or BULK_MIN_CERTAINTY))
        except ValueError:
            floor = BULK_MIN_CERTAINTY
        filters = QueueFilters.from_query(q, tz)
        filters.reviewed = "no"
        ids = store.queue_ids(filters.store_query(tz), BULK_MAX, min_certainty=floor, unflagged=True)
        done, refused_ids = 0, []
        for tid in ids:
            try:
                mark_reviewed(store, tid, user["name"], None, reviewed=True)
                done += 1
            except ReviewError:
                refused_ids.append(tid)
        message = f"已批量接受 {done} 张评分卡（把握不低于 {floor * 100:.0f}%，没有需复核的项目），每张都记录了复核人和时间。"
        if refused_ids:
            message += f"{len(refused_ids)} 张未能标记：{'、'.join(refused_ids[:5])}"
        request.session["flash"] = message
        return RedirectResponse("/?" + q if q else "/", status_code=303)

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
        """The card again with the reason in Chinese and the supervisor's choice kept in its form."""
        status = 409 if isinstance(exc, StaleRevision) else 400
        message = plain_message(str(exc), item_labels())
        if isinstance(exc, StaleRevision):
            message = "保存被拒绝：另一位主管刚刚修改了这张评分卡，你的修改没有保存。下面是当前的数值，请核对后重新提交。"
        kept = {k: form.get(k, "") for k in ("item_id", "score", "reason")}
        return card_page(request, user, form.get("transcript_id", ""), _q(form), status, message,
                         plain_message(attempted, item_labels()), kept)

    def item_labels() -> dict[str, str]:
        return {i.id: i.label for i in [*rubric().items, *rubric().red_lines]}

    def _q(form: dict) -> str:
        q = form.get("q", "")
        return QueueFilters.from_query(q, tz).query() if q else ""

    def done(request: Request, form: dict, message: str, anchor: str = "") -> Response:
        request.session["flash"] = plain_message(message, item_labels())
        target = card_url(form.get("transcript_id", ""), _q(form)) + (f"#item-{anchor}" if anchor else "")
        return RedirectResponse(target, status_code=303)

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
            return done(request, form, "分数没有变化，未记录", item)
        return done(request, form, f"已保存：{item} 从 {change.from_value} 改为 {change.to_value} 分", item)

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
        nxt = next_in_queue(store, QueueFilters.from_query(q, tz), tid, tz)
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

    # --- reviewer calibration sessions (supervisors only): blind scoring of one sample ---------------
    def supervisor_page(request: Request) -> dict | Response:
        user = user_of(request)
        if user is None:
            return login_redirect(request)
        if user["role"] != "supervisor":
            raise Forbidden(403, "没有权限：只有主管可以参加校准练习")
        return user

    @app.get("/calibration/sessions", response_class=HTMLResponse)
    async def calibration_sessions(request: Request):
        user = supervisor_page(request)
        if isinstance(user, Response):
            return user
        with store.reading() as u:
            supervisors = [x["name"] for x in u.users() if x["role"] == "supervisor"]
        return render(request, "calib_sessions.html", dict(
            user=user, sessions=cs.list_sessions(store), supervisors=supervisors, day=latest_day(store, tz) or ""))

    @app.post("/calibration/sessions")
    async def calibration_create(request: Request):
        user, form = await form_of(request)
        raw = await request.form()
        raters = [v for v in raw.getlist("raters") if isinstance(v, str)]
        filters = QueueFilters(since=form.get("since", ""), until=form.get("until", ""))
        try:
            size = int(form.get("size", "") or 10)
        except ValueError:
            size = 10
        try:
            sid = cs.create_session(store, form.get("name", ""), user["name"],
                                    store.queue_ids(filters.store_query(tz), 5000), size, raters)
        except cs.SessionError as exc:
            request.session["flash"] = str(exc)
            return RedirectResponse("/calibration/sessions", status_code=303)
        request.session["flash"] = "校准练习已创建：每位参加的主管独立打分，全部打完后才能看到别人的分数和系统的分数。"
        return RedirectResponse(f"/calibration/sessions/{sid}", status_code=303)

    def session_or_404(sid: int) -> dict:
        try:
            return cs.get_session(store, sid)
        except cs.SessionError as exc:
            raise Forbidden(404, str(exc)) from None

    @app.get("/calibration/sessions/{sid}", response_class=HTMLResponse)
    async def calibration_session(request: Request, sid: int):
        user = supervisor_page(request)
        if isinstance(user, Response):
            return user
        session = session_or_404(sid)
        scores = cs.scores_of(store, sid)
        mine = cs.done_by(session, scores, user["name"])
        progress = {r: len(cs.done_by(session, scores, r)) for r in session["raters"]}
        rows, totals = [], (None, None)
        visible = cs.may_see_results(session, scores, user["name"])
        if visible:
            cards = store.current_scorecards(session["transcript_ids"])
            tool = {tid: {i.id: i.score for i in c.items} for tid, c in cards.items()}
            rows = cs.agreement(session, scores, tool, {i.id: i.label for i in rubric().items})
            totals = cs.overall(rows)
        todo = [t for t in session["transcript_ids"] if t not in mine]
        return render(request, "calib_session.html", dict(
            user=user, s=session, progress=progress, mine=mine, todo=todo, visible=visible, rows=rows,
            totals=totals))

    @app.get("/calibration/sessions/{sid}/score", response_class=HTMLResponse)
    async def calibration_score_page(request: Request, sid: int, id: str, error: str = ""):
        user = supervisor_page(request)
        if isinstance(user, Response):
            return user
        session = session_or_404(sid)
        if id not in session["transcript_ids"]:
            raise Forbidden(404, "这个会话不在这次校准练习里")
        return blind_page(request, user, session, id)

    def blind_page(request, user, session, tid, error=None, given=None, status=200):
        card, transcript = load_card(store, tid)
        scores = cs.scores_of(store, session["id"])
        mine = {s["item_id"]: s["score"] for s in scores if s["rater"] == user["name"] and s["transcript_id"] == tid}
        items = [dict(id=i.id, label=i.label, max=i.max, levels=list(i.levels)) for i in card.items]
        n = session["transcript_ids"].index(tid) + 1
        return render(request, "calib_score.html", dict(
            user=user, s=session, tid=tid, n=n, items=items, messages=chat_view(transcript, [], tz),
            given=given if given is not None else {k: str(v) for k, v in mine.items()}, error=error,
            scenario=card.scenario_label), status)

    @app.post("/calibration/sessions/{sid}/score")
    async def calibration_score(request: Request, sid: int):
        user, form = await form_of(request)
        session = session_or_404(sid)
        tid = form.get("transcript_id", "")
        try:
            cs.save_scores(store, sid, tid, user["name"], form)
        except cs.SessionError as exc:
            if tid not in session["transcript_ids"]:
                raise Forbidden(400, str(exc)) from None
            return blind_page(request, user, session, tid, str(exc), form, 400)
        scores = cs.scores_of(store, sid)
        mine = cs.done_by(session, scores, user["name"])
        todo = [t for t in session["transcript_ids"] if t not in mine]
        if todo:
            request.session["flash"] = f"已保存。还剩 {len(todo)} 个会话。"
            return RedirectResponse(f"/calibration/sessions/{sid}/score?" + urlencode({"id": todo[0]}), status_code=303)
        request.session["flash"] = "你已经打完全部会话，下面是大家和系统的一致情况。"
        return RedirectResponse(f"/calibration/sessions/{sid}", status_code=303)

    @app.post("/calibration/sessions/{sid}/close")
    async def calibration_close(request: Request, sid: int):
        user, form = await form_of(request)
        session_or_404(sid)
        try:
            cs.close_session(store, sid, user["name"])
            request.session["flash"] = "校准练习已结束，所有参加人都能看到结果。"
        except cs.SessionError as exc:
            request.session["flash"] = str(exc)
        return RedirectResponse(f"/calibration/sessions/{sid}", status_code=303)
    from grader.review.month_page import register as month_pages  # self-assessment and the month (issue 18)
    month_pages(app, store=store, render=render, form_of=form_of, user_of=user_of, login_redirect=login_redirect,
                rubric=rubric, tz=tz, forbidden=Forbidden, lexicons_dir=settings.lexicons)

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    store.refresh_finals(rubric())  # chats re-graded since their overrides: the queue's band filter reads these
    app.state.store = store
    return app


def local_text(value: str | None, tz) -> str:
    """A stored UTC ISO time as local "YYYY-MM-DD HH:MM" in the app's zone ("" for none)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


_ENGLISH_NOTE = re.compile(r"\s*[（(][a-z][a-z ]*[)）]\s*$")


def plain_message(text: str, labels: dict[str, str]) -> str:
    """A message for the supervisor: item ids replaced by their Chinese names, the English note dropped."""
    text = _ENGLISH_NOTE.sub("", text or "")
    for item_id in sorted(labels, key=len, reverse=True):
        text = text.replace(item_id, labels[item_id])
    return text


def _revision(form: dict) -> int | None:
    """The revision the form was loaded at; a missing or unreadable one never matches (refused as stale)."""
    try:
        return int(form.get("revision", ""))
    except ValueError:
        return -1
