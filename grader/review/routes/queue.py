"""The queue: GET / (filtered, paged, in the review budget's order) and bulk accept behind the trust gates:
GET /bulk-accept (what it would take and leave, and why) and POST /bulk-accept."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from grader.review import bulk

from grader.review.views import PAGE_SIZE, QueueFilters, latest_day, menu_values, queue_page
from grader.review.web import Posted, card_url, context, posted_form, render, signed_in, supervisor_page

router = APIRouter()
bulk_viewer = supervisor_page("没有权限：只有主管可以批量接受")
PLATFORMS = ["taobao", "jd", "pdd", "douyin"]


@router.get("/", response_class=HTMLResponse)
def queue(request: Request, page: int = 1, size: int = PAGE_SIZE, user: dict = Depends(signed_in)):
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
        card_url=card_url, bulk_min=bulk.MIN_CERTAINTY))


@router.get("/bulk-accept", response_class=HTMLResponse)
async def bulk_preview(request: Request, q: str = "", min_certainty: str = "", user: dict = Depends(bulk_viewer)):
    """What a bulk accept of the queue filter `q` would take and what it leaves for a person, and why."""
    ctx = context(request)
    q = ctx.clean_q(q)
    found = await run_in_threadpool(_plan, ctx, q, bulk.floor_of(min_certainty))
    return render(request, "bulk.html", dict(user=user, plan=found, q=q, left_labels=bulk.LEFT_LABELS,
                                             back="/?" + q if q else "/",
                                             confidence_warnings=await run_in_threadpool(ctx.confidence_warnings)))


def _plan(ctx, q: str, floor: float) -> bulk.BulkPlan:
    rubric = ctx.rubric()
    rows = bulk.trust_rows(ctx.store, rubric, ctx.tz)
    return bulk.plan(ctx.store, ctx.filters(q).store_query(ctx.tz), rubric, rows, floor)


@router.post("/bulk-accept")
async def bulk_accept(request: Request, posted: Posted = Depends(posted_form())):
    """Accept unread, one by one as a single accept is, the filter's cards the trust gates allow
    (`grader.review.bulk`; at most `bulk.MAX_CARDS` per click); then the same page shows what is left."""
    ctx = context(request)
    q = ctx.clean_q(posted.form.get("q", ""))
    floor = bulk.floor_of(posted.form.get("min_certainty"))
    found = await run_in_threadpool(_plan, ctx, q, floor)
    done, refused = await run_in_threadpool(bulk.accept, ctx.store, found, posted.user["name"])
    request.session["flash"] = bulk.plan_lines(found, len(done), refused)[0] + (
        f"；留给人工复核 {found.left_total} 张，原因见下" if found.left else "")
    return RedirectResponse("/bulk-accept?" + urlencode({"q": q, "min_certainty": floor}), status_code=303)
