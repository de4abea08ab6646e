"""The HTML report: the workbook's tables plus charts, one self-contained file."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from grader.display import environment
from grader.report.data import ReportData, band_names, item_scores
from grader.report.formats import column_kind, shown
from grader.report.svg import stacked_bars

# Upper bounds inclusive, as the rubric's first-response bands.
RESPONSE_BINS = [-math.inf, 10, 20, 25, 30, 60, 300, math.inf]
RESPONSE_LABELS = ["≤10秒", "11–20秒", "21–25秒", "26–30秒", "31–60秒", "1–5分钟", ">5分钟"]



def _table(frame: pd.DataFrame) -> dict:
    """Columns and rows of (text, css class): the workbook's formats (`grader.report.formats`), text left-aligned."""
    kinds = [column_kind(str(c), frame[c]) for c in frame.columns]
    align = ["text" if k in ("text", "bool", "date", "datetime") else "num" for k in kinds]
    return {"columns": list(zip(frame.columns, align)),
            "rows": [[(shown(v, k), a) for v, k, a in zip(row, kinds, align)] for row in frame.itertuples(index=False)]}


def charts(data: ReportData) -> dict[str, str]:
    cards = data.cards
    if cards.empty:
        return {}
    per_agent = [(agent, [(b, int((g["等级"] == b).sum())) for b in band_names(data.rubric)]) for agent, g in cards.groupby("客服")]
    items = []
    for item in data.rubric.items:
        mean = item_scores(cards[item.label]).dropna().mean()  # 不适用 left out
        if not pd.isna(mean):
            items.append((item.label, [("得分率%", round(100 * mean / item.max, 1))]))
    seconds = pd.to_numeric(cards["首次响应(秒)"], errors="coerce").dropna()
    counts = pd.cut(seconds, RESPONSE_BINS, labels=RESPONSE_LABELS).value_counts(sort=False)
    buckets = [(label, [("会话数", int(n))]) for label, n in counts.items()]
    return {
        "各客服分数等级分布（会话数）": stacked_bars(per_agent, "各客服分数等级分布"),
        "各项目平均得分率（%，最终得分/满分）": stacked_bars(items, "各项目平均得分率"),
        "首次响应时间分布（会话数）": stacked_bars(buckets, "首次响应时间分布"),
    }


def write_html(data: ReportData, path: str | Path) -> Path:
    path = Path(path)
    html = environment().get_template("report/report.html").render(
        period=data.period, total=len(data.cards), reviewed=data.reviewed,
        mean=round(float(data.cards["最终总分"].mean()), 1) if len(data.cards) else None,
        charts=charts(data),
        tables=[("客服日汇总", _table(data.agent_days)), ("客服排名", _table(data.ranking)),
                ("评分明细", _table(data.cards))] + ([("复核记录", _table(data.reviews))] if len(data.reviews) else [])
        if len(data.cards) else [],
    )
    path.write_text(html, encoding="utf-8")
    return path
