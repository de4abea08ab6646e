"""The month in the review app: agents enter their self-assessment, supervisors see the final grade.

- GET /month?month=YYYY-MM: an agent sees the self-assessment form of that month (this month or the
  last), or what they entered; a supervisor sees every agent's supervisor score, self-assessment,
  final grade, band, rank and pay lines (from the queue's stored columns, at once), and the KPIs
  from the month's precomputed aggregate (`grader.report.precompute`), each with a link to the
  chats behind it. A missing or stale aggregate is computed again in the background
  (`app.state.refresher`); the page shows the last one with its time and reloads itself meanwhile.
- GET /month/drill?month=&agent=&kpi=&page=: one page of the chats behind one agent's KPI.
- POST /month/self: an agent enters the month's self-assessment once, item by item with a comment
  each (the policy's `self_assessment` items) or as one total with a comment.

The policy is `app.state.policy_path` (`grader review --policy`; None: the bundled defaults).
"""
from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from grader.dates import month_range, utc_bounds
from grader.errors import GraderError
from grader.report.kpis import KPIS
from grader.report.month import _alerts, items_json, month_grades, month_history, self_assessment_score, shift_month
from grader.report.policy import load_policy
from grader.report.precompute import month_key, month_stamp, stored_agent_kpis, stored_month
from grader.review.web import Forbidden, Posted, context, posted_form, render, signed_in, supervisor_page
from grader.store import now_iso

router = APIRouter()


def open_months(tz) -> list[str]:
    """The months an agent may enter a self-assessment for: this month and the last."""
    this = datetime.now(tz).strftime("%Y-%m")
    return [this, shift_month(this, -1)]


def _month(value: str | None, tz) -> str:
    value = (value or "").strip() or open_months(tz)[0]
    try:
        month_range(value)
    except GraderError:
        return open_months(tz)[0]
    return value


DRILL_PAGE = 50  # chats per drill-down page


def policy(request: Request):
    return load_policy(getattr(request.app.state, "policy_path", None))


def month_job(request: Request, month: str) -> list[str]:
    """`grader precompute` arguments of the month's aggregate, with the app's policy and settings."""
    policy_path = getattr(request.app.state, "policy_path", None)
    return ["--month", month, *(["--policy", str(policy_path)] if policy_path else []), *context(request).job_args()]


def agent_page(request: Request, user: dict, month: str, status: int = 200, error: str | None = None,
               form: dict | None = None):
    """An agent's month: the self-assessment form, or what was entered."""
    ctx = context(request)
    with ctx.store.reading() as u:
        mine = u.self_assessment(user.get("agent_account") or "", month)
    items = json.loads(mine["items"]) if mine and mine.get("items") else None
    return render(request, "month.html", dict(
        user=user, month=month, months=open_months(ctx.tz), mine=mine, mine_items=items,
        items=policy(request).self_assessment, error=error, form=form or {},
        can_enter=month in open_months(ctx.tz)), status)


def _kpi_shown(kpi, v) -> str:
    if v is None:
        return "—"
    if kpi.kind in ("rate", "share"):
        return f"{100 * v:.1f}%"
    return f"{v:.1f}" if kpi.kind in ("seconds", "max") else f"{v:g}"


def kpi_rows(month: str, body: dict) -> list[dict]:
    """Per agent of a stored aggregate: each KPI as shown, its base, how many chats it counts and the
    link to them."""
    rows = []
    for agent, k in stored_agent_kpis(body).items():
        cells = [dict(label=kpi.label, value=_kpi_shown(kpi, k.values.get(kpi.id)), base=k.bases.get(kpi.id, 0),
                      counted=body["agents"][agent]["counted"].get(kpi.id, 0),
                      url="/month/drill?" + urlencode({"month": month, "agent": agent, "kpi": kpi.id}))
                 for kpi in KPIS]
        rows.append(dict(agent=agent, chats=k.chats, cells=cells))
    return rows


