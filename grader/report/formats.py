"""How a report column is shown, the same in the workbook and the HTML page.

A column's kind comes from its header and values: dates as dates, booleans as 是/否, shares as
percentages with one decimal, scores and averages with one decimal, counts as whole numbers.
"""
from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

# Excel number formats by kind (WPS reads the same codes)
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "percent": "0.0%", "decimal": "0.0",
                  "coefficient": "0.00", "int": "0"}
YES, NO = "是", "否"


def column_kind(name: str, values: pd.Series) -> str:
    """One of date, datetime, bool, percent, decimal, coefficient, int, text."""
    if name == "日期":
        return "date"
    if name in ("时间", "开始时间", "复核时间", "改分时间"):
        return "datetime"
    if values.dtype == bool or (len(values.dropna()) and values.dropna().map(lambda v: isinstance(v, bool)).all()):
        return "bool"
    if "占比" in name or (name.endswith("率") and pd.api.types.is_float_dtype(values)
                         and values.dropna().between(0, 1).all()):
        return "percent"
    if "系数" in name:
        return "coefficient"
    if pd.api.types.is_integer_dtype(values):
        return "int"
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        return "int" if len(whole) and (whole == whole.round()).all() and not _averaged(name) else "decimal"
    return "text"


def _averaged(name: str) -> bool:
    return any(w in name for w in ("平均", "均分", "(秒)"))


def cell_value(value, kind: str):
    """The value to write into a workbook cell of this kind (None for a missing value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if kind == "bool":
        return YES if bool(value) else NO
    if kind == "date":
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if kind == "datetime":
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if kind == "int":
        return int(value)
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def shown(value, kind: str) -> str:
    """The text of a value as the HTML report shows it (as Excel would with NUMBER_FORMATS)."""
    v = cell_value(value, kind)
    if v is None:
        return ""
    if kind == "percent":
        return f"{float(v) * 100:.1f}%"
    if kind == "decimal":
        return f"{float(v):.1f}"
    if kind == "coefficient":
        return f"{float(v):.2f}"
    if kind == "date":
        return v.isoformat()
    if kind == "datetime":
        return v.strftime("%Y-%m-%d %H:%M")
    return str(v)


def text_width(text: str) -> int:
    """Display width in Excel character units: CJK and full-width characters count two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
