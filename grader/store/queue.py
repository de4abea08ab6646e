"""The review queue as indexed queries: one `review_queue` row per chat with a current scorecard.

The row is written with the scorecard (`queue_row`, from `grader.store.rows.chat_rows`), so a queue
page, its count, the next card and the search never decode a stored document. Its final total and
band follow the supervisor's overrides (`Unit.set_final`, computed by `grader.scorecard.final`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import String, and_, bindparam, case, cast, exists, func, literal, or_, select, tuple_, update

from grader.store import search
from grader.store.tables import disputes, item_scores, overrides, review_queue, review_state
from grader.scorecard.model import Scorecard

q_ = review_queue.c
# The review budget first: red lines, complaints, refunds, flagged cards, then the random sample, then the rest.
ORDER = (q_.rank_budget, q_.rank_settled, q_.rank_flagged, q_.certainty, q_.started_utc, q_.transcript_id)
TEACH = (q_.rank_moved, q_.model_certainty) + ORDER  # active review: what would teach the learned model most first
PAGE_MAX = 200


def utc_text(moment: datetime | None) -> str | None:
    """An aware instant as the sortable UTC text of `review_queue.started_utc`."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")


def certainty(card: Scorecard) -> float:
    """How sure the tool is of the card, 0..1: the lesser of the scenario's confidence and the items'
    confidence weighted by their maxima."""
    weights = sum(i.max for i in card.items) or 1
    return round(min(card.scenario_confidence, sum(i.confidence * i.max for i in card.items) / weights), 3)


# The review budget (issue 23): the reasons a card must be read, most urgent first, each its rank;
# then cards of the random sample (SAMPLED), then the rest (REST), safe to accept unread.
MUST_READ = ("red_line", "complaint", "refund", "flagged")
SAMPLED, REST = len(MUST_READ), len(MUST_READ) + 1
DEFAULT_SAMPLE_RATE, DEFAULT_SAMPLE_SEED = 0.10, "grader"


def budget_reasons(card: Scorecard) -> list[str]:
    """Why the card must be read, in `MUST_READ` order: a red line hit (issue 26's `Scorecard.red_line_ids`,
    when the card has them), the buyer's complaint or refund request (the `review_signals` detector's
    metrics `complaint_at` / `refund_at`), or an item or scenario flagged for review."""
    reasons = []
    if getattr(card, "red_line_ids", None):
        reasons.append("red_line")
    if card.metrics.get("complaint_at") is not None:
        reasons.append("complaint")
    if card.metrics.get("refund_at") is not None:
        reasons.append("refund")
    if card.needs_review:
        reasons.append("flagged")
    return reasons


def in_sample(transcript_id: str, rate: float, seed: str) -> bool:
    """Whether a chat is in the random sample: its SHA-256 with the seed, below `rate` of the range
    (the same chats for the same seed; a larger rate keeps the smaller one's chats)."""
    h = int(hashlib.sha256(f"{seed}:{transcript_id}".encode("utf-8")).hexdigest()[:12], 16)
    return h < rate * 16 ** 12


def budget_rank(budget: str, sampled: bool) -> int:
    reasons = budget.split()
    return min((MUST_READ.index(r) for r in reasons if r in MUST_READ), default=SAMPLED if sampled else REST)


def mark_sample(row: dict, rate: float, seed: str) -> dict:
    """Set a queue row's `sampled` and `rank_budget` for the store's sample setting."""
    row["sampled"] = in_sample(row["transcript_id"], rate, seed)
    row["rank_budget"] = budget_rank(row.get("budget") or "", row["sampled"])
    return row


def queue_row(card: Scorecard) -> dict:
    """The `review_queue` values of a scorecard (scorecard_id is added when it is stored)."""
    flagged = [i.id for i in card.items if i.needs_review] + card.red_line_ids  # red lines: always reviewed
    return dict(transcript_id=card.transcript_id, started_utc=utc_text(card.started_at), platform=card.platform,
                shop=card.shop, agent=card.agent, customer=card.customer, scenario=card.scenario,
                scenario_confidence=round(card.scenario_confidence, 3), suggested=card.total,
                final_total=card.total, final_band=card.band, needs_review=card.needs_review,
                flagged_items=" " + " ".join(flagged) + " " if flagged else "",
                rank_settled=0 if card.needs_review else 1, rank_flagged=-len(flagged), certainty=certainty(card),
                **teaching(card), **budget_of(card))


