"""The month's KPIs precomputed into the database, so pages and reports never re-read a month of chats.

`refresh_month(store, month, ...)` (run after the daily run, by `grader month`, and in the review
app's background when the page finds its aggregate stale):
1. the KPI facts (`kpis.chat_kpi`) of every chat of the month, and of the chats up to
   `resolve_within_hours` after it, whose stored facts are missing or were computed at another
   scorecard, review revision or basis (lexicon versions, KPI settings) — 500 chats at a time, each
   chat's transcript decoded once;
2. from the stored facts: the 24-hour resolution (`link_buyers`) and every agent's KPIs
   (`agent_kpis`), stored as the month's aggregate (`stored_reports`, key "month:YYYY-MM") with
   the chats behind each figure (`kpi_counted`, the paged drill-downs).

The aggregate's `stamp` is the database's change stamp and the basis it was made at; the page
compares it with the database's to tell a stale aggregate (still shown, with its time) from a fresh one.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import asdict, fields
from datetime import datetime, timedelta

from grader.dates import month_range, utc_bounds
from grader.detectors.lexicon import lexicon_digest
from grader.report.kpis import KPIS, AgentKpis, ChatKpi, agent_kpis, chat_kpi, link_buyers
from grader.store.queue import utc_text
from grader.transcript.model import SHANGHAI

SLOW_REPLY_SECONDS = 30.0  # a reply slower than this lists its chat behind the response-time KPIs (the 30 s standard)
CHUNK = 500
_DATES = {f.name for f in fields(ChatKpi) if "datetime" in str(f.type)}
_TUPLES = {f.name for f in fields(ChatKpi) if "tuple" in str(f.type)}


def month_key(month: str) -> str:
    return f"month:{month}"


def facts_basis(policy, lexicons) -> str:
    """What a chat's KPI facts depend on besides its card and review: the fields measured, the
    lexicon files (a LexiconSet or its folder, `lexicon_digest`) and the policy's KPI settings (16 hex digits)."""
    parts = [sorted(f.name for f in fields(ChatKpi)), lexicon_digest(lexicons), policy.kpi.model_dump_json()]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:16]


def month_stamp(store, policy, lexicons) -> str:
    """The fingerprint a month aggregate is fresh at: the database's change stamp and the facts' basis
    (`lexicons`: a LexiconSet or the folder it is loaded from)."""
    return f"{store.change_stamp()}|{facts_basis(policy, lexicons)}"


def facts_doc(k: ChatKpi) -> dict:
    doc = asdict(k)
    for name in _DATES:
        doc[name] = doc[name].isoformat() if doc[name] else None
    return doc


def kpi_from_doc(doc: dict) -> ChatKpi:
    known = {f.name for f in fields(ChatKpi)}
    values = {k: v for k, v in doc.items() if k in known}
    for name in _DATES & values.keys():
        values[name] = datetime.fromisoformat(values[name]) if values[name] else None
    for name in _TUPLES & values.keys():
        values[name] = tuple(values[name]) if values[name] is not None else None
    return ChatKpi(**values)


def _window(month: str, policy, tz) -> tuple[str, str, str, str]:
    """UTC texts (month start, month end, window end): the month and the days after it the 24-hour
    resolution looks into."""
    first, last = month_range(month)
    extra = math.ceil(policy.kpi.resolve_within_hours / 24)
    lo, hi = utc_bounds(first, last, tz)
    _, beyond = utc_bounds(first, last + timedelta(days=extra), tz)
    return utc_text(lo), utc_text(hi), utc_text(beyond), month


def refresh_facts(store, keys: list[tuple], policy, rubric, lexicons, tz=SHANGHAI) -> tuple[int, list[str]]:
    """Compute and store the facts of those chats of `keys` (`Store.chats_between` rows) whose stored
    facts are stale; returns (how many were computed, ids of chats without text, whose facts are dropped)."""
    from grader.report.month import same_day_kinds

    basis = facts_basis(policy, lexicons)
    have = store.fact_keys([k[0] for k in keys])
    stale = [k for k in keys if have.get(k[0]) != (k[1], k[2], basis)]
    computed, without = 0, []
    for start in range(0, len(stale), CHUNK):
        chunk = stale[start:start + CHUNK]
        ids = [k[0] for k in chunk]
        finals = {f.card.transcript_id: f for f in store.final_cards(list(store.current_scorecards(ids).values()),
                                                                       rubric)}
        texts = store.transcripts(ids)
        kinds = same_day_kinds(store, [f for f in finals.values() if f.card.transcript_id in texts])
        rows = []
        for tid, sid, revision, agent, started in chunk:
            fc = finals.get(tid)
            if fc is None:
                continue
            if tid not in texts:
                without.append(tid)
                continue
            k = chat_kpi(texts[tid], fc, lexicons, policy.kpi.lost_after_slow_reply_seconds, kinds.get(tid))
            local = k.started_at.astimezone(tz) if k.started_at else None
            rows.append(dict(transcript_id=tid, month=local.strftime("%Y-%m") if local else "", agent=k.agent,
                             scorecard_id=sid, revision=revision, basis=basis, facts=_json(facts_doc(k))))
        store.put_facts(rows)
        computed += len(rows)
    if without:
        store.drop_facts(without)
    return computed, without


def _json(doc: dict) -> str:
    import json

    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def refresh_month(store, month: str, policy, rubric, lexicons, tz=SHANGHAI
                  ) -> tuple[list[ChatKpi], dict[str, AgentKpis], list[str]]:
    """Bring the month's facts and aggregate up to date (see the module docstring) and return what a
    report shows: (the month's chats' KPI facts, per agent KPIs, ids of the month's chats without text)."""
    began = time.perf_counter()
    stamp = month_stamp(store, policy, lexicons)  # before reading: a change meanwhile leaves it stale
    lo, hi, beyond, _ = _window(month, policy, tz)
    keys = store.chats_between(lo, beyond)
    computed, _ = refresh_facts(store, keys, policy, rubric, lexicons, tz)
    in_month = {k[0] for k in keys if lo <= (k[4] or "") < hi}
    every = [kpi_from_doc(d) for _, d in store.iter_facts([k[0] for k in keys])]
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
    return {agent: AgentKpis(agent, v["chats"], dict(v["values"]), dict(v["bases"]), {})
            for agent, v in body.get("agents", {}).items()}

