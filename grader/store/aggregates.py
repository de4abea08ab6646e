"""SQL of the precomputed aggregates the month and calibration pages read (tables in grader.store.tables).

- `chat_facts`: per chat of a month, its KPI facts as JSON, with the scorecard id and review revision
  they were computed at (a re-grade or a review makes them stale);
- `kpi_counted`: per month, agent and KPI, the chats it counts (the paged drill-downs);
- `stored_reports`: a computed report (JSON) under a key, with the database fingerprint it was made at.

`AggregateStore` is mixed into `grader.store.Store`; what is computed is grader.report's and
grader.calibration's business (`grader.report.precompute`).
"""
from __future__ import annotations

import json

from sqlalchemy import delete, func, insert, outerjoin, select
from sqlalchemy.engine import Engine

from grader.store.queue import reviewed_chats
from grader.store.tables import chat_facts, kpi_counted, review_queue, review_state, stored_reports

CHUNK = 500


def forget_chats(conn, ids: list[str]) -> None:
    """Delete the facts and drill-down rows of these chats (a purge)."""
    conn.execute(delete(chat_facts).where(chat_facts.c.transcript_id.in_(ids)))
    conn.execute(delete(kpi_counted).where(kpi_counted.c.transcript_id.in_(ids)))


def replace_facts(conn, rows: list[dict]) -> None:
    """Write these `chat_facts` rows in place of the chats' earlier ones (at most CHUNK chats a statement)."""
    for start in range(0, len(rows), CHUNK):
        part = rows[start:start + CHUNK]
        conn.execute(delete(chat_facts).where(chat_facts.c.transcript_id.in_([r["transcript_id"] for r in part])))
        conn.execute(insert(chat_facts), part)


def drop_all(conn) -> None:
    """Delete every stored report (a purge: they may quote purged chats)."""
    conn.execute(delete(stored_reports))


class AggregateStore:
    """Store methods over the aggregate tables; `self.engine` is the Store's engine."""

    engine: Engine

    def chats_between(self, lo: str, hi: str) -> list[tuple]:
        """(transcript_id, scorecard_id, review revision (0 when never reviewed), agent, started_utc) of
        current scorecards whose first message's UTC instant ("YYYY-MM-DDTHH:MM:SS") is in [lo, hi)."""
        q_, s = review_queue.c, review_state.c
        q = select(q_.transcript_id, q_.scorecard_id, func.coalesce(s.revision, 0), q_.agent, q_.started_utc).select_from(
            outerjoin(review_queue, review_state, s.transcript_id == q_.transcript_id)).where(
            q_.started_utc >= lo, q_.started_utc < hi)
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(q)]

    def agent_totals(self, lo: str, hi: str) -> list[tuple]:
        """Per agent account (None for none) with chats in [lo, hi) (UTC, as `chats_between`):
        (agent, chats, sum of final totals, reviewed chats) — from the queue's stored columns (its
        covering index `ix_queue_month`) and the reviewed chats outwards (`queue.reviewed_chats`)."""
        q_ = review_queue.c
        in_range = (q_.started_utc >= lo, q_.started_utc < hi)
        totals = select(q_.agent, func.count(), func.sum(q_.final_total)).where(*in_range).group_by(q_.agent)
        reviewed = select(q_.agent, func.count()).where(reviewed_chats(), *in_range).group_by(q_.agent)
        with self.engine.connect() as conn:
            done = dict(conn.execute(reviewed).all())
            return [(agent, chats, total, done.get(agent, 0)) for agent, chats, total in conn.execute(totals)]

    def fact_keys(self, ids: list[str]) -> dict[str, tuple[int, int, str]]:
        """transcript id -> (scorecard_id, revision, basis) its stored facts were computed at."""
        out: dict[str, tuple[int, int, str]] = {}
        f = chat_facts.c
        with self.engine.connect() as conn:
            for start in range(0, len(ids), CHUNK):
                out.update({r[0]: (r[1], r[2], r[3]) for r in conn.execute(
                    select(f.transcript_id, f.scorecard_id, f.revision, f.basis).where(
                        f.transcript_id.in_(ids[start:start + CHUNK])))})
        return out

    def put_facts(self, rows: list[dict]) -> None:
        """Store facts rows (transcript_id, month, agent, scorecard_id, revision, basis, facts), replacing earlier ones."""
        if not rows:
            return
        with self.engine.begin() as conn:
            replace_facts(conn, rows)

    def drop_facts(self, ids: list[str]) -> None:
        """Forget the facts of these chats (no longer measurable, e.g. their text is gone)."""
        with self.engine.begin() as conn:
            for start in range(0, len(ids), CHUNK):
                conn.execute(delete(chat_facts).where(chat_facts.c.transcript_id.in_(ids[start:start + CHUNK])))

    def iter_facts(self, ids: list[str]):
        """(transcript id, its stored facts parsed from JSON) of those of these chats that have facts,
        one at a time (a month's facts are never all held as JSON at once)."""
        f = chat_facts.c
        with self.engine.connect() as conn:
            for start in range(0, len(ids), CHUNK):
                for tid, facts in conn.execute(select(f.transcript_id, f.facts).where(
                        f.transcript_id.in_(ids[start:start + CHUNK]))):
                    yield tid, json.loads(facts)

    def put_counted(self, month: str, rows: list[tuple[str, str, str, str]]) -> None:
        """Replace the month's drill-down rows with (agent, kpi id, transcript id, why) rows."""
        with self.engine.begin() as conn:
            conn.execute(delete(kpi_counted).where(kpi_counted.c.month == month))
            for start in range(0, len(rows), 5000):
                conn.execute(insert(kpi_counted), [dict(month=month, agent=a, kpi=k, transcript_id=t, why=w)
                                                   for a, k, t, w in rows[start:start + 5000]])

    def counted_page(self, month: str, agent: str, kpi: str, offset: int, limit: int
                     ) -> tuple[int, list[tuple[str, str]]]:
        """(how many chats the agent's KPI of the month counts, one page of (transcript id, why) in id order)."""
        k = kpi_counted.c
        where = (k.month == month, k.agent == agent, k.kpi == kpi)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(kpi_counted).where(*where)).scalar_one()
            rows = [(r[0], r[1]) for r in conn.execute(select(k.transcript_id, k.why).where(*where)
                                                       .order_by(k.transcript_id).offset(offset).limit(limit))]
        return total, rows

    def stored_report(self, key: str) -> dict | None:
        """The stored report under `key`: {stamp, computed_at, seconds, body (parsed JSON)}, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(stored_reports).where(stored_reports.c.key == key)).first()
        if row is None:
            return None
        return dict(stamp=row.stamp, computed_at=row.computed_at, seconds=row.seconds, body=json.loads(row.body))

    def put_report(self, key: str, stamp: str, body: dict, seconds: float) -> None:
        from grader.store.core import now_iso

        with self.engine.begin() as conn:
            conn.execute(delete(stored_reports).where(stored_reports.c.key == key))
            conn.execute(insert(stored_reports).values(key=key, stamp=stamp, computed_at=now_iso(), seconds=seconds,
                                                       body=json.dumps(body, ensure_ascii=False)))
