"""Store a batch of serialized scorecards in one transaction, with a few statements per batch.

Same result as `Store.save` row by row (an earlier scorecard of the same chat becomes history;
one graded before with exactly these inputs becomes current again), but the lookups, inserts and
updates go as one statement each for the whole batch (executemany) instead of five per chat.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select, update

from grader.engines.work import Graded
from grader.store import Store, item_scores, now_iso, scorecards, transcripts

_update_transcript = update(transcripts).where(transcripts.c.id == bindparam("tid")).values(
    {c: bindparam(c) for c in ("platform", "shop", "agent", "customer", "started_at", "day", "source_file",
                               "content_hash", "content")})
_make_current = update(scorecards).where(scorecards.c.id == bindparam("sid")).values(current=True)


def save_graded(store: Store, graded: list[Graded]) -> int:
    if not graded:
        return 0
    stamp = now_iso()
    with store.engine.begin() as conn:
        for group in _unique_runs(graded):
            _save_group(conn, group, stamp)
    return len(graded)


def _unique_runs(graded: list[Graded]) -> list[list[Graded]]:
    """Consecutive groups without a repeated chat id: a chat met twice is saved in input order."""
    groups, seen = [[]], set()
    for g in graded:
        if g.transcript_id in seen:
            groups.append([])
            seen = set()
        groups[-1].append(g)
        seen.add(g.transcript_id)
    return groups


def _save_group(conn, group: list[Graded], stamp: str) -> None:
    ids = [g.transcript_id for g in group]
    known = {r[0] for r in conn.execute(select(transcripts.c.id).where(transcripts.c.id.in_(ids)))}
    new = [g.transcript_row for g in group if g.transcript_id not in known]
    if new:
        conn.execute(transcripts.insert(), new)
    old = [{**{k: v for k, v in g.transcript_row.items() if k != "id"}, "tid": g.transcript_id}
           for g in group if g.transcript_id in known]
    if old:
        conn.execute(_update_transcript, old)

    earlier: dict[tuple, int] = {}
    if known:  # only a chat stored before can have scorecards
        q = select(scorecards.c.id, scorecards.c.transcript_id, scorecards.c.content_hash,
                   scorecards.c.versions_key, scorecards.c.scenario).where(scorecards.c.transcript_id.in_(known))
        earlier = {tuple(r[1:]): r[0] for r in conn.execute(q)}
        conn.execute(update(scorecards).where(scorecards.c.transcript_id.in_(known)).values(current=False))
    again, fresh = [], []
    for g in group:
        r = g.card_row
        sid = earlier.get((r["transcript_id"], r["content_hash"], r["versions_key"], r["scenario"]))
        (again if sid is not None else fresh).append(sid if sid is not None else g)
    if again:
        conn.execute(_make_current, [{"sid": sid} for sid in again])
    if not fresh:
        return
    inserted = conn.execute(scorecards.insert().returning(scorecards.c.id, sort_by_parameter_order=True),
                            [{**g.card_row, "graded_at": stamp} for g in fresh]).all()
    items = [{**item, "scorecard_id": sid} for (sid,), g in zip(inserted, fresh) for item in g.item_rows]
    if items:
        conn.execute(item_scores.insert(), items)
