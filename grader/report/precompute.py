"""The month's KPIs precomputed into the database, so pages and reports never re-read a month of chats.

Every chat's facts (`grader.scorecard.facts`: what the KPIs, the platforms' KPIs and the sales read)
are stored beside its scorecard when it is graded (`chat_facts`). `refresh_month(store, month, ...)`
(run after the daily run, by `grader month`, and in the review app's background when the page finds
its aggregate stale):
1. measures the facts of the month's chats, and of the chats up to `resolve_within_hours` after it,
   that have none for their current scorecard (`refresh_facts`: a database graded before facts were
   stored, a chat re-graded without them) — 500 chats at a time, each transcript decoded once;
2. reads every chat's KPIs from its facts and the supervisors' latest overrides (`kpi_of_facts`),
   then the 24-hour resolution (`link_buyers`) and every agent's KPIs (`agent_kpis`), stored as the
   month's aggregate (`stored_reports`, key "month:YYYY-MM") with the chats behind each figure
   (`kpi_counted`, the paged drill-downs).
`month_timelines` gives the platforms' KPIs and the sales their chats from the same facts.

The aggregate's `stamp` is the database's change stamp and the basis it was made at; the page
compares it with the database's to tell a stale aggregate (still shown, with its time) from a fresh one.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import fields
from datetime import timedelta

from grader.dates import month_range, utc_bounds
from grader.detectors.lexicon import lexicon_digest
from grader.report.kpis import KPIS, AgentKpis, ChatKpi, agent_kpis, kpi_of_facts, link_buyers
from grader.scorecard.facts import FACTS_VERSION, SAME_DAY, timeline_of
from grader.store.rows import facts_row
from grader.store.queue import utc_text
from grader.transcript.model import SHANGHAI

SLOW_REPLY_SECONDS = 30.0  # a reply slower than this lists its chat behind the response-time KPIs (the 30 s standard)
CHUNK = 500


def month_key(month: str) -> str:
    return f"month:{month}"


def facts_basis(policy, lexicons) -> str:
    """What a month's aggregate depends on besides the database: the fields measured, the lexicon
    files (a LexiconSet or its folder, `lexicon_digest`) and the policy's KPI settings (16 hex digits)."""
    parts = [sorted(f.name for f in fields(ChatKpi)), lexicon_digest(lexicons), policy.kpi.model_dump_json()]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:16]


def month_stamp(store, policy, lexicons) -> str:
    """The fingerprint a month aggregate is fresh at: the database's change stamp and the facts' basis
    (`lexicons`: a LexiconSet or the folder it is loaded from)."""
    return f"{store.change_stamp()}|{facts_basis(policy, lexicons)}"


def _window(month: str, policy, tz) -> tuple[str, str, str, str]:
    """UTC texts (month start, month end, window end): the month and the days after it the 24-hour
    resolution looks into."""
    first, last = month_range(month)
    extra = math.ceil(policy.kpi.resolve_within_hours / 24)
    lo, hi = utc_bounds(first, last, tz)
    _, beyond = utc_bounds(first, last + timedelta(days=extra), tz)
    return utc_text(lo), utc_text(hi), utc_text(beyond), month


def refresh_facts(store, keys: list[tuple], lexicons, tz=SHANGHAI) -> tuple[int, list[str]]:
    """Measure and store the facts (`chat_facts`) of those chats of `keys` (`Store.chats_between` rows)
    whose stored facts are missing or belong to another scorecard or facts version — chats graded
    before facts were stored at grading time, or re-graded without them; returns (how many were
    measured, ids of chats without text, whose facts are dropped)."""
    have = store.fact_keys([k[0] for k in keys])
    stale = [k for k in keys if (have.get(k[0]) or (None,))[0] != k[1] or have[k[0]][2] != FACTS_VERSION]
    computed, without = 0, []
    for start in range(0, len(stale), CHUNK):
        ids = [k[0] for k in stale[start:start + CHUNK]]
        cards = _with_same_day_findings(store, store.current_scorecards(ids))
        texts = store.transcripts(ids)
        without += [tid for tid in ids if tid in cards and tid not in texts]
        rows = [facts_row(texts[tid], cards[tid], lexicons, tz, sid) for tid, sid, *_ in stale[start:start + CHUNK]
                if tid in cards and tid in texts]  # sid: the queue's, the card just read
        store.put_facts(rows)
        computed += len(rows)
    if without:
        store.drop_facts(without)
    return computed, without


