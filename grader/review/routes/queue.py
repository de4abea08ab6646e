"""The queue: GET / (filtered, paged, least certain first) and POST /bulk-accept."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from grader.review.overrides import ReviewError, mark_reviewed
from grader.review.views import PAGE_SIZE, QueueFilters, latest_day, menu_values, queue_page
from grader.review.web import Posted, card_url, context, posted_form, render, signed_in

router = APIRouter()
BULK_MIN_CERTAINTY = 0.8  # bulk accept never takes a card the tool is less sure of
BULK_MAX = 500
PLATFORMS = ["taobao", "jd", "pdd", "douyin"]


@router.get("/", response_class=HTMLResponse)
async def queue(request: Request, page: int = 1, size: int = PAGE_SIZE, user: dict = Depends(signed_in)):
    ctx = context(request)
    store, tz, rubric = ctx.store, ctx.tz, ctx.rubric()
    filters = QueueFilters.from_params(request.query_params, tz)
    own = user["agent_account"] or "" if user["role"] == "agent" else None
    if own is not None:
        filters.agent = own
    size = min(max(1, size), 200)
    found = queue_page(store, rubric, filters, page, size, agent_account=own, tz=tz)
    q = filters.query()
    paging = [("size", size)] if size != PAGE_SIZE else []
    return render(request, "queue.html", dict(
        user=user, page=found, rows=found.rows, f=filters, q=q,
        agents=menu_values(store, "agent") if own is None else [own],
        shops=menu_values(store, "shop"), platforms=list(dict.fromkeys([*PLATFORMS, *menu_values(store, "platform")])),
        items=[(i.id, i.label) for i in rubric.items],
        bands=[name for _, name in rubric.bands], latest=latest_day(store, tz) if not found.total else None,
        page_url=lambda n: "/?" + urlencode([*parse_qsl(q, keep_blank_values=True), *paging, ("page", n)]),
        card_url=card_url, bulk_min=BULK_MIN_CERTAINTY))


def _floor(form: dict) -> float:
    try:
        return max(BULK_MIN_CERTAINTY, float(form.get("min_certainty", "") or BULK_MIN_CERTAINTY))
    except ValueError:
        return BULK_MIN_CERTAINTY


@router.post("/bulk-accept")
async def bulk_accept(request: Request, posted: Posted = Depends(posted_form())):
    """Mark reviewed, one by one as a single accept is, the filtered queue's unreviewed cards the tool is
    sure of (no item needing review, certainty at least the threshold); at most BULK_MAX per click."""
    ctx = context(request)
    q = ctx.clean_q(posted.form.get("q", ""))
    floor = _floor(posted.form)
    filters = ctx.filters(q)
    filters.reviewed = "no"
    ids = ctx.store.queue_ids(filters.store_query(ctx.tz), BULK_MAX, min_certainty=floor, unflagged=True)
    done, refused_ids = 0, []
    for tid in ids:
        try:
            mark_reviewed(ctx.store, tid, posted.user["name"], None, reviewed=True)
            done += 1
        except ReviewError:
            refused_ids.append(tid)
    message = f"已批量接受 {done} 张评分卡（把握不低于 {floor * 100:.0f}%，没有需复核的项目），每张都记录了复核人和时间。"
    if refused_ids:
        message += f"{len(refused_ids)} 张未能标记：{'、'.join(refused_ids[:5])}"
    request.session["flash"] = message
    return RedirectResponse("/?" + q if q else "/", status_code=303)
