"""Agents dispute an item of their own scorecard; a supervisor accepts (override) or rejects (reason)."""
from __future__ import annotations

from sqlalchemy import insert, select, update

from grader.review.overrides import (Change, ReviewError, UnknownItem, _parse_level, apply_override, current_card)
from grader.store import Store, disputes, now_iso
from grader.store_security import append_audit

STATUS_LABELS = {"open": "待处理", "accepted": "已接受", "rejected": "已驳回"}


class DisputeError(ReviewError):
    """A dispute could not be opened or resolved."""


def open_dispute(store: Store, transcript_id: str, item_id: str, by: str, comment: str,
                 requested: int | str | None = None) -> int:
    comment = (comment or "").strip()
    if not comment:
        raise DisputeError("申诉必须写明理由")
    with store.engine.begin() as conn:
        _, card = current_card(conn, transcript_id)
        ids = [i.id for i in card.items]
        if item_id not in ids:
            raise UnknownItem(item_id, ids)
        level = None
        if requested not in (None, ""):
            level = _parse_level(item_id, requested, card.item(item_id).levels)
        values = dict(transcript_id=transcript_id, item_id=item_id, by=by, at=now_iso(), comment=comment,
                      status="open", requested=None if level is None else str(level))
        did = conn.execute(insert(disputes).values(**values)).inserted_primary_key[0]
        append_audit(conn, by, "dispute_open", transcript_id, {**values, "id": did})
        return did


def list_disputes(store: Store, transcript_id: str | None = None, status: str | None = None) -> list[dict]:
    q = select(disputes)
    if transcript_id is not None:
        q = q.where(disputes.c.transcript_id == transcript_id)
    if status is not None:
        q = q.where(disputes.c.status == status)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q.order_by(disputes.c.id))]


def open_counts(store: Store) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in list_disputes(store, status="open"):
        counts[d["transcript_id"]] = counts.get(d["transcript_id"], 0) + 1
    return counts


def _get(store: Store, dispute_id: int) -> dict:
    rows = [d for d in list_disputes(store) if d["id"] == int(dispute_id)]
    if not rows:
        raise DisputeError(f"没有编号为 {dispute_id} 的申诉")
    if rows[0]["status"] != "open":
        raise DisputeError(f"申诉 #{dispute_id} 已处理（{STATUS_LABELS.get(rows[0]['status'], rows[0]['status'])}）")
    return rows[0]


def accept_dispute(store: Store, dispute_id: int, by: str, level: int | str | None = None, note: str = "",
                   expected_revision: int | None = None, grader=None) -> Change:
    """Accept: override the item with the chosen level, else the level the agent asked for."""
    d = _get(store, dispute_id)
    chosen = level if level not in (None, "") else d["requested"]
    if chosen in (None, ""):
        raise DisputeError("接受申诉需要选择分数（客服没有填写希望的分数）")
    note = (note or "").strip()
    reason = f"接受申诉 #{d['id']}（{d['by']}：{d['comment']}）" + (f"；{note}" if note else "")
    change = apply_override(store, d["transcript_id"], d["item_id"], chosen, reason, by,
                            expected_revision=expected_revision, source="dispute", grader=grader)
    _resolve(store, d["id"], "accepted", by, note or f"改为 {change.to_value} 分")
    return change


def reject_dispute(store: Store, dispute_id: int, by: str, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise DisputeError("驳回申诉必须填写原因")
    d = _get(store, dispute_id)
    with store.engine.connect() as conn:
        current_card(conn, d["transcript_id"])
    _resolve(store, d["id"], "rejected", by, reason)


def _resolve(store: Store, dispute_id: int, status: str, by: str, resolution: str) -> None:
    with store.engine.begin() as conn:
        done = conn.execute(update(disputes).where(disputes.c.id == dispute_id, disputes.c.status == "open").values(
            status=status, resolved_by=by, resolved_at=now_iso(), resolution=resolution)).rowcount
        if done == 1:
            tid = conn.execute(select(disputes.c.transcript_id).where(disputes.c.id == dispute_id)).scalar()
            append_audit(conn, by, "dispute_resolve", tid, {"id": dispute_id, "status": status,
                                                            "resolution": resolution})
    if done != 1:
        raise DisputeError(f"申诉 #{dispute_id} 已被其他人处理")