def budget_of(card: Scorecard) -> dict:
    """The budget columns before the sample is drawn (the store draws it: `mark_sample`)."""
    reasons = budget_reasons(card)
    return {"budget": " " + " ".join(reasons) + " " if reasons else "", "sampled": False,
            "rank_budget": budget_rank(" ".join(reasons), False)}


def teaching(card: Scorecard) -> dict:
    """How much a supervisor's review of `card` would teach the adopted learned model: the items (and
    scenario) where it moved the rules' answer (negated, for an ascending order) and its least probability."""
    learned = getattr(card, "learned", None) or {}
    parts = list((learned.get("items") or {}).values())
    moved = sum(p["score"] != p["rule_score"] for p in parts)
    probs = [p["probability"] for p in parts]
    if learned.get("scenario"):
        moved += learned["scenario"]["scenario"] != learned["scenario"]["rule"]
        probs.append(learned["scenario"]["probability"])
    return {"rank_moved": -moved, "model_certainty": round(min(probs, default=1.0), 3)}


@dataclass
class QueueQuery:
    """What the queue shows: instants [lo, hi) of the first message, and equality filters ("" = any).

    `needs_review`, `reviewed`: None (any), True or False; `disputed`: only chats with an open dispute;
    `item`: chats whose item of that id needs review; `search`: transcript id, buyer account (prefix)
    or pieces of the chats' text (all of them, see `grader.store.search`).
    """

    lo: datetime | None = None
    hi: datetime | None = None
    agent: str = ""
    shop: str = ""
    platform: str = ""
    band: str = ""
    scenario: str = ""
    item: str = ""
    needs_review: bool | None = None
    reviewed: bool | None = None
    disputed: bool = False
    search: str = ""
    teach: bool = False  # the active-review order (TEACH) instead of ORDER


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_open = exists().where(disputes.c.transcript_id == q_.transcript_id, disputes.c.status == "open")
_reviewed = review_state.c.reviewed.is_(True)


def where(query: QueueQuery, conn) -> list:
    """The SQL conditions of `query` (on review_queue outer-joined with review_state); `conn` is
    asked which indexed trigrams a short search piece stands for."""
    cond = []
    if query.lo is not None:
        cond.append(q_.started_utc >= utc_text(query.lo))
    if query.hi is not None:
        cond.append(q_.started_utc < utc_text(query.hi))
    for name in ("agent", "shop", "platform", "scenario"):
        if getattr(query, name):
            cond.append(q_[name] == getattr(query, name))
    if query.band:
        cond.append(q_.final_band == query.band)
    if query.item:
        cond.append(q_.flagged_items.like(f"% {_like(query.item)} %", escape="\\"))
    if query.needs_review is not None:
        cond.append(q_.needs_review.is_(True) if query.needs_review else q_.needs_review.is_not(True))
    if query.reviewed is not None:
        cond.append(_reviewed if query.reviewed else or_(review_state.c.reviewed.is_(None), review_state.c.reviewed.is_(False)))
    if query.disputed:
        cond.append(_open)
    text = query.search.strip()
    if text:
        found = [q_.transcript_id == text, q_.customer.like(_like(text) + "%", escape="\\")]
        in_text = search.condition(conn, search.query_words(text))
        if in_text is not None:
            found.append(in_text)
        cond.append(or_(*found))
    return cond


def _from():
    return review_queue.outerjoin(review_state, review_state.c.transcript_id == q_.transcript_id)


ROW_COLUMNS = (q_.transcript_id, q_.scorecard_id, q_.started_utc, q_.platform, q_.shop, q_.agent, q_.customer,
               q_.scenario, q_.scenario_confidence, q_.suggested, q_.final_total, q_.final_band, q_.needs_review,
               q_.flagged_items, q_.certainty, q_.rank_moved, q_.model_certainty, q_.budget, q_.sampled)


def page(conn, query: QueueQuery, offset: int, limit: int) -> list[dict]:
    """Rows [offset, offset+limit) of the queue in its order, with review state and open disputes."""
    n_open = (select(func.count()).select_from(disputes).where(disputes.c.transcript_id == q_.transcript_id,
                                                                disputes.c.status == "open").scalar_subquery())
    changed = exists().where(overrides.c.transcript_id == q_.transcript_id, overrides.c.item_id != "scenario")
    q = (select(*ROW_COLUMNS, review_state.c.reviewed, review_state.c.reviewed_by, review_state.c.bulk,
                n_open.label("open_disputes"),
                changed.label("overridden"))
         .select_from(_from()).where(*where(query, conn)).order_by(*_order(query))
         .offset(max(0, int(offset))).limit(max(1, min(int(limit), PAGE_MAX))))
    return [dict(r._mapping) for r in conn.execute(q)]


