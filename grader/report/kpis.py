"""The month's KPIs measured from the chats, per chat and per agent, each drilling down to its chats.

Definitions (docs/month.md states them for supervisors):

- 咨询转化率: pre-sale chats in which the buyer ordered or paid (a system order notice or card, or
  ``order_signals.txt``: 拍了/已下单/付款了, 订单已收到 …) ÷ pre-sale chats.
- 客户流失: pre-sale chats without an order where the buyer's last question got no human answer, or
  the buyer's last message waited longer than the policy's `lost_after_slow_reply_seconds` and the
  buyer never wrote again; shown as a count and a share of pre-sale chats.
- 平均响应时间 / 30秒内回复占比 / 最长等待 / 未回复轮次: over all customer→agent turns, from the
  first_response detector's per-chat measures (its service hours); an agent's average weights each
  chat by its answered turns.
- 首次解决率: after-sale chats solved in the chat ÷ after-sale chats. Solved = the final
  `aftersale.same_day_resolution` score is full and, unless a supervisor set it, not only because a
  next contact was agreed.
- 24小时解决率: after-sale chats solved in the chat, or whose timed promise was kept
  (`aftersale.promised_contact` full), or where a later chat of the same buyer with the same shop,
  begun within `resolve_within_hours` of this one, is solved or was opened by the agent (the
  contact kept) ÷ after-sale chats.
- 红线次数: the red-line (一票否决) hits of the agent's chats that a supervisor did not dismiss
  (`FinalCard.red_lines_standing`), one per red line and chat; the drill-down lists the chats.
- 投诉比重 / 退款比重: chats where the buyer threatens or makes a complaint (``complaint.txt``:
  投诉, 差评, 12315, 举报 …) / asks for a refund, return or exchange (``refund_request.txt``) ÷ all
  chats: the review_signals detector's measurement (the card's metrics `complaint_at` / `refund_at`).

Each chat's part is read from its stored facts (`grader.scorecard.facts`, measured when it was
graded) with the supervisors' overrides (`kpi_of_facts`); `chat_kpi` measures them afresh.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import SimpleNamespace

import pandas as pd

from grader.detectors.lexicon import LexiconSet
from grader.scorecard.facts import PROMISED, SAME_DAY, chat_facts, moment
from grader.scorecard.final import FinalCard, override_level, stands
from grader.transcript.model import Transcript


@dataclass(frozen=True)
class ChatKpi:
    """What one chat contributes to the KPIs; `*_why` are the quotes or reasons shown in drill-downs."""

    transcript_id: str
    agent: str
    started_at: datetime | None
    ended_at: datetime | None
    buyer: tuple[str, str] | None  # (shop, customer): the same buyer's later chats
    scenario: str
    ordered: bool = False
    ordered_why: str = ""
    lost: bool = False
    lost_why: str = ""
    solved: bool = False
    solved_why: str = ""
    resolved_24h: bool = False
    resolved_24h_why: str = ""
    contact_kept: bool = False  # the chat's own timed promise was kept
    opened_by_agent: bool = False
    complaint: bool = False
    complaint_why: str = ""
    refund: bool = False
    refund_why: str = ""
    avg_response: float | None = None
    max_wait: float | None = None
    within_30s: float | None = None
    answered_turns: int = 0
    unanswered_turns: int = 0
    red_lines: int = 0  # red lines hit and not dismissed
    red_lines_why: str = ""

    @property
    def presale(self) -> bool:
        return self.scenario == "presale"

    @property
    def aftersale(self) -> bool:
        return self.scenario == "aftersale"


@dataclass(frozen=True)
class Kpi:
    """A KPI: which chats form its base, which of them it counts, and how it is shown."""

    id: str
    label: str
    kind: str  # "rate": counted ÷ base; "count": counted; "seconds"/"share"/"max": a measure
    base: str  # "presale" | "aftersale" | "all"
    counts: str = ""  # ChatKpi field that marks a counted chat


KPIS = [
    Kpi("conversion", "咨询转化率", "rate", "presale", "ordered"),
    Kpi("lost", "客户流失", "count", "presale", "lost"),
    Kpi("avg_response", "平均响应时间(秒)", "seconds", "all"),
    Kpi("within_30s", "30秒内回复占比", "share", "all"),
    Kpi("max_wait", "最长等待(秒)", "max", "all"),
    Kpi("unanswered", "未回复轮次", "count", "all", "unanswered_turns"),
    Kpi("first_contact_resolution", "首次解决率", "rate", "aftersale", "solved"),
    Kpi("resolved_24h", "24小时解决率", "rate", "aftersale", "resolved_24h"),
    Kpi("complaint", "投诉比重", "rate", "all", "complaint"),
    Kpi("refund", "退款比重", "rate", "all", "refund"),
    Kpi("red_lines", "红线次数", "count", "all", "red_lines"),
]
KPI_BY_ID = {k.id: k for k in KPIS}


def chat_kpi(transcript: Transcript, fc: FinalCard, lexicons: LexiconSet, slow_seconds: float) -> ChatKpi:
    """The KPI facts of one chat from its transcript and final card (`chat_facts` measured now, then
    read as the month reads the stored ones, `kpi_of_facts`)."""
    return kpi_of_facts(chat_facts(transcript, fc.card, lexicons), final_overrides(fc), slow_seconds)


def final_overrides(fc: FinalCard) -> dict[str, dict]:
    """The override records a final card applied: item id or red-line id -> record."""
    latest = {i.item.id: i.override for i in fc.items if i.override is not None}
    latest.update({r.hit.id: r.override for r in fc.red_lines if r.override is not None})
    return latest


def kpi_of_facts(doc: dict, latest: dict[str, dict], slow_seconds: float) -> ChatKpi:
    """What one chat contributes to the KPIs: its stored facts (`grader.scorecard.facts.chat_facts`)
    read with the supervisors' latest overrides (`latest`: item or red-line id -> record, as
    `Store.latest_overrides`) and the policy's `slow_seconds` (a pre-sale buyer lost after a slow reply)."""
    m = doc["metrics"]
    answered = int((m.get("customer_turns") or 0) - (m.get("unanswered_turns") or 0))
    standing = [r for r in doc["red_lines"] if stands(latest.get(r[0]))]
    k = ChatKpi(
        transcript_id=doc["id"], agent=doc["agent"] or "（未知）", started_at=moment(doc["first"]),
        ended_at=moment(doc["ended"]), buyer=(doc["shop"] or "", doc["customer"]) if doc["customer"] else None,
        scenario=doc["scenario"], avg_response=m.get("avg_response_seconds"), max_wait=m.get("max_wait_seconds"),
        within_30s=m.get("replied_within_30s_share"), answered_turns=max(answered, 0),
        unanswered_turns=int(m.get("unanswered_turns") or 0), opened_by_agent=doc["opened_by_agent"],
        complaint=bool(doc["complaint"]), complaint_why=doc["complaint"], refund=bool(doc["refund"]),
        refund_why=doc["refund"], red_lines=len(standing),
        red_lines_why="；".join(f"{label}：{reason}" for _, label, reason in standing)[:120],
    )
    if doc["scenario"] == "presale":
        return _presale(k, doc["presale"], slow_seconds)
    if doc["scenario"] == "aftersale":
        return _aftersale(k, doc["same_day"], doc["promised"], latest)
    return k


