"""Report tables from the database: final scores (supervisor overrides win), per agent and day."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from grader.dates import day_of
from grader.rubric import Rubric, load_rubric
from grader.store import Store
from grader.transcript.model import SHANGHAI


def band_names(rubric: Rubric) -> list[str]:
    """The rubric's band names, best first."""
    return [name for _, name in sorted(rubric.bands, reverse=True)]


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
          tz=SHANGHAI, masker=None) -> ReportData:
    """The report's tables for chats whose local day in `tz` is in since..until (ISO dates, inclusive).

    Final scores are the final cards' (`Store.final_cards`): overrides applied where they are allowed
    levels, bands named by `rubric` (the one the scorecards were graded with). Text cells are masked
    by `masker` (grader.privacy; None: the default, masking on)."""
    from grader.privacy import load_masker

    rubric = rubric or load_rubric()
    mask = (masker if masker is not None else load_masker()).mask  # text cells (grader.privacy)
    cards = store.current_in_days(since, until, tz)
    reviewed = store.reviewed([c.transcript_id for c in cards])
    rows = []
    for fc in store.final_cards(cards, rubric):
        c, final, total = fc.card, fc.scores(), fc.total
        row = {
            "日期": day_of(c.started_at, tz).isoformat(), "客服": mask(c.agent or "（未知）"), "会话ID": mask(c.transcript_id),
            "场景": c.scenario_label, "建议总分": c.total, "最终总分": total, "等级": fc.band,
            "已复核": c.transcript_id in reviewed, "有改分": fc.overridden,
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
    for band in band_names(rubric):
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