def _order(query: QueueQuery) -> tuple:
    return TEACH if query.teach else ORDER


def count(conn, query: QueueQuery) -> tuple[int, int]:
    """(cards, of which reviewed) in the queue."""
    q = select(func.count(), func.count(review_state.c.transcript_id).filter(_reviewed)).select_from(
        _from()).where(*where(query, conn))
    total, done = conn.execute(q).one()
    return int(total), int(done or 0)


def position(conn, transcript_id: str, order: tuple = ORDER):
    """The queue-order key of a chat, or None."""
    row = conn.execute(select(*order).where(q_.transcript_id == transcript_id)).first()
    return tuple(row) if row else None


def step(conn, query: QueueQuery, transcript_id: str, forward: bool = True, unreviewed: bool = False,
         wrap: bool = False) -> str | None:
    """The chat after (or before) `transcript_id` in queue order among `query`'s, optionally only
    unreviewed ones and wrapping round; None if there is none."""
    by = _order(query)
    key = position(conn, transcript_id, by)
    cond = where(query, conn) + [q_.transcript_id != transcript_id]
    if unreviewed:
        cond.append(or_(review_state.c.reviewed.is_(None), review_state.c.reviewed.is_(False)))
    order = by if forward else tuple(c.desc() for c in by)
    base = select(q_.transcript_id).select_from(_from()).where(*cond)
    if key is not None:
        beyond = tuple_(*by) > tuple_(*[literal(v) for v in key]) if forward else \
            tuple_(*by) < tuple_(*[literal(v) for v in key])
        found = conn.execute(base.where(beyond).order_by(*order).limit(1)).scalar()
        if found is not None or not wrap:
            return found
    return conn.execute(base.order_by(*order).limit(1)).scalar()


def ids(conn, query: QueueQuery, limit: int) -> list[str]:
    """Transcript ids of the queue in order (at most `limit`), e.g. a calibration session's candidates."""
    q = select(q_.transcript_id).select_from(_from()).where(*where(query, conn)).order_by(*_order(query)).limit(limit)
    return [r[0] for r in conn.execute(q)]


# Bulk accept (`grader.review.bulk`): why an unreviewed card is left for a person, the first reason that
# applies in this order; a card with none may be accepted unread.
LEFT_REASONS = (*MUST_READ, "sampled", "overridden", "unsure", "untrusted")


def _left_reason(min_certainty: float, scenarios: list[str]):
    """The SQL expression of a queue row's first `LEFT_REASONS` reason, "" for none. `scenarios`: those
    whose every item (and the scenario itself) is trusted."""
    touched = exists().where(overrides.c.transcript_id == q_.transcript_id)
    whens = [(q_.rank_budget == rank, literal(reason)) for rank, reason in enumerate(MUST_READ)]
    whens += [(q_.rank_budget == SAMPLED, literal("sampled")), (touched, literal("overridden")),
              (func.coalesce(q_.certainty, 0.0) < min_certainty, literal("unsure")),
              (q_.scenario.not_in(list(scenarios)), literal("untrusted"))]
    return case(*whens, else_=literal(""))


_unreviewed = or_(review_state.c.reviewed.is_(None), review_state.c.reviewed.is_(False))


def bulk_split(conn, query: QueueQuery, min_certainty: float, scenarios: list[str]) -> dict[str, int]:
    """The unreviewed cards of `query` by their first `LEFT_REASONS` reason ("" counts those that may be
    accepted): {reason: cards}."""
    sub = (select(_left_reason(min_certainty, scenarios).label("reason")).select_from(_from())
           .where(*where(query, conn), _unreviewed).subquery())
    return {r: int(n) for r, n in conn.execute(select(sub.c.reason, func.count()).group_by(sub.c.reason))}


def bulk_ids(conn, query: QueueQuery, limit: int, min_certainty: float, scenarios: list[str]) -> list[str]:
    """The unreviewed cards of `query` with no `LEFT_REASONS` reason, in queue order, at most `limit`."""
    q = (select(q_.transcript_id).select_from(_from())
         .where(*where(query, conn), _unreviewed, _left_reason(min_certainty, scenarios) == "")
         .order_by(*_order(query)).limit(limit))
    return [r[0] for r in conn.execute(q)]


