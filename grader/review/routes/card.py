"""A scorecard beside its chat: GET /card, and the supervisor's and agent's POSTs on it
(/override, /scenario, /reviewed, /dispute, /dispute/resolve)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from grader.review import disputes as dsp
from grader.review.overrides import (PurgedTranscript, ReviewError, StaleRevision, apply_override, audit, card_of,
                                     change_scenario, final_items, final_red_lines, final_total, load_card,
                                     mark_reviewed,
                                     review_info)
from grader.review.views import chat_view, neighbours, next_in_queue
from grader.review.web import (Forbidden, Posted, ReviewContext, address_of, card_url, context, plain_message,
                               posted_form, render, revision_of, signed_in)
from grader.rubric import SCENARIO_LABELS

router = APIRouter()


def may_read(ctx: ReviewContext, user: dict, transcript_id: str) -> bool:
    """Supervisors read every card; an agent only the cards of his own account."""
    if user["role"] == "supervisor":
        return True
    card, _ = load_card(ctx.store, transcript_id)
    return bool(user.get("agent_account")) and card.agent == user["agent_account"]


def _loaded(ctx: ReviewContext, transcript_id: str):
    """(card, transcript or None, purged-at or None): a purged chat keeps its scores, its text is gone."""
    try:
        card, transcript = load_card(ctx.store, transcript_id)
        return card, transcript, None
    except PurgedTranscript:
        with ctx.store.reading() as u:
            return card_of(u, transcript_id)[1], None, u.purged_at(transcript_id)


def card_page(request: Request, user: dict, transcript_id: str, q: str = "", status: int = 200,
              error: str | None = None, attempted: str | None = None, kept: dict | None = None) -> Response:
    """The card beside its chat; after a refused save `kept` ({item_id, score, reason}) refills that form."""
    ctx = context(request)
    store, tz, rubric = ctx.store, ctx.tz, ctx.rubric()
    card, transcript, purged = _loaded(ctx, transcript_id)
    items = final_items(store, transcript_id, rubric)
    own = user.get("agent_account") or "" if user["role"] == "agent" else None
    prev_id, next_id = neighbours(store, ctx.filters(q), transcript_id, own, tz)
    total = final_total(store, transcript_id, rubric)  # the final card's: the rubric's N/A policy
    disputes = dsp.list_disputes(store, transcript_id)
    by_item: dict[str, list[dict]] = {}
    for d in disputes:
        by_item.setdefault(d["item_id"], []).append(d)
    red_lines = final_red_lines(store, transcript_id, rubric)
    labels = {i["id"]: i["label"] for i in items + red_lines}
    labels["scenario"] = "场景"
    return render(request, "scorecard.html", dict(
        user=user, card=card, items=items, red_lines=red_lines,
        messages=chat_view(transcript, items + red_lines, tz) if transcript else [],
        purged=purged, q=q,
        queue_url="/?" + q if q else "/", state=review_info(store, transcript_id),
        suggested_total=card.total, final_total=total, final_band=rubric.band(total),
        audit=audit(store, transcript_id),
        disputes=by_item, open_disputes=[d for d in disputes if d["status"] == "open"], labels=labels,
        error=error, attempted=attempted, kept=kept or {}, transcript=transcript, tz=tz,
        prev_url=card_url(prev_id, q) if prev_id else None, next_url=card_url(next_id, q) if next_id else None),
        status)


@router.get("/card", response_class=HTMLResponse)
async def card(request: Request, id: str, q: str = "", user: dict = Depends(signed_in)):
    """Raises Forbidden(403) when an agent asks for another agent's card."""
    ctx = context(request)
    if not may_read(ctx, user, id):
        raise Forbidden(403, "没有权限：客服只能查看自己的评分卡")
    ctx.store.log_access(user["name"], id, address_of(request))
    return card_page(request, user, id, ctx.clean_q(q))


def refused(request: Request, posted: Posted, exc: ReviewError, attempted: str) -> Response:
    """The card again with the reason in Chinese and the supervisor's choice kept in its form."""
    ctx, form = context(request), posted.form
    status = 409 if isinstance(exc, StaleRevision) else 400
    message = plain_message(str(exc), ctx.item_labels())
    if isinstance(exc, StaleRevision):
        message = "保存被拒绝：另一位主管刚刚修改了这张评分卡，你的修改没有保存。下面是当前的数值，请核对后重新提交。"
    kept = {k: form.get(k, "") for k in ("item_id", "score", "reason")}
    return card_page(request, posted.user, form.get("transcript_id", ""), ctx.clean_q(form.get("q", "")), status,
                     message, plain_message(attempted, ctx.item_labels()), kept)