def supervisor_view(request: Request, month: str, p) -> dict:
    """Everything the supervisor's month page shows (sync: run in the threadpool); starts the
    aggregate's computation in the background when it is missing or stale."""
    ctx, refresher = context(request), request.app.state.refresher
    agents = month_grades(ctx.store, month, p, tz=ctx.tz)
    _alerts(month, agents, month_history(ctx.store, month, p, ctx.tz), p)
    stored = stored_month(ctx.store, month)
    fresh = bool(stored) and stored["stamp"] == month_stamp(ctx.store, p, ctx.settings.lexicons)
    key = month_key(month)
    if not fresh and agents:
        refresher.submit(key, month_job(request, month))
    body = stored["body"] if stored else {}
    selfs = ctx.store.self_assessments([month])
    rows = []
    for a in sorted(agents.values(), key=lambda a: (a.rank or 10 ** 6, a.agent)):
        own = selfs.get((a.agent, month))
        rows.append(dict(a=a, own=own, own_items=json.loads(own["items"]) if own and own.get("items") else None))
    alerts = [(a.agent, text) for a in agents.values() for text in a.alerts]
    if without := body.get("without_text", []):
        alerts.append(("（全体）", f"{len(without)} 个会话的聊天记录已不在数据库中，成绩照常计入，但不计入指标："
                                 + "、".join(without[:20]) + ("…" if len(without) > 20 else "")))
    return dict(rows=rows, kpi_rows=kpi_rows(month, body), alerts=alerts, stored=stored, fresh=fresh,
                computing=refresher.busy(key), failure=refresher.failure(key),
                review=ctx.store.review_figures(*utc_bounds(*month_range(month), ctx.tz)),
                sample_rate=ctx.store.review_sample()[0])


@router.get("/month", response_class=HTMLResponse)
async def month_page(request: Request, month: str = "", user: dict = Depends(signed_in)):
    ctx = context(request)
    month = _month(month, ctx.tz)
    if user["role"] != "supervisor":
        return await run_in_threadpool(agent_page, request, user, month)
    p = policy(request)
    view = await run_in_threadpool(supervisor_view, request, month, p)
    return render(request, "month.html", dict(
        user=user, month=month, months=[shift_month(month, -n) for n in range(0, 6)], **view,
        kpi_labels=[k.label for k in KPIS], policy=p, labels={i.id: i.label for i in p.self_assessment}))


@router.get("/month/drill", response_class=HTMLResponse)
def month_drill(request: Request, month: str = "", agent: str = "", kpi: str = "", page: int = 1,
                user: dict = Depends(supervisor_page("没有权限：只有主管可以查看团队指标"))):
    """One page of the chats one agent's KPI of the month counts, with why each is counted.
    Raises Forbidden(404) for an unknown KPI."""
    ctx = context(request)
    found = next((k for k in KPIS if k.id == kpi), None)
    if found is None:
        raise Forbidden(404, f"没有指标 {kpi}")
    month, page = _month(month, ctx.tz), max(1, page)
    total, rows = ctx.store.counted_page(month, agent, kpi, (page - 1) * DRILL_PAGE, DRILL_PAGE)
    pages = max(1, -(-total // DRILL_PAGE))

    def link(n: int) -> str:
        return "/month/drill?" + urlencode({"month": month, "agent": agent, "kpi": kpi, "page": n})

    return render(request, "month_drill.html", dict(
        user=user, month=month, agent=agent, kpi=found, total=total, rows=rows, page=page, pages=pages,
        prev_url=link(page - 1) if page > 1 else None, next_url=link(page + 1) if page < pages else None,
        card_link=lambda tid: "/card?" + urlencode({"id": tid})))


def _self_total(form: dict, p) -> tuple[dict | None, float]:
    """The self-assessment's items (None: one total) and its score, from the form; ValueError if unreadable."""
    if form.get("mode") == "items":
        items = {}
        for i in p.self_assessment:
            raw = (form.get(f"score_{i.id}") or "").strip()
            if raw:
                items[i.id] = {"score": float(raw), "comment": (form.get(f"comment_{i.id}") or "").strip()}
        return items, self_assessment_score(items, None, p)
    raw = (form.get("total") or "").strip()
    return None, self_assessment_score(None, float(raw) if raw else None, p)


@router.post("/month/self")
async def enter_self(request: Request, posted: Posted = Depends(posted_form(role="agent"))):
    """Raises Forbidden(400) for a month that is not this month or the last."""
    ctx, user, form = context(request), posted.user, posted.form
    month = _month(form.get("month"), ctx.tz)
    if month not in open_months(ctx.tz):
        raise Forbidden(400, f"只能填写本月或上月的自评，不能填写 {month}")
    account = user.get("agent_account") or ""
    comment = (form.get("comment") or "").strip()
    try:
        items, total = _self_total(form, policy(request))
    except ValueError as exc:
        message = str(exc) if "could not convert" not in str(exc) else "分数必须是数字"
        return agent_page(request, user, month, 400, message, form)
    with ctx.store.unit() as u:
        added = u.add_self_assessment(account, month, total, items_json(items), comment, user["name"], now_iso())
    if not added:
        return agent_page(request, user, month, 409, f"{month} 的自评已经提交过，每月只能提交一次")
    request.session["flash"] = f"{month} 的自评已提交：{total:g} 分"
    return RedirectResponse("/month?" + urlencode({"month": month}), status_code=303)