def distinct(conn, column: str, limit: int = 500) -> list[str]:
    """The distinct non-empty values of a queue column over all chats (for filter menus)."""
    col = q_[column]
    q = select(col).where(col.is_not(None), col != "").group_by(col).order_by(col).limit(limit)
    return [r[0] for r in conn.execute(q)]


def resample(conn, rate: float, seed: str, chunk: int = 2000) -> int:
    """Draw the sample again for every queue row (after the setting changed); returns rows re-marked."""
    done, last = 0, ""
    change = update(review_queue).where(q_.transcript_id == bindparam("tid")).values(
        sampled=bindparam("s"), rank_budget=bindparam("r"))
    while True:
        rows = conn.execute(select(q_.transcript_id, q_.budget).where(q_.transcript_id > last)
                            .order_by(q_.transcript_id).limit(chunk)).all()
        if not rows:
            return done
        marked = [mark_sample({"transcript_id": t, "budget": b}, rate, seed) for t, b in rows]
        conn.execute(change, [{"tid": m["transcript_id"], "s": m["sampled"], "r": m["rank_budget"]} for m in marked])
        done += len(rows)
        last = rows[-1][0]


def review_figures(conn, lo: datetime | None, hi: datetime | None) -> dict:
    """Cards of [lo, hi) by review: {cards, reviewed, bulk, sampled, sampled_reviewed, labels, labels_agree}
    where `bulk` counts the reviewed cards accepted unread by a bulk accept, and sampled_reviewed, labels
    and labels_agree count only cards a person read: the reviewed cards of the random sample, their items
    and those whose final score is the suggested one (no override, or the latest override back to it),
    the unbiased agreement. Stored columns only (queue, review state, item scores, overrides): the counts
    of cards from the queue's covering index `ix_queue_month`, the rest from the reviewed chats outwards
    (`reviewed_chats`)."""
    cond = where(QueueQuery(lo=lo, hi=hi), conn)
    sampled = q_.sampled.is_(True)
    cards, n_sampled = conn.execute(select(func.count(), func.count().filter(sampled)).select_from(review_queue)
                                    .where(*cond)).one()

    def count_of(*more):
        return conn.execute(select(func.count()).select_from(review_queue).where(*cond, *more)).scalar()

    reviewed, n_bulk = count_of(reviewed_chats()), count_of(reviewed_chats("bulk"))
    done = (*cond, reviewed_chats("read"))
    n_sampled_reviewed = count_of(reviewed_chats("read"), sampled)
    base = review_queue.join(item_scores, item_scores.c.scorecard_id == q_.scorecard_id)
    items = conn.execute(select(func.count()).select_from(base).where(*done, sampled)).scalar()
    o = overrides.c
    latest = select(func.max(o.id)).where(o.item_id != "scenario").group_by(o.transcript_id, o.item_id)
    changed = conn.execute(select(func.count()).select_from(base.join(overrides, and_(
        o.transcript_id == q_.transcript_id, o.item_id == item_scores.c.item_id))).where(
        *done, sampled, o.id.in_(latest), o.to_value != cast(item_scores.c.score, String))).scalar()
    return {"cards": int(cards), "reviewed": int(reviewed or 0), "bulk": int(n_bulk or 0),
            "sampled": int(n_sampled or 0),
            "sampled_reviewed": int(n_sampled_reviewed or 0), "labels": int(items or 0),
            "labels_agree": int((items or 0) - (changed or 0))}


def reviewed_chats(how: str = "") -> object:
    """The condition "the chat's review is finished" ("read": by a person, "bulk": by a bulk accept, ""
    either), as a lookup of the few reviewed chats (their queue rows by primary key) rather than of
    every chat's review state."""
    bulk = review_state.c.bulk
    extra = {"": [], "bulk": [bulk.is_(True)], "read": [or_(bulk.is_(None), bulk.is_(False))]}[how]
    return q_.transcript_id.in_(select(review_state.c.transcript_id).where(_reviewed, *extra))


def latest_started(conn) -> str | None:
    return conn.execute(select(func.max(q_.started_utc))).scalar()


def set_final(conn, transcript_id: str, total: int, band: str) -> None:
    conn.execute(update(review_queue).where(q_.transcript_id == transcript_id).values(final_total=total,
                                                                                     final_band=band))


__all__ = ["LEFT_REASONS", "QueueQuery", "bulk_ids", "bulk_split", "count", "distinct", "ids", "latest_started", "page", "queue_row", "set_final", "step",
           "utc_text", "where"]
