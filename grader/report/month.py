"""The month of a team: KPIs, final grade (supervisor's + self-assessment), ranking, pay and alerts.

`build_month(store, "2026-11", policy, rubric, lexicons, tz)` reads the database only through the
store: final cards (`Store.final_cards`, so reviewed scores win), transcripts, self-assessments.
The policy (`grader.report.policy`) supplies every weight, band, bonus, reward and alert rule.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import pandas as pd

from grader.dates import month_range
from grader.detectors.lexicon import LexiconSet
from grader.report.kpis import AgentKpis, ChatKpi, drill_frame, kpi_frame
from grader.report.orders import OrderFile, Sales, sales
from grader.report.platform_kpis import Unit, agent_figures, figures_frame, month_units, units_frame
from grader.report.policy import Policy
from grader.rubric import Rubric
from grader.store import Store
from grader.transcript.model import SHANGHAI

NO_ORDERS = ("没有提供订单导出：咨询转化率按聊天里的订单通知和下单说法估计（见“月度指标”）；"
             "用 grader month --orders 订单文件 提供店铺的订单导出，可算询单人数、询单→当日/次日/最终付款转化率、客单价、客件数、答问比和静默下单。")


def shift_month(month: str, by: int) -> str:
    """"2026-11" shifted by `by` months ("2026-10" for -1)."""
    first, _ = month_range(month)
    n = first.year * 12 + first.month - 1 + by
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


@dataclass
class AgentMonth:
    """One agent's month: grades (0..100), band, rank (None: not ranked), pay lines (元), alerts."""

    agent: str
    chats: int
    reviewed: int
    supervisor: float
    self_score: float | None
    final: float
    band: str
    rank: int | None = None
    ranked_of: int = 0
    last: bool = False  # last place (ties included), with at least two ranked
    base_pay: float = 0.0
    coefficient: float = 0.0
    band_bonus: float = 0.0
    rank_reward: float = 0.0
    alerts: list[str] = field(default_factory=list)

    @property
    def pay(self) -> float:
        return round(self.base_pay * self.coefficient + self.band_bonus + self.rank_reward, 2)


def month_grades(store: Store, month: str, policy: Policy, rubric: Rubric | None = None,
                 tz=SHANGHAI) -> dict[str, AgentMonth]:
    """Per agent account with chats in `month`: supervisor's mean of final totals, self-assessment,
    final grade, band, rank and pay lines (alerts are `build_month`'s, they need earlier months).

    Read from the review queue's stored columns (final totals as `Store.refresh_finals` keeps them,
    review marks): one indexed query, whatever the month's size. `rubric` is not needed (kept for callers)."""
    from grader.report.precompute import _window

    lo, hi, _, _ = _window(month, policy, tz)
    totals: dict[str, list] = {}
    for agent, chats, total, reviewed in store.agent_totals(lo, hi):
        t = totals.setdefault(agent or "（未知）", [0, 0, 0])
        t[0], t[1], t[2] = t[0] + chats, t[1] + (total or 0), t[2] + (reviewed or 0)
    selfs = store.self_assessments([month])
    w = policy.final_grade
    out: dict[str, AgentMonth] = {}
    for agent, (chats, total, reviewed) in sorted(totals.items()):
        sup = round(total / chats, 2)
        own = selfs.get((agent, month))
        own_score = float(own["total"]) if own else None
        if own_score is None and w.without_self == "supervisor_only":
            final = sup
        else:
            final = sup * w.supervisor_weight + (own_score or 0.0) * w.self_weight
        final = round(final, 2)
        band = policy.band(final)
        out[agent] = AgentMonth(agent, chats, int(reviewed), sup, own_score, final, band.name,
                                base_pay=policy.pay.base_of(agent), coefficient=round(final / 100, 4),
                                band_bonus=band.bonus)
    ranked = sorted((a for a in out.values() if a.chats >= w.min_chats), key=lambda a: -a.final)
    for a in ranked:
        a.rank = 1 + sum(1 for b in ranked if b.final > a.final)
        a.ranked_of = len(ranked)
    if len(ranked) >= 2:
        worst = max(a.rank for a in ranked)
        for a in ranked:
            a.last = a.rank == worst
            a.rank_reward = (policy.ranking.first_reward if a.rank == 1 else 0) + \
                            (policy.ranking.last_reward if a.last else 0)
    return out


