"""The month in the review app: agents enter their self-assessment, supervisors see the final grade.

- GET /month?month=YYYY-MM: an agent sees the self-assessment form of that month (this month or the
  last), or what they entered; a supervisor sees every agent's supervisor score, self-assessment,
  final grade, band, rank and pay lines, and the KPIs with links to the chats behind each.
- POST /month/self: an agent enters the month's self-assessment once, item by item with a comment
  each (the policy's `self_assessment` items) or as one total with a comment.

The policy is `app.state.policy_path` (`grader review --policy`; None: the bundled defaults).
The app's lexicons (the KPIs' words) and its last few month reports are kept on `app.state.month`.
"""
from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from grader.dates import month_range, utc_bounds
from grader.errors import GraderError
from grader.report.kpis import KPIS
from grader.report.month import build_month, items_json, self_assessment_score, shift_month
from grader.report.policy import load_policy
from grader.review.web import Forbidden, Posted, context, posted_form, render, signed_in
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


class MonthState:
    """What the month pages keep per app: the lexicons (loaded once, about 1.5 s) and the last few reports."""

    def __init__(self, lexicons_dir):
        self.lexicons_dir = lexicons_dir
        self._lexicons = None
        self.reports: dict = {}

    def lexicons(self):
        """The KPIs' order, complaint and refund words."""
        if self._lexicons is None:
            from grader.detectors.lexicon import LexiconSet
            self._lexicons = LexiconSet.load(self.lexicons_dir)
        return self._lexicons


def policy(request: Request):
    return load_policy(getattr(request.app.state, "policy_path", None))


def month_report(request: Request, month: str, p):
    """The month's report, computed again only when the database changed (a month of thousands of
    chats takes a minute); the last few are kept."""
    ctx, state = context(request), request.app.state.month
    key = (month, p.model_dump_json(), ctx.store.change_stamp())
    if key not in state.reports:
        if len(state.reports) >= 4:
            state.reports.pop(next(iter(state.reports)))
        state.reports[key] = build_month(ctx.store, month, p, ctx.rubric(), state.lexicons(), ctx.tz)
    return state.reports[key]


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


def kpi_rows(report) -> list[dict]:
    """Per agent: each KPI as shown, its base and the chats behind it."""
    rows = []
    for agent, k in report.kpis.items():
        cells = [dict(label=kpi.label, value=_kpi_shown(kpi, k.values.get(kpi.id)), base=k.bases.get(kpi.id, 0),
                      chats=k.counted.get(kpi.id, [])) for kpi in KPIS]
        rows.append(dict(agent=agent, chats=k.chats, cells=cells))
    return rows


@router.get("/month", response_class=HTMLResponse)
async def month_page(request: Request, month: str = "", user: dict = Depends(signed_in)):
    ctx = context(request)
    month = _month(month, ctx.tz)
    if user["role"] != "supervisor":
        return agent_page(request, user, month)
    p = policy(request)
    report = month_report(request, month, p)
    selfs = ctx.store.self_assessments([month])
    review = ctx.store.review_figures(*utc_bounds(*month_range(month), ctx.tz))
    rows = []
    for a in sorted(report.agents.values(), key=lambda a: (a.rank or 10 ** 6, a.agent)):
        own = selfs.get((a.agent, month))
        rows.append(dict(a=a, own=own, own_items=json.loads(own["items"]) if own and own.get("items") else None))
    return render(request, "month.html", dict(
        user=user, month=month, months=[shift_month(month, -n) for n in range(0, 6)], rows=rows,
        kpi_rows=kpi_rows(report), kpi_labels=[k.label for k in KPIS], policy=p,
        labels={i.id: i.label for i in p.self_assessment},
        alerts=report.alerts(), card_link=lambda tid: "/card?" + urlencode({"id": tid}), review=review,
        sample_rate=ctx.store.review_sample()[0]))


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
