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
  投诉, 差评, 12315, 举报 …) / asks for a refund, return or exchange (``refund_request.txt``) ÷ all chats.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import pandas as pd

from grader.detectors._cues import is_question, order_index
from grader.detectors.chat import Chat
from grader.detectors.lexicon import LexiconSet
from grader.scorecard.final import FinalCard
from grader.transcript.model import Transcript

SAME_DAY, PROMISED = "aftersale.same_day_resolution", "aftersale.promised_contact"


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


def chat_kpi(transcript: Transcript, fc: FinalCard, lexicons: LexiconSet, slow_seconds: float,
             same_day_kinds: set[str] | None = None) -> ChatKpi:
    """The KPI facts of one chat: its transcript and final card (scenario, final item scores).
    `same_day_kinds`: the kinds of the same-day resolution's findings, when the card was read
    without findings (else they are taken from the card)."""
    card = fc.card
    msgs = transcript.messages
    times = [m.time for m in msgs if m.time is not None]
    m = card.metrics
    answered = int((m.get("customer_turns") or 0) - (m.get("unanswered_turns") or 0))
    k = ChatKpi(
        transcript_id=card.transcript_id, agent=card.agent or "（未知）", started_at=card.started_at,
        ended_at=max(times) if times else None,
        buyer=(transcript.shop or "", transcript.customer) if transcript.customer else None, scenario=card.scenario,
        avg_response=m.get("avg_response_seconds"), max_wait=m.get("max_wait_seconds"),
        within_30s=m.get("replied_within_30s_share"), answered_turns=max(answered, 0),
        unanswered_turns=int(m.get("unanswered_turns") or 0),
        opened_by_agent=bool(msgs) and msgs[0].is_human_agent,
        red_lines=len(fc.red_lines_standing),
        red_lines_why="；".join(f"{r.label}：{r.reason}" for r in fc.red_lines_standing)[:120],
    )
    customers = [x for x in msgs if x.role == "customer"]
    for name, flag in (("complaint", "complaint"), ("refund_request", "refund")):
        lex = lexicons.get_or_fail(name)
        hit = next(((x, found) for x in customers if (found := lex.search(x.text))), None)
        if hit:
            k = replace(k, **{flag: True, f"{flag}_why": f"第{hit[0].index + 1}条 顾客：“{hit[0].text[:40]}”"})
    if card.scenario == "presale":
        k = _presale(k, transcript, lexicons, slow_seconds)
    elif card.scenario == "aftersale":
        k = _aftersale(k, fc, same_day_kinds)
    return k


def _presale(k: ChatKpi, transcript: Transcript, lexicons: LexiconSet, slow_seconds: float) -> ChatKpi:
    at, msg, how = order_index(Chat(transcript), lexicons.get_or_fail("order_signals"))
    if at is not None:
        return replace(k, ordered=True, ordered_why=f"第{at + 1}条：“{(how or msg.text)[:40]}”")
    msgs = transcript.messages
    last_human = max((x.index for x in msgs if x.is_human_agent), default=-1)
    waiting = [x for x in msgs if x.role == "customer" and x.index > last_human]
    if waiting and any(is_question(x.text) for x in waiting):
        q = next(x for x in waiting if is_question(x.text))
        return replace(k, lost=True, lost_why=f"顾客最后的问题没有人工回复：第{q.index + 1}条“{q.text[:40]}”")
    if last_human >= 0 and not waiting:  # the buyer's last turn was answered: how slowly?
        answer = msgs[last_human]
        before = max((x.index for x in msgs[:last_human] if x.is_human_agent), default=-1)
        run = [x for x in msgs[before + 1:last_human] if x.role == "customer"]
        if run and run[0].time and answer.time:
            wait = (answer.time - run[0].time).total_seconds()
            if wait > slow_seconds:
                return replace(k, lost=True, lost_why=f"顾客最后的消息等了 {wait:.0f} 秒才得到回复，之后没有再说话也没有下单")
    return k


def _aftersale(k: ChatKpi, fc: FinalCard, kinds: set[str] | None) -> ChatKpi:
    try:
        item = fc.item(SAME_DAY)
    except KeyError:
        return k
    if item.final == item.item.max:
        kinds = {f.kind for f in item.item.findings} if kinds is None else kinds
        if item.overridden:
            k = replace(k, solved=True, solved_why=f"主管评定“当天解决”满分（{item.override.get('by', '')}）")
        elif kinds and kinds <= {"next_contact"}:
            k = replace(k, solved_why="只约定了下次联系时间，没有在会话中解决")
        else:
            k = replace(k, solved=True, solved_why=item.item.reason[:60])
    try:
        promised = fc.item(PROMISED)
        kept = promised.final == promised.item.max and not promised.item.not_applicable
    except KeyError:
        kept = False
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


@dataclass
class AgentKpis:
    """One agent's KPI values (`values`: kpi id -> number or None) and drill-downs (kpi id -> chat ids)."""

    agent: str
    chats: int
    values: dict[str, float | None] = field(default_factory=dict)
    bases: dict[str, int] = field(default_factory=dict)
    counted: dict[str, list[str]] = field(default_factory=dict)


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