def _with_same_day_findings(store, cards: dict) -> dict:
    """`cards`, those whose suggested same-day resolution is at full marks decoded again with their
    findings (is it solved, or only a next contact agreed?): the only findings the facts read."""
    full = [tid for tid, c in cards.items()
            if any(i.id == SAME_DAY and i.score == i.max for i in c.items)]
    return {**cards, **store.current_scorecards(full, findings=True)} if full else cards


def month_facts(store, month: str, policy, lexicons, tz=SHANGHAI) -> tuple[list[tuple], list[tuple], int]:
    """The month's chats and those of the days after it (`_window`) with their facts up to date:
    (keys of the month's chats, keys of every chat of the window, how many facts were measured now)."""
    lo, hi, beyond, _ = _window(month, policy, tz)
    keys = store.chats_between(lo, beyond)
    computed, _ = refresh_facts(store, keys, lexicons, tz)
    return [k for k in keys if lo <= (k[4] or "") < hi], keys, computed


def refresh_month(store, month: str, policy, rubric, lexicons, tz=SHANGHAI
                  ) -> tuple[list[ChatKpi], dict[str, AgentKpis], list[str]]:
    """Bring the month's facts and aggregate up to date (see the module docstring) and return what a
    report shows: (the month's chats' KPI facts, per agent KPIs, ids of the month's chats without text).
    `rubric` is not needed (kept for callers)."""
    began = time.perf_counter()
    stamp = month_stamp(store, policy, lexicons)  # before reading: a change meanwhile leaves it stale
    mine_keys, keys, computed = month_facts(store, month, policy, lexicons, tz)
    in_month = {k[0] for k in mine_keys}
    ids = [k[0] for k in keys]
    latest = store.latest_overrides(ids)
    slow = policy.kpi.lost_after_slow_reply_seconds
    every = [kpi_of_facts(doc, latest.get(tid, {}), slow) for tid, doc in store.iter_facts(ids)]
    mine = sorted((k for k in every if k.transcript_id in in_month), key=lambda k: k.transcript_id)
    chats = link_buyers(mine, every, policy.kpi.resolve_within_hours)
    agents = agent_kpis(chats, SLOW_REPLY_SECONDS)
    without = sorted(in_month - {k.transcript_id for k in chats})
    by_id = {k.transcript_id: k for k in chats}
    counted = [(a.agent, kpi_id, tid, why_counted(by_id[tid], kpi_id))
               for a in agents.values() for kpi_id, ids in a.counted.items() for tid in ids]
    store.put_counted(month, counted)
    body = {"month": month, "chats": len(chats), "computed_chats": computed, "without_text": without,
            "agents": {a.agent: {"chats": a.chats, "values": a.values, "bases": a.bases,
                                 "counted": {k: len(v) for k, v in a.counted.items()}} for a in agents.values()}}
    store.put_report(month_key(month), stamp, body, round(time.perf_counter() - began, 2))
    return chats, agents, without


def month_timelines(store, month: str, policy, lexicons, tz=SHANGHAI) -> list[tuple]:
    """(Timeline, credited agent, scenario) of the month's chats with facts, in the order they were
    graded: what the platforms' KPIs and the sales read (`grader.scorecard.facts.timeline_of`)."""
    mine, _, _ = month_facts(store, month, policy, lexicons, tz)
    order = {k[0]: k[1] for k in mine}
    docs = sorted(store.iter_facts(list(order)), key=lambda x: order[x[0]])
    return [(timeline_of(doc), doc["agent"] or "（未知）", doc["scenario"]) for _, doc in docs]


def why_counted(k: ChatKpi, kpi_id: str) -> str:
    """What the drill-down of a KPI says about one chat it counts."""
    kpi = next(x for x in KPIS if x.id == kpi_id)
    why = getattr(k, f"{kpi.counts}_why", None) if kpi.counts else None
    if why:
        return why
    if kpi.counts == "unanswered_turns":
        return f"{k.unanswered_turns} 轮顾客消息没有人工回复"
    if k.max_wait is not None:
        return f"最长等待 {k.max_wait:.0f} 秒"
    return ""


def stored_month(store, month: str) -> dict | None:
    """The month's stored aggregate ({stamp, computed_at, seconds, body}), or None."""
    return store.stored_report(month_key(month))


def stored_agent_kpis(body: dict) -> dict[str, AgentKpis]:
    """The per-agent KPIs of a stored aggregate body (`counted` as counts per KPI, not ids)."""
    return {agent: AgentKpis(agent, v["chats"], values=dict(v["values"]), bases=dict(v["bases"]))
            for agent, v in body.get("agents", {}).items()}