def month_history(store: Store, month: str, policy: Policy, tz=SHANGHAI) -> dict[str, dict[str, AgentMonth]]:
    """The grades of the months before `month` that trends and alerts look at (earlier month -> grades)."""
    back = max(policy.report.trend_months, policy.alerts.last_place_months, policy.alerts.fail_months) - 1
    return {shift_month(month, -n): month_grades(store, shift_month(month, -n), policy, tz=tz)
            for n in range(1, back + 1)}


@dataclass
class MonthReport:
    """Everything the monthly report shows; frames have Chinese column names (what supervisors see)."""

    month: str
    policy: Policy
    agents: dict[str, AgentMonth]
    history: dict[str, dict[str, AgentMonth]]  # earlier month -> its grades (for trends and alerts)
    chats: list[ChatKpi]
    kpis: dict[str, AgentKpis]
    without_text: list[str] = field(default_factory=list)  # chats of the month left out of the KPIs (no text)
    platform: list[tuple[str, Unit]] = field(default_factory=list)  # (mode, unit): the platforms' own KPIs
    sales: Sales | None = None  # from the shop's order export, when one was given

    def grades_frame(self) -> pd.DataFrame:
        rows = []
        for a in sorted(self.agents.values(), key=lambda a: (a.rank or math.inf, a.agent)):
            rows.append({"排名": a.rank, "客服": a.agent, "会话数": a.chats, "已复核": a.reviewed,
                         "主管评分": a.supervisor, "自评": a.self_score, "最终成绩": a.final, "等级": a.band,
                         "基本工资": a.base_pay, "绩效系数": round(a.coefficient, 2), "等级奖金": a.band_bonus,
                         "排名奖惩": a.rank_reward, "应发绩效工资": a.pay, "提醒": "；".join(a.alerts)})
        return pd.DataFrame(rows)

    def kpi_frame(self) -> pd.DataFrame:
        return kpi_frame(self.kpis)

    def drill_frame(self) -> pd.DataFrame:
        return drill_frame(self.chats)

    def platform_frame(self) -> pd.DataFrame:
        """Per agent, the platform's own KPIs (平台口径) of the shops' modes."""
        return figures_frame(agent_figures(self.platform))

    def platform_drill_frame(self) -> pd.DataFrame:
        return units_frame(self.platform)

    def sales_frame(self) -> pd.DataFrame:
        """Per agent, the sales of the order export; without one, a line saying what the month uses instead."""
        if self.sales is None:
            return pd.DataFrame({"说明": [NO_ORDERS]})
        return self.sales.frame()

    def sales_drill_frame(self) -> pd.DataFrame:
        return self.sales.drill_frame() if self.sales is not None else pd.DataFrame()

    def trend(self) -> dict[str, list[tuple[str, float | None]]]:
        """agent -> [(month, final grade or None)], oldest first, over the policy's trend months."""
        months = sorted(self.history) + [self.month]
        months = months[-self.policy.report.trend_months:]
        every = {**self.history, self.month: self.agents}
        while len(months) > 1 and not any(a in every[months[0]] for a in self.agents):
            months = months[1:]  # months before any of these agents had chats
        return {agent: [(m, every[m][agent].final if agent in every[m] else None) for m in months]
                for agent in sorted(self.agents)}

    def trend_frame(self) -> pd.DataFrame:
        rows = [{"客服": agent, **{m: v for m, v in points}} for agent, points in self.trend().items()]
        return pd.DataFrame(rows)

    def alerts(self) -> list[tuple[str, str]]:
        out = [(a.agent, text) for a in self.agents.values() for text in a.alerts]
        if self.without_text:
            out.append(("（全体）", f"{len(self.without_text)} 个会话的聊天记录已不在数据库中，成绩照常计入，但不计入指标："
                                 + "、".join(self.without_text[:20]) + ("…" if len(self.without_text) > 20 else "")))
        return out


