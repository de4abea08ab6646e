"""Spreadsheet formula injection: the one rule every CSV and xlsx writer applies to text cells.

A text cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
WPS and LibreOffice as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3`), so a buyer nickname or
a shop name could run one in the supervisor's spreadsheet. Such text is neutralised:

- CSV: prefixed with a single quote (`'=HYPERLINK(...)`); the rest of the text is kept as is;
- xlsx: stored as a plain string cell with Excel's own "quote prefix" flag, which is what Excel
  records when a user types the quote: the visible text is unchanged and never evaluated.

Numbers written as numbers (ints, floats, including negative ones) are not text and stay numbers.
"""
from __future__ import annotations

from typing import Any, Iterable

RISKY_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_risky(value: Any) -> bool:
    """True for a str that a spreadsheet would read as a formula (see RISKY_PREFIXES)."""
    return isinstance(value, str) and value.startswith(RISKY_PREFIXES)


def csv_safe(value: Any) -> Any:
    """The value to give csv.writer: risky text gets a leading quote; anything else unchanged."""
    return "'" + value if is_risky(value) else value


def csv_safe_row(row: Iterable[Any]) -> list:
    """csv_safe over a row."""
    return [csv_safe(v) for v in row]


def xlsx_safe_sheet(sheet) -> int:
    """Neutralise every risky text cell of an openpyxl worksheet in place; returns how many.

    openpyxl turns any str beginning with "=" into a formula cell; this stores it back as a string.
    Call after the sheet is filled (e.g. after DataFrame.to_excel), before the workbook is saved.
    """
    changed = 0
    for row in sheet.iter_rows():
        for cell in row:
            value = cell.value
            if is_risky(value):
                cell.value = value
                cell.data_type = "s"  # after the value: the setter would make "=…" a formula again
                cell.quotePrefix = True
                changed += 1
    return changed
