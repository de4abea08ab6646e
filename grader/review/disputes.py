"""Agents dispute an item of their own scorecard; a supervisor accepts (override) or rejects (reason).

Rules: one open dispute per item; a new dispute sends a reviewed card back to the queue (unreviewed);
the resolution (who, when, accepted or rejected, why) stays on the dispute, and an accepted one is
also an override record (source "dispute") in the card's audit."""
from __future__ import annotations

from grader.display import DISPUTE_STATUS_LABELS as STATUS_LABELS
from grader.review.overrides import (Change, ReviewError, UnknownItem, _action, _parse_level, card_of, override_in)
from grader.store import Store, Unit, now_iso


class DisputeError(ReviewError):
    """A dispute could not be opened or resolved."""


def open_dispute(store: Store, transcript_id: str, item_id: str, by: str, comment: str,
                 requested: int | str | None = None) -> int:
    """An agent disputes an item of his card (`requested`: the level asked for); returns the dispute id. Raises DisputeError (no comment, one open already), UnknownItem."""
    comment = (comment or "").strip()
    if not comment:
        raise DisputeError("申诉必须写明理由")
    with store.unit() as u:
        _, card = card_of(u, transcript_id)
        ids = [i.id for i in card.items]
        if item_id not in ids:
            raise UnknownItem(item_id, ids)
        level = None
        if requested not in (None, ""):
            level = _parse_level(item_id, requested, card.item(item_id).levels)
        if any(d["item_id"] == item_id for d in u.disputes(transcript_id, "open")):
            raise DisputeError(f"{card.item(item_id).label} 已有一个待处理的申诉，请等主管处理后再申诉")
        did = u.add_dispute(transcript_id, item_id, by, now_iso(), comment, None if level is None else str(level))
        if u.review_state(transcript_id)["reviewed"]:  # a disputed card goes back to the queue
            u.bump(transcript_id, None, reviewed=False, reviewed_by=None, reviewed_at=None)
        return did


def list_disputes(store: Store, transcript_id: str | None = None, status: str | None = None) -> list[dict]:
    with store.reading() as u:
        return u.disputes(transcript_id, status)


def open_counts(store: Store) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in list_disputes(store, status="open"):
        counts[d["transcript_id"]] = counts.get(d["transcript_id"], 0) + 1
    return counts


def _get(unit: Unit, dispute_id: int) -> dict:
    rows = unit.disputes(dispute_id=int(dispute_id))
    if not rows:
        raise DisputeError(f"没有编号为 {dispute_id} 的申诉")
    if rows[0]["status"] != "open":
        raise DisputeError(f"申诉 #{dispute_id} 已处理（{STATUS_LABELS.get(rows[0]['status'], rows[0]['status'])}）")
    return rows[0]


def accept_dispute(store: Store, dispute_id: int, by: str, level: int | str | None = None, note: str = "",
                   expected_revision: int | None = None, grader=None, rubric=None) -> Change:
    """Accept: override the item with the chosen level, else the level the agent asked for; `rubric`
    (default `grader.rubric`, else the standard one) names the final band. Raises DisputeError, ReviewError."""
    rubric = rubric if rubric is not None else getattr(grader, "rubric", None)
    with _action(store) as u:  # the override and the dispute's resolution: one transaction
        d = _get(u, dispute_id)
        chosen = level if level not in (None, "") else d["requested"]
        if chosen in (None, ""):
            raise DisputeError("接受申诉需要选择分数（客服没有填写希望的分数）")
        note = (note or "").strip()
        reason = f"接受申诉 #{d['id']}（{d['by']}：{d['comment']}）" + (f"；{note}" if note else "")
        change = override_in(u, d["transcript_id"], d["item_id"], chosen, reason, by, expected_revision, "dispute",
                             rubric)
        _resolve(u, d["id"], "accepted", by, note or f"改为 {change.to_value} 分")
    return change


def reject_dispute(store: Store, dispute_id: int, by: str, reason: str) -> None:
    """Raises DisputeError without a reason or for a dispute already resolved."""
    reason = (reason or "").strip()
    if not reason:
        raise DisputeError("驳回申诉必须填写原因")
    with _action(store) as u:
        d = _get(u, dispute_id)
        card_of(u, d["transcript_id"])
        _resolve(u, d["id"], "rejected", by, reason)
        u.bump(d["transcript_id"], None)  # a page loaded before the resolution is stale


def _resolve(unit: Unit, dispute_id: int, status: str, by: str, resolution: str) -> None:
    if not unit.resolve_dispute(dispute_id, status, by, now_iso(), resolution):
        raise DisputeError(f"申诉 #{dispute_id} 已被其他人处理")
