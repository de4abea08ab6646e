"""The Excel workbook: agent-day summary, every scorecard, agent ranking."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from grader.report.data import ReportData
from grader.spreadsheet import xlsx_safe_sheet

SHEETS = {"agent_days": "客服日汇总", "cards": "评分明细", "ranking": "客服排名"}


def write_workbook(data: ReportData, path: str | Path) -> Path:
    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for attr, title in SHEETS.items():
            frame: pd.DataFrame = getattr(data, attr)
            if frame.empty:
                frame = pd.DataFrame({"说明": [f"{data.period} 没有评分记录"]})
            frame.to_excel(xw, sheet_name=title, index=False)
            sheet = xw.sheets[title]
            xlsx_safe_sheet(sheet)  # names and ids from the chats must never become formulas
            sheet.freeze_panes = "A2"
            for n, col in enumerate(frame.columns, 1):
                sheet.column_dimensions[get_column_letter(n)].width = max(8, min(30, len(str(col)) * 2 + 2))
    return path
