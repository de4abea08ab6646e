"""Report tables from the database: final scores (supervisor overrides win), per agent and day."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from grader.rubric import Rubric, load_rubric
from grader.scorecard.model import Scorecard
from grader.store import Store, local_day

BANDS = ["优秀", "良好", "合格", "不合格"]


def final_item_scores(card: Scorecard, overrides: dict[str, str]) -> dict[str, int]:
    """Suggested scores with the supervisor's latest override applied to items on this card."""
    return {i.id: int(overrides[i.id]) if i.id in overrides else i.score for i in card.items}


@dataclass
class ReportData:
    period: str
    rubric: Rubric
    cards: pd.DataFrame       # one row per scorecard
    agent_days: pd.DataFrame  # one row per agent and day
    ranking: pd.DataFrame     # one row per agent for the period

    @property
    def reviewed(self) -> int:
        return int(self.cards["已复核"].sum()) if len(self.cards) else 0


def build(store: Store, since: str | None, until: str | None, period: str, rubric: Rubric | None = None,
          masker=None) -> ReportData:
    """The report's tables; text cells masked by `masker` (grader.privacy; None: the default, on)."""
    from grader.privacy import load_masker

    rubric = rubric or load_rubric()
    mask = (masker if masker is not None else load_masker()).mask
    cards = store.current_in_days(since, until)
    ids = [c.transcript_id for c in cards]
    overrides = store.latest_overrides(ids)
    reviewed = store.reviewed(ids)
    rows = []
    for c in cards:
        final = final_item_scores(c, overrides.get(c.transcript_id, {}))
        total = sum(final.values())
        row = {
            "日期": local_day(c.started_at), "客服": mask(c.agent or "（未知）"), "会话ID": mask(c.transcript_id),
            "场景": c.scenario_label, "建议总分": c.total, "最终总分": total, "等级": rubric.band(total),
            "已复核": c.transcript_id in reviewed, "有改分": bool(set(overrides.get(c.transcript_id, {})) - {"scenario"}),
            "需复核": c.needs_review,
            "首次响应(秒)": c.metrics.get("first_response_seconds"),
            "30秒内回复占比": c.metrics.get("replied_within_30s_share"),
        }
        for item in rubric.items:
            row[item.label] = final.get(item.id)
        rows.append(row)
    df = pd.DataFrame(rows)
    return ReportData(period, rubric, df, _agent_days(df, rubric), _ranking(df))


def _agent_days(df: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame()
    g = df.groupby(["日期", "客服"], sort=True)
    out = g.agg(会话数=("会话ID", "count"), 平均分=("最终总分", "mean")).reset_index()
    for band in BANDS:
        out[band] = g["等级"].apply(lambda s, b=band: int((s == b).sum())).values
    for item in rubric.items:
        out[f"{item.label}均分"] = g[item.label].mean().values  # NaN where no chat had the item
    out["平均首次响应(秒)"] = g["首次响应(秒)"].mean().values
    out["30秒内回复占比"] = g["30秒内回复占比"].mean().values
    out["需复核"] = g["需复核"].sum().astype(int).values
    out["已复核"] = g["已复核"].sum().astype(int).values
    return out.round(2)


def _ranking(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame()
    g = df.groupby("客服")
    out = g.agg(会话数=("会话ID", "count"), 平均分=("最终总分", "mean")).reset_index()
    out = out.sort_values(["平均分", "会话数"], ascending=[False, False]).reset_index(drop=True)
    out.insert(0, "排名", out["平均分"].rank(method="min", ascending=False).astype(int))
    out["平均分"] = out["平均分"].round(2)
    out["绩效系数"] = (out["平均分"] / 100).round(2)
    return out
