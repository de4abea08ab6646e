"""The Excel workbook: agent-day summary, every scorecard, agent ranking, the period's reviews.

Formatted for Excel and WPS: bold header row with an autofilter, frozen header row and first column,
column widths from the content, and each column's kind (`grader.report.formats`): dates as dates,
是/否, shares as percentages, scores with one decimal.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from grader.report.data import ReportData
from grader.report.formats import NUMBER_FORMATS, column_kind, cell_value, shown, text_width
from grader.spreadsheet import clean_text, written_whole, xlsx_safe_sheet

SHEETS = {"agent_days": "客服日汇总", "cards": "评分明细", "ranking": "客服排名", "reviews": "复核记录"}
MIN_WIDTH, MAX_WIDTH = 6, 60
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def write_workbook(data: ReportData, path: str | Path) -> Path:
    """Write the report's workbook to `path` (.xlsx) and return it."""
    path = Path(path)
    book = Workbook()
    book.remove(book.active)
    for attr, title in SHEETS.items():
        frame: pd.DataFrame = getattr(data, attr)
        if frame.empty:
            frame = pd.DataFrame({"说明": [f"{data.period} 没有{'复核记录' if attr == 'reviews' else '评分记录'}"]})
        write_sheet(book.create_sheet(title), frame)
    with written_whole(path) as tmp:
        book.save(tmp)
    return path


def write_sheet(sheet, frame: pd.DataFrame) -> None:
    """One table on a sheet: header, typed cells with number formats, filter, frozen panes, widths."""
    kinds = [column_kind(str(c), frame[c]) for c in frame.columns]
    sheet.append([clean_text(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        sheet.append([clean_text(cell_value(v, k)) for v, k in zip(row, kinds)])
    bold = Font(bold=True)
    for n, kind in enumerate(kinds, 1):
        head = sheet.cell(row=1, column=n)
        head.font, head.fill = bold, HEADER_FILL
        head.alignment = Alignment(horizontal="left", vertical="center")
        fmt = NUMBER_FORMATS.get(kind)
        for cell in next(sheet.iter_cols(min_col=n, max_col=n, min_row=2, max_row=sheet.max_row), ()):
            if fmt:
                cell.number_format = fmt
            if kind in ("text", "bool"):
                cell.alignment = Alignment(horizontal="left")
        widths = [text_width(shown(v, kind)) for v in frame.iloc[:, n - 1]]
        content = max(widths, default=0)
        # the content decides; a header wider than it wraps onto two lines rather than widening the column
        width = max(MIN_WIDTH, min(MAX_WIDTH, max(content, (text_width(str(frame.columns[n - 1])) + 1) // 2) + 2))
        sheet.column_dimensions[get_column_letter(n)].width = width
        if text_width(str(frame.columns[n - 1])) + 2 > width:
            head.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    xlsx_safe_sheet(sheet)  # names, ids and chat text must never become formulas (the shared rule)
    sheet.freeze_panes = "B2" if len(kinds) > 1 else "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(kinds))}{max(1, sheet.max_row)}"