def build_month(store: Store, month: str, policy: Policy, rubric: Rubric, lexicons: LexiconSet,
                tz=SHANGHAI, orders: OrderFile | None = None) -> MonthReport:
    """The month's report data: grades, ranking, pay, alerts, trends, the KPIs of every chat, the
    platforms' own KPIs, and the sales of the shop's order export (`orders`, when given).

    The grades come from the queue's stored columns, the KPIs from the month's precomputed aggregate,
    brought up to date first (`grader.report.precompute.refresh_month`), and the platforms' KPIs and
    the sales from the chats' stored facts (`month_timelines`): no transcript or scorecard is decoded
    but those of chats graded before facts were stored."""
    from grader.report.precompute import month_timelines, refresh_month

    agents = month_grades(store, month, policy, rubric, tz)
    history = month_history(store, month, policy, tz)
    _alerts(month, agents, history, policy)
    chats, kpis, without_text = refresh_month(store, month, policy, rubric, lexicons, tz)
    timelines = month_timelines(store, month, policy, lexicons, tz)
    platform = month_units([(t, agent) for t, agent, _ in timelines],
                           lambda t: policy.platform_kpi.mode_of(t.shop, t.platform), tz)
    sold = None
    if orders is not None:
        sold = sales(timelines, orders, policy.sales.final_days, month_range(month), tz)
    return MonthReport(month, policy, agents, history, chats, kpis, without_text, platform, sold)


def _alerts(month: str, agents: dict[str, AgentMonth], history: dict[str, dict[str, AgentMonth]],
            policy: Policy) -> None:
    """The consequences the schemes name, as alerts for the supervisor (never actions)."""
    rules = policy.alerts
    lowest = policy.bands[-1].name
    every = {**history, month: agents}

    def streak(agent: str, test, months: int) -> bool:
        seq = [shift_month(month, -n) for n in range(months)]
        return all(agent in every.get(m, {}) and test(every[m][agent]) for m in seq)

    for a in agents.values():
        if a.rank is not None and rules.improvement_plan_bottom and a.ranked_of > rules.improvement_plan_bottom \
                and a.rank > a.ranked_of - rules.improvement_plan_bottom:
            a.alerts.append(f"本月排名倒数（第 {a.rank}/{a.ranked_of} 名）：需提交改进计划")
        if streak(a.agent, lambda x: x.last, rules.last_place_months):
            a.alerts.append(f"连续 {rules.last_place_months} 个月最后一名：考虑调岗")
        if streak(a.agent, lambda x: x.band == lowest, rules.fail_months):
            a.alerts.append(f"连续 {rules.fail_months} 个月{lowest}")


def self_assessment_score(items: dict[str, dict] | None, total: float | None, policy: Policy) -> float:
    """The self-assessment's total (0..100): the sum of item scores (each 0..its max), or the one total.
    ValueError (Chinese) when a score is missing or out of range."""
    if items:
        allowed = {i.id: i for i in policy.self_assessment}
        s = 0.0
        for item_id, entry in items.items():
            spec = allowed.get(item_id)
            if spec is None:
                raise ValueError(f"没有自评项目 {item_id}")
            score = float(entry.get("score"))
            if not 0 <= score <= spec.max:
                raise ValueError(f"{spec.label} 的自评分必须在 0 到 {spec.max} 之间")
            s += score
        missing = [i.label for i in policy.self_assessment if i.id not in items]
        if missing:
            raise ValueError("逐项自评需要填写每一项：缺少 " + "、".join(missing))
        return round(s, 2)
    if total is None or not 0 <= float(total) <= 100:
        raise ValueError("自评总分必须在 0 到 100 之间")
    return round(float(total), 2)


def items_json(items: dict[str, dict] | None) -> str | None:
    return json.dumps(items, ensure_ascii=False) if items else None