def _presale(k: ChatKpi, p: dict, slow_seconds: float) -> ChatKpi:
    if p["ordered"]:
        return replace(k, ordered=True, ordered_why=p["ordered"])
    if p["question"]:
        return replace(k, lost=True, lost_why=p["question"])
    if p["wait"] is not None and p["wait"] > slow_seconds:
        return replace(k, lost=True, lost_why=f"顾客最后的消息等了 {p['wait']:.0f} 秒才得到回复，之后没有再说话也没有下单")
    return k


def _final(item: dict, record: dict | None) -> int:
    """The item's final score: the override's level when it is one of the item's (`override_level`)."""
    level = override_level(SimpleNamespace(levels=item["levels"]), record)
    return item["score"] if level is None else level


def _aftersale(k: ChatKpi, same_day: dict | None, promised: dict | None, latest: dict[str, dict]) -> ChatKpi:
    if same_day is None:
        return k
    record = latest.get(SAME_DAY)
    if _final(same_day, record) == same_day["max"]:
        if override_level(SimpleNamespace(levels=same_day["levels"]), record) is not None:
            k = replace(k, solved=True, solved_why=f"主管评定“当天解决”满分（{record.get('by', '')}）")
        elif same_day["kinds"] and set(same_day["kinds"]) <= {"next_contact"}:
            k = replace(k, solved_why="只约定了下次联系时间，没有在会话中解决")
        else:
            k = replace(k, solved=True, solved_why=same_day["reason"][:60])
    kept = promised is not None and _final(promised, latest.get(PROMISED)) == promised["max"] and not promised["na"]
    return replace(k, contact_kept=kept)


def link_buyers(kpis: list[ChatKpi], later: list[ChatKpi], hours: float) -> list[ChatKpi]:
    """Fill `resolved_24h` of `kpis` from the chat itself and the same buyer's chats in `later`
    (which may reach past the period) begun within `hours` after it."""
    by_buyer: dict[tuple, list[ChatKpi]] = {}
    for x in later:
        if x.buyer and x.started_at:
            by_buyer.setdefault(x.buyer, []).append(x)
    window = timedelta(hours=hours)
    out = []
    for k in kpis:
        if not k.aftersale:
            out.append(k)
            continue
        why = ""
        if k.solved:
            why = "会话中已解决"
        elif k.contact_kept:
            why = "承诺时间内联系了顾客"
        elif k.buyer and k.started_at:
            for x in sorted(by_buyer.get(k.buyer, []), key=lambda c: c.started_at):
                if x.transcript_id != k.transcript_id and k.started_at < x.started_at <= k.started_at + window:
                    if x.solved:
                        why = f"同一顾客的后续会话 {x.transcript_id} 中解决"
                        break
                    if x.opened_by_agent:
                        why = f"客服在后续会话 {x.transcript_id} 中主动联系了顾客"
                        break
        out.append(replace(k, resolved_24h=bool(why), resolved_24h_why=why or "24小时内没有解决，也没有按约联系"))
    return out