def done(request: Request, form: dict, message: str, anchor: str = "") -> Response:
    """Back to the card (at the item's anchor) with `message` as the flash."""
    ctx = context(request)
    request.session["flash"] = plain_message(message, ctx.item_labels())
    target = card_url(form.get("transcript_id", ""), ctx.clean_q(form.get("q", ""))) + (
        f"#item-{anchor}" if anchor else "")
    return RedirectResponse(target, status_code=303)


@router.post("/override")
async def override(request: Request, posted: Posted = Depends(posted_form())):
    form = posted.form
    tid, item = form.get("transcript_id", ""), form.get("item_id", "")
    attempted = f"{item} → {form.get('score', '')} 分（原因：{form.get('reason', '')}）"
    try:
        ctx = context(request)
        change = apply_override(ctx.store, tid, item, form.get("score", ""), form.get("reason"),
                                posted.user["name"], expected_revision=revision_of(form), source="web",
                                rubric=ctx.rubric())
    except ReviewError as exc:
        return refused(request, posted, exc, attempted)
    if change.override_id is None:
        return done(request, form, "分数没有变化，未记录", item)
    return done(request, form, f"已保存：{item} 从 {change.from_value} 改为 {change.to_value} 分", item)


@router.post("/scenario")
async def scenario(request: Request, posted: Posted = Depends(posted_form())):
    ctx, form = context(request), posted.form
    attempted = f"场景 → {SCENARIO_LABELS.get(form.get('scenario', ''), form.get('scenario', ''))}"
    try:
        change = change_scenario(ctx.store, form.get("transcript_id", ""), form.get("scenario", ""),
                                 form.get("reason"), posted.user["name"], revision_of(form), "web", ctx.grader())
    except ReviewError as exc:
        return refused(request, posted, exc, attempted)
    if change.override_id is None:
        return done(request, form, "场景没有变化")
    return done(request, form, f"场景已改为{SCENARIO_LABELS[change.to_value]}，已按新场景重新评分")


@router.post("/reviewed")
async def reviewed(request: Request, posted: Posted = Depends(posted_form())):
    ctx, form = context(request), posted.form
    tid = form.get("transcript_id", "")
    undo = form.get("undo") == "1"
    try:
        mark_reviewed(ctx.store, tid, posted.user["name"], revision_of(form), reviewed=not undo)
    except ReviewError as exc:
        return refused(request, posted, exc, "标记已复核")
    if undo:
        return done(request, form, "已取消复核标记")
    q = ctx.clean_q(form.get("q", ""))
    nxt = next_in_queue(ctx.store, ctx.filters(q), tid, ctx.tz)
    if nxt is None:
        request.session["flash"] = "已标记复核。队列中没有其他待复核的评分卡了。"
        return RedirectResponse("/?" + q if q else "/", status_code=303)
    request.session["flash"] = "已标记复核，这是队列中的下一张。"
    return RedirectResponse(card_url(nxt, q), status_code=303)


@router.post("/dispute")
async def dispute(request: Request, posted: Posted = Depends(posted_form(role="agent"))):
    """Raises Forbidden(403) for a card that is not the agent's own."""
    ctx, form = context(request), posted.form
    tid = form.get("transcript_id", "")
    if not may_read(ctx, posted.user, tid):
        raise Forbidden(403, "没有权限：只能对自己的评分卡申诉")
    try:
        dsp.open_dispute(ctx.store, tid, form.get("item_id", ""), posted.user["name"], form.get("comment", ""),
                         form.get("requested") or None)
    except ReviewError as exc:
        return refused(request, posted, exc, "申诉")
    return done(request, form, "申诉已提交，等待主管处理")


@router.post("/dispute/resolve")
async def resolve(request: Request, posted: Posted = Depends(posted_form())):
    """Raises Forbidden(400) for a dispute number that is no number."""
    ctx, form = context(request), posted.form
    try:
        did = int(form.get("dispute_id", ""))
    except ValueError:
        raise Forbidden(400, "申诉编号不正确") from None
    try:
        if form.get("action") == "accept":
            dsp.accept_dispute(ctx.store, did, posted.user["name"], form.get("level") or None, form.get("note", ""),
                               expected_revision=revision_of(form), rubric=ctx.rubric())
            message = f"申诉 #{did} 已接受，分数已修改"
        else:
            dsp.reject_dispute(ctx.store, did, posted.user["name"], form.get("note", ""))
            message = f"申诉 #{did} 已驳回"
    except ReviewError as exc:
        return refused(request, posted, exc, f"处理申诉 #{did}")
    return done(request, form, message)
