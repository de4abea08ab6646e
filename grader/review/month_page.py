"""The month in the review app: agents enter their self-assessment, supervisors see the final grade.

- GET /month?month=YYYY-MM: an agent sees the self-assessment form of that month (this month or the
  last), or what they entered; a supervisor sees every agent's supervisor score, self-assessment,
  final grade, band, rank and pay lines, and the KPIs with links to the chats behind each.
- POST /month/self: an agent enters the month's self-assessment once, item by item with a comment
  each (the policy's `self_assessment` items) or as one total with a comment.

The policy is `app.state.policy_path` (`grader review --policy`; None: the bundled defaults).
"""
from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from grader.dates import month_range
from grader.errors import GraderError
from grader.report.kpis import KPIS
from grader.report.month import build_month, items_json, self_assessment_score, shift_month
from grader.report.policy import load_policy
from grader.store import now_iso


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


def register(app, *, store, render, form_of, user_of, login_redirect, rubric, tz, forbidden, lexicons_dir=None):
    """Add /month and /month/self to the review app (`grader.review.app.create_app` passes its helpers)."""

    def policy():
        return load_policy(getattr(app.state, "policy_path", None))

    loaded: dict = {}

    def lexicons():
        """Loaded once per app (about 1.5 s): the KPIs' order, complaint and refund words."""
        if "lexicons" not in loaded:
            from grader.detectors.lexicon import LexiconSet
            loaded["lexicons"] = LexiconSet.load(lexicons_dir)
        return loaded["lexicons"]

    def agent_page(request: Request, user: dict, month: str, status: int = 200, error: str | None = None,
                   form: dict | None = None):
        with store.reading() as u:
            mine = u.self_assessment(user.get("agent_account") or "", month)
        items = json.loads(mine["items"]) if mine and mine.get("items") else None
        return render(request, "month.html", dict(
            user=user, month=month, months=open_months(tz), mine=mine, mine_items=items,
            items=policy().self_assessment, error=error, form=form or {}, can_enter=month in open_months(tz)), status)

    reports: dict = {}

    def month_report(month: str, p):
        """The month's report, computed again only when the database changed (a month of thousands of
        chats takes a minute); the last few are kept."""
        key = (month, p.model_dump_json(), store.change_stamp())
        if key not in reports:
            if len(reports) >= 4:
                reports.pop(next(iter(reports)))
            reports[key] = build_month(store, month, p, rubric(), lexicons(), tz)
        return reports[key]

    @app.get("/month", response_class=HTMLResponse)
    async def month_page(request: Request, month: str = ""):
        user = user_of(request)
        if user is None:
            return login_redirect(request)
        month = _month(month, tz)
        if user["role"] != "supervisor":
            return agent_page(request, user, month)
        p = policy()
        report = month_report(month, p)
        selfs = store.self_assessments([month])
        rows = []
        for a in sorted(report.agents.values(), key=lambda a: (a.rank or 10 ** 6, a.agent)):
            own = selfs.get((a.agent, month))
            rows.append(dict(a=a, own=own, own_items=json.loads(own["items"]) if own and own.get("items") else None))
        kpi_rows = []
        for agent, k in report.kpis.items():
            cells = []
            for kpi in KPIS:
                v = k.values.get(kpi.id)
                shown = "—" if v is None else (f"{100 * v:.1f}%" if kpi.kind in ("rate", "share") else f"{v:.1f}"
                                                if kpi.kind in ("seconds", "max") else f"{v:g}")
                cells.append(dict(label=kpi.label, value=shown, base=k.bases.get(kpi.id, 0),
                                  chats=k.counted.get(kpi.id, [])))
            kpi_rows.append(dict(agent=agent, chats=k.chats, cells=cells))
        return render(request, "month.html", dict(
            user=user, month=month, months=[shift_month(month, -n) for n in range(0, 6)], rows=rows,
            kpi_rows=kpi_rows, kpi_labels=[k.label for k in KPIS], policy=p, labels={i.id: i.label for i in p.self_assessment},
            alerts=report.alerts(), card_link=lambda tid: "/card?" + urlencode({"id": tid})))

    @app.post("/month/self")
    async def enter_self(request: Request):
        user, form = await form_of(request, role="agent")
        month = _month(form.get("month"), tz)
        if month not in open_months(tz):
            raise forbidden(400, f"只能填写本月或上月的自评，不能填写 {month}")
        account = user.get("agent_account") or ""
        p = policy()
        comment = (form.get("comment") or "").strip()
        try:
            if form.get("mode") == "items":
                items = {}
                for i in p.self_assessment:
                    raw = (form.get(f"score_{i.id}") or "").strip()
                    if raw:
                        items[i.id] = {"score": float(raw), "comment": (form.get(f"comment_{i.id}") or "").strip()}
                total = self_assessment_score(items, None, p)
            else:
                items = None
                raw = (form.get("total") or "").strip()
                total = self_assessment_score(None, float(raw) if raw else None, p)
        except ValueError as exc:
            message = str(exc) if "could not convert" not in str(exc) else "分数必须是数字"
            return agent_page(request, user, month, 400, message, form)
        with store.unit() as u:
            added = u.add_self_assessment(account, month, total, items_json(items), comment, user["name"], now_iso())
        if not added:
            return agent_page(request, user, month, 409, f"{month} 的自评已经提交过，每月只能提交一次")
        request.session["flash"] = f"{month} 的自评已提交：{total:g} 分"
        return RedirectResponse("/month?" + urlencode({"month": month}), status_code=303)