def _in_base(k: ChatKpi, base: str) -> bool:
    return base == "all" or k.scenario == base


@dataclass(kw_only=True)
class Figures:
    """An agent's figures: `values` (figure -> number or None), `bases` (figure -> how many it is
    over) and `counted` (figure -> the chats behind it, the drill-down). The month's KPIs and the
    platforms' (`platform_kpis.PlatformFigures`) alike."""

    values: dict[str, float | None] = field(default_factory=dict)
    bases: dict[str, int] = field(default_factory=dict)
    counted: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class AgentKpis(Figures):
    """One agent's KPIs (`Figures` by kpi id) over `chats` chats."""

    agent: str
    chats: int


def agent_kpis(kpis: list[ChatKpi], slow_seconds: float = 30) -> dict[str, AgentKpis]:
    """Per agent: every KPI of `KPIS`. Rates are shares 0..1 (None when the base is empty);
    seconds are weighted by answered turns. `counted` lists the chats behind each figure
    (for measures: those with a reply slower than `slow_seconds`, or the longest wait)."""
    out: dict[str, AgentKpis] = {}
    for agent in sorted({k.agent for k in kpis}):
        mine = [k for k in kpis if k.agent == agent]
        a = AgentKpis(agent, len(mine))
        for kpi in KPIS:
            base = [k for k in mine if _in_base(k, kpi.base)]
            a.bases[kpi.id] = len(base)
            if kpi.kind in ("rate", "count"):
                hit = [k for k in base if getattr(k, kpi.counts)]
                a.counted[kpi.id] = [k.transcript_id for k in hit]
                if kpi.kind == "rate":
                    a.values[kpi.id] = len(hit) / len(base) if base else None
                else:
                    a.values[kpi.id] = sum(int(getattr(k, kpi.counts)) for k in hit)
                continue
            timed = [k for k in base if k.answered_turns and getattr(k, _MEASURE[kpi.id]) is not None]
            weight = sum(k.answered_turns for k in timed)
            if kpi.kind == "max":
                top = max(timed, key=lambda k: k.max_wait, default=None)
                a.values[kpi.id] = top.max_wait if top else None
                a.counted[kpi.id] = [top.transcript_id] if top else []
            else:
                attr = _MEASURE[kpi.id]
                a.values[kpi.id] = sum(getattr(k, attr) * k.answered_turns for k in timed) / weight if weight else None
                a.counted[kpi.id] = [k.transcript_id for k in timed if (k.max_wait or 0) > slow_seconds]
        out[agent] = a
    return out


_MEASURE = {"avg_response": "avg_response", "within_30s": "within_30s", "max_wait": "max_wait"}


def kpi_frame(agents: dict[str, AgentKpis]) -> pd.DataFrame:
    """One row per agent, a column per KPI (rates as percentages, 1 decimal) and its base."""
    rows = []
    for a in agents.values():
        row = {"客服": a.agent, "会话数": a.chats}
        for kpi in KPIS:
            v = a.values.get(kpi.id)
            if v is not None and kpi.kind in ("rate", "share"):
                v = round(100 * v, 1)
            elif v is not None:
                v = round(v, 1)
            row[kpi.label + ("(%)" if kpi.kind in ("rate", "share") else "")] = v
        row["售前会话"] = a.bases.get("conversion", 0)
        row["售后会话"] = a.bases.get("first_contact_resolution", 0)
        rows.append(row)
    return pd.DataFrame(rows)


def drill_frame(kpis: list[ChatKpi]) -> pd.DataFrame:
    """One row per chat: which KPIs count it, and why (the drill-down behind every figure)."""
    rows = []
    for k in kpis:
        rows.append({
            "客服": k.agent, "会话ID": k.transcript_id, "场景": {"presale": "售前", "aftersale": "售后"}.get(k.scenario, k.scenario),
            "下单": k.ordered, "下单依据": k.ordered_why, "流失": k.lost, "流失原因": k.lost_why,
            "会话中解决": k.solved if k.aftersale else None, "解决依据": k.solved_why,
            "24小时内解决": k.resolved_24h if k.aftersale else None, "24小时依据": k.resolved_24h_why,
            "投诉": k.complaint, "投诉原话": k.complaint_why, "退款": k.refund, "退款原话": k.refund_why,
            "红线次数": k.red_lines, "红线依据": k.red_lines_why,
            "平均响应(秒)": k.avg_response, "最长等待(秒)": k.max_wait, "未回复轮次": k.unanswered_turns,
        })
    return pd.DataFrame(rows)
