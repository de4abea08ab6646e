"""The monthly report files: an Excel workbook and an offline HTML page with each agent's trend.

Every text cell of the workbook goes through the shared formula-injection rule (a buyer's words in
the drill-down could start with "="); the HTML is autoescaped. Personal information in the text
(the drill-down quotes a buyer's words) is masked by `grader.privacy` unless the masker is off.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from grader.display import environment, yes_no
from grader.report.kpis import KPIS
from grader.report.month import MonthReport
from grader.report.platform_kpis import MODES
from grader.privacy import Masker, load_masker
from grader.report.svg import line_chart
from grader.spreadsheet import xlsx_safe_sheet

SHEETS = ("月度成绩", "月度指标", "指标明细", "平台口径指标", "平台口径明细", "销售（订单）", "销售明细", "成绩走势", "提醒",
          "考核方案")


def policy_frame(report: MonthReport) -> pd.DataFrame:
    """The policy in force, as the supervisor reads it."""
    p = report.policy
    rows = [("最终成绩", f"主管评分 × {p.final_grade.supervisor_weight:g} + 自评 × {p.final_grade.self_weight:g}"),
            ("未自评时", "只用主管评分" if p.final_grade.without_self == "supervisor_only" else "自评按 0 分计"),
            ("工资", f"基本工资 {p.pay.base:g} 元 × 绩效系数（成绩 ÷ 100）+ 等级奖金 + 排名奖惩")]
    rows += [(f"等级 {b.name}", f"成绩 ≥ {b.min:g}，奖金 {b.bonus:+g} 元") for b in p.bands]
    rows += [("排名奖惩", f"第一名 {p.ranking.first_reward:+g} 元，最后一名 {p.ranking.last_reward:+g} 元"),
             ("提醒", f"排名倒数 {p.alerts.improvement_plan_bottom} 名提交改进计划；连续 {p.alerts.last_place_months} "
                     f"个月最后一名考虑调岗；连续 {p.alerts.fail_months} 个月{p.bands[-1].name}"),
             ("平台口径", _platform_text(p)),
             ("考核方案版本", p.version)]
    return pd.DataFrame(rows, columns=["项目", "规则"])


def _platform_text(p) -> str:
    names = {"platform": "按会话所在平台", "off": "不计算", **MODES}
    shops = "；".join(f"{shop}：{names[m]}" for shop, m in p.platform_kpi.by_shop.items())
    return names[p.platform_kpi.mode] + (f"（单独设置 {shops}）" if shops else "")


def _frames(report: MonthReport, masker: Masker) -> dict[str, pd.DataFrame]:
    alerts = pd.DataFrame(report.alerts(), columns=["客服", "提醒"])
    frames = {"月度成绩": report.grades_frame(), "月度指标": report.kpi_frame(), "指标明细": report.drill_frame(),
              "平台口径指标": report.platform_frame(), "平台口径明细": report.platform_drill_frame(),
              "销售（订单）": report.sales_frame(), "销售明细": report.sales_drill_frame(),
              "成绩走势": report.trend_frame(), "提醒": alerts, "考核方案": policy_frame(report)}
    return {title: frame.map(lambda v: _cell(v, masker)) for title, frame in frames.items()}


def _cell(value, masker: Masker):
    """What a cell shows: 是/否 for a flag, text masked (personal information), anything else as it is."""
    if isinstance(value, (bool, np.bool_)):
        return yes_no(bool(value))
    return masker.mask(value) if isinstance(value, str) else value


def write_month_workbook(report: MonthReport, path: str | Path, masker: Masker | None = None) -> Path:
    """The workbook: grades, rank and pay; KPIs; one row per chat behind the KPIs; trends; alerts; policy.
    `masker`: personal information in text cells (default: the bundled patterns, on)."""
    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for title, frame in _frames(report, masker or load_masker()).items():
            if frame.empty:
                frame = pd.DataFrame({"说明": [f"{report.month} 没有记录"]})
            frame.to_excel(xw, sheet_name=title, index=False)
            sheet = xw.sheets[title]
            sheet.freeze_panes = "A2"
            for n, col in enumerate(frame.columns, 1):
                sheet.column_dimensions[get_column_letter(n)].width = max(8, min(40, len(str(col)) * 2 + 2))
            xlsx_safe_sheet(sheet)
    return path


def _table(frame: pd.DataFrame) -> dict:
    return {"columns": list(frame.columns),
            "rows": [["" if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in row]
                     for row in frame.itertuples(index=False)]}


def drill_downs(report: MonthReport) -> list[dict]:
    """Per agent and KPI: the figure and the chats behind it (those counted, or the slow ones)."""
    out = []
    for a in report.kpis.values():
        for kpi in KPIS:
            chats = a.counted.get(kpi.id, [])
            if chats:
                out.append({"agent": a.agent, "kpi": kpi.label, "base": a.bases.get(kpi.id, 0), "chats": chats})
    return out


def write_month_html(report: MonthReport, path: str | Path, masker: Masker | None = None) -> Path:
    """One self-contained page: summary, trend chart, tables, alerts and KPI drill-downs (masked like
    the workbook)."""
    path = Path(path)
    masker = masker or load_masker()
    guides = [(b.min, b.name) for b in report.policy.bands if b.min > 0]
    chart = line_chart(report.trend(), "各客服最终成绩走势", guides=guides) if report.agents else ""
    frames = _frames(report, masker)
    html = environment().get_template("report/month.html").render(
        month=report.month, agents=len(report.agents), chats=len(report.chats), chart=chart,
        alerts=report.alerts(), drills=drill_downs(report),
        tables=[(t, _table(f)) for t, f in frames.items() if t not in ("提醒", "指标明细", "平台口径明细", "销售明细")
                and not f.empty],
        detail=_table(frames["指标明细"]) if not frames["指标明细"].empty else None)
    path.write_text(masker.mask(html), encoding="utf-8")  # the drill-downs quote the buyer's words
    return path
