"""Spreadsheet formula injection: the one rule every CSV and xlsx writer applies to text cells.

A text cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
WPS and LibreOffice as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3`), so a buyer nickname or
a shop name could run one in the supervisor's spreadsheet. So is one beginning with their full-width
forms `＝＋－＠` (Excel and WPS under a Chinese input method turn them into the ASCII ones), and
one whose formula sign follows leading spaces or ideographic spaces (U+3000), which the
spreadsheet trims. Such text is neutralised:

- CSV: prefixed with a single quote (`'=HYPERLINK(...)`); the rest of the text is kept as is;
- xlsx: stored as a plain string cell with Excel's own "quote prefix" flag, which is what Excel
  records when a user types the quote: the visible text is unchanged and never evaluated.

Numbers written as numbers (ints, floats, including negative ones) are not text and stay numbers.
Control characters other than tab, line feed and carriage return (NUL, ESC, DEL, C1), which an xlsx
file cannot hold, are dropped from every text cell (`clean_text`). Workbooks are written under a
temporary name and renamed when complete (`written_whole`): a failed write never leaves a cut-short file.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

RISKY_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_LEADING_BLANKS = " \u3000"  # trimmed by the spreadsheet before it looks for a formula sign
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def is_risky(value: Any) -> bool:
    """True for a str that a spreadsheet would read as a formula (see RISKY_PREFIXES), also after
    leading spaces or U+3000."""
    return isinstance(value, str) and (value.startswith(RISKY_PREFIXES)
                                       or value.lstrip(_LEADING_BLANKS).startswith(RISKY_PREFIXES))


def clean_text(value: Any) -> Any:
    """A str without the control characters a spreadsheet cannot hold (tab, LF, CR kept); else unchanged."""
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def csv_safe(value: Any) -> Any:
    """The value to give csv.writer: control characters dropped, risky text given a leading quote;
    anything but text unchanged."""
    value = clean_text(value)
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


@contextmanager
def written_whole(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path` to write to; renamed to `path` when the block ends without
    error (an earlier file of that name is replaced only then), deleted when it fails."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
