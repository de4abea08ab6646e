"""Calibration pages (supervisors only): GET /calibration (agreement with overrides, proposed lexicon
changes) and the reviewer calibration sessions under /calibration/sessions (blind scoring of one sample)."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from grader.calibration import sessions as cs
from grader.review.overrides import load_card
from grader.review.views import QueueFilters, chat_view, latest_day
from grader.review.web import Forbidden, Posted, context, posted_form, render, supervisor_page

router = APIRouter()
viewer = supervisor_page("没有权限：只有主管可以查看评分校准")
rater = supervisor_page("没有权限：只有主管可以参加校准练习")


@router.get("/calibration", response_class=HTMLResponse)
async def calibration(request: Request, since: str = "", until: str = "", user: dict = Depends(viewer)):
    """The stored report of the period (`grader.calibration.stored`); computed in the background when
    missing or stale, the page meanwhile showing the last one with its time, or saying so.
    Raises Forbidden(400) when `since` or `until` is not a YYYY-MM-DD date."""
    from grader.calibration.stored import calibration_key, stored_calibration

    ctx, refresher = context(request), request.app.state.refresher
    for label, value in (("开始日期", since), ("结束日期", until)):
        if value and not _is_iso_day(value):
            raise Forbidden(400, f"{label}「{value}」不是有效的日期，请写成 2026-11-22 这样的格式（年-月-日）")
    found, fresh = await run_in_threadpool(stored_calibration, ctx.store, since, until, ctx.settings)
    key = calibration_key(since, until)
    if not fresh:
        refresher.submit(key, ["--calibration", "--since", since, "--until", until, *ctx.job_args()])
    return render(request, "calibration.html", dict(
        user=user, since=since, until=until, body=found["body"]["html"] if found else "", stored=found,
        fresh=fresh, computing=refresher.busy(key), failure=refresher.failure(key),
        confidence_warnings=await run_in_threadpool(ctx.confidence_warnings)))


def _is_iso_day(value: str) -> bool:
    """Whether `value` is a date as the forms send it: YYYY-MM-DD."""
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


@router.get("/calibration/sessions", response_class=HTMLResponse)
async def calibration_sessions(request: Request, user: dict = Depends(rater)):
    ctx = context(request)
    with ctx.store.reading() as u:
        supervisors = [x["name"] for x in u.users() if x["role"] == "supervisor"]
    return render(request, "calib_sessions.html", dict(
        user=user, sessions=cs.list_sessions(ctx.store), supervisors=supervisors,
        day=latest_day(ctx.store, ctx.tz) or ""))


def _size(form: dict) -> int:
    try:
        return int(form.get("size", "") or 10)
    except ValueError:
        return 10


@router.post("/calibration/sessions")
async def calibration_create(request: Request, posted: Posted = Depends(posted_form())):
    ctx, form = context(request), posted.form
    raw = await request.form()
    raters = [v for v in raw.getlist("raters") if isinstance(v, str)]
    filters = QueueFilters(since=form.get("since", ""), until=form.get("until", ""))
    try:
        sid = cs.create_session(ctx.store, form.get("name", ""), posted.user["name"],
                                ctx.store.queue_ids(filters.store_query(ctx.tz), 5000), _size(form), raters)
    except cs.SessionError as exc:
        request.session["flash"] = str(exc)
        return RedirectResponse("/calibration/sessions", status_code=303)
    request.session["flash"] = "校准练习已创建：每位参加的主管独立打分，全部打完后才能看到别人的分数和系统的分数。"
    return RedirectResponse(f"/calibration/sessions/{sid}", status_code=303)


def session_or_404(request: Request, sid: int) -> dict:
    """Raises Forbidden(404) for a session that does not exist."""
    try:
        return cs.get_session(context(request).store, sid)
    except cs.SessionError as exc:
        raise Forbidden(404, str(exc)) from None


@router.get("/calibration/sessions/{sid}", response_class=HTMLResponse)
async def calibration_session(request: Request, sid: int, user: dict = Depends(rater)):
    ctx = context(request)
    session = session_or_404(request, sid)
    scores = cs.scores_of(ctx.store, sid)
    mine = cs.done_by(session, scores, user["name"])
    progress = {r: len(cs.done_by(session, scores, r)) for r in session["raters"]}
    rows, totals = [], (None, None)
    visible = cs.may_see_results(session, scores, user["name"])
    if visible:
        cards = ctx.store.current_scorecards(session["transcript_ids"])
        tool = {tid: {i.id: i.score for i in c.items} for tid, c in cards.items()}
        rows = cs.agreement(session, scores, tool, ctx.item_labels())
        totals = cs.overall(rows)
    todo = [t for t in session["transcript_ids"] if t not in mine]
    return render(request, "calib_session.html", dict(
        user=user, s=session, progress=progress, mine=mine, todo=todo, visible=visible, rows=rows,
        totals=totals))


@router.get("/calibration/sessions/{sid}/score", response_class=HTMLResponse)
async def calibration_score_page(request: Request, sid: int, id: str, error: str = "", user: dict = Depends(rater)):
    """Raises Forbidden(404) for a chat outside the session."""
    session = session_or_404(request, sid)
    if id not in session["transcript_ids"]:
        raise Forbidden(404, "这个会话不在这次校准练习里")
    return blind_page(request, user, session, id)


def blind_page(request: Request, user: dict, session: dict, tid: str, error: str | None = None,
               given: dict | None = None, status: int = 200):
    """One chat of a session to score without the tool's or the others' scores."""
    ctx = context(request)
    card, transcript = load_card(ctx.store, tid)
    scores = cs.scores_of(ctx.store, session["id"])
    mine = {s["item_id"]: s["score"] for s in scores if s["rater"] == user["name"] and s["transcript_id"] == tid}
    items = [dict(id=i.id, label=i.label, max=i.max, levels=list(i.levels)) for i in card.items]
    n = session["transcript_ids"].index(tid) + 1
    return render(request, "calib_score.html", dict(
        user=user, s=session, tid=tid, n=n, items=items, messages=chat_view(transcript, [], ctx.tz),
        given=given if given is not None else {k: str(v) for k, v in mine.items()}, error=error,
        scenario=card.scenario_label), status)


@router.post("/calibration/sessions/{sid}/score")
async def calibration_score(request: Request, sid: int, posted: Posted = Depends(posted_form())):
    """Raises Forbidden(400) for a chat outside the session."""
    ctx, user, form = context(request), posted.user, posted.form
    session = session_or_404(request, sid)
    tid = form.get("transcript_id", "")
    try:
        cs.save_scores(ctx.store, sid, tid, user["name"], form)
    except cs.SessionError as exc:
        if tid not in session["transcript_ids"]:
            raise Forbidden(400, str(exc)) from None
        return blind_page(request, user, session, tid, str(exc), form, 400)
    scores = cs.scores_of(ctx.store, sid)
    mine = cs.done_by(session, scores, user["name"])
    todo = [t for t in session["transcript_ids"] if t not in mine]
    if todo:
        request.session["flash"] = f"已保存。还剩 {len(todo)} 个会话。"
        return RedirectResponse(f"/calibration/sessions/{sid}/score?" + urlencode({"id": todo[0]}), status_code=303)
    request.session["flash"] = "你已经打完全部会话，下面是大家和系统的一致情况。"
    return RedirectResponse(f"/calibration/sessions/{sid}", status_code=303)


@router.post("/calibration/sessions/{sid}/close")
async def calibration_close(request: Request, sid: int, posted: Posted = Depends(posted_form())):
    ctx = context(request)
    session_or_404(request, sid)
    try:
        cs.close_session(ctx.store, sid, posted.user["name"])
        request.session["flash"] = "校准练习已结束，所有参加人都能看到结果。"
    except cs.SessionError as exc:
        request.session["flash"] = str(exc)
    return RedirectResponse(f"/calibration/sessions/{sid}", status_code=303)
