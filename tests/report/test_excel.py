"""The workbook as Excel and WPS show it (read back with openpyxl): bold filtered header, frozen
panes, number formats by column kind, widths from the content, and the sheet of reviews."""
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from grader.report import build, write_html, write_workbook
from grader.report.formats import column_kind, shown, text_width
from grader.review.disputes import open_dispute, reject_dispute

from .test_report import store  # noqa: F401  (fixture: t1 lowered by 主管A and reviewed)


@pytest.fixture
def book(store, tmp_path):  # noqa: F811
    open_dispute(store, "t2", store.current_scorecards(["t2"])["t2"].items[0].id, "小美", "我回复了", None)
    did = open_dispute(store, "t3", store.current_scorecards(["t3"])["t3"].items[0].id, "小美", "=HYPERLINK(\"x\")")
    reject_dispute(store, did, "主管A", "证据不足")
    data = build(store, "2026-11-22", "2026-11-22", "2026-11-22")
    return load_workbook(write_workbook(data, tmp_path / "r.xlsx")), data


def header(sheet) -> dict[str, int]:
    return {c.value: c.column for c in sheet[1]}


def column(sheet, name):
    return [r[0] for r in sheet.iter_rows(min_row=2, min_col=header(sheet)[name], max_col=header(sheet)[name])]


@pytest.mark.parametrize("name, values, kind", [
    pytest.param("日期", ["2026-11-22"], "date", id="date"),
    pytest.param("时间", [datetime(2026, 11, 22, 9)], "datetime", id="time"),
    pytest.param("已复核", [True, False], "bool", id="boolean"),
    pytest.param("30秒内回复占比", [0.5, 0.25], "percent", id="share"),
    pytest.param("平均分", [80.0, 70.5], "decimal", id="average"),
    pytest.param("平均分", [80.0, 70.0], "decimal", id="whole-average-still-one-decimal"),
    pytest.param("会话数", [3, 4], "int", id="count"),
    pytest.param("首次响应时间", [10, 0], "int", id="item-named-time-is-a-score"),
    pytest.param("绩效系数", [0.81], "coefficient", id="coefficient"),
    pytest.param("客服", ["小店:小美"], "text", id="text"),
])
def test_column_kinds(name, values, kind):
    assert column_kind(name, pd.Series(values)) == kind


@pytest.mark.parametrize("value, kind, text", [
    (0.256, "percent", "25.6%"), (72.25, "decimal", "72.2"), (True, "bool", "是"), (False, "bool", "否"),
    ("2026-11-22", "date", "2026-11-22"), (None, "decimal", ""), (float("nan"), "percent", ""),
])
def test_html_shows_the_workbook_formats(value, kind, text):
    assert shown(value, kind) == text


def test_every_sheet_has_a_bold_filtered_frozen_header(book):
    wb, _ = book
    assert wb.sheetnames == ["客服日汇总", "评分明细", "客服排名", "复核记录"]
    for sheet in wb.worksheets:
        assert all(c.font.bold for c in sheet[1])
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
        assert sheet.freeze_panes in ("A2", "B2")


def test_cells_are_typed_and_formatted(book):
    wb, _ = book
    cards = wb["评分明细"]
    day = column(cards, "日期")[0]
    assert isinstance(day.value, (date, datetime)) and day.number_format == "yyyy-mm-dd"
    assert {c.value for c in column(cards, "已复核")} == {"是", "否"}
    share = [c for c in column(cards, "30秒内回复占比") if c.value is not None]
    assert share and all(c.number_format == "0.0%" and 0 <= c.value <= 1 for c in share)
    days = wb["客服日汇总"]
    assert all(c.number_format == "0.0" for c in column(days, "平均分"))
    assert all(c.number_format == "0" for c in column(days, "会话数"))


def test_widths_come_from_the_content(book):
    wb, data = book
    cards = wb["评分明细"]
    tid = cards.column_dimensions[cards.cell(row=1, column=header(cards)["会话ID"]).column_letter].width
    assert tid == max(6, max(text_width(v) for v in data.cards["会话ID"]) + 2)  # "t1": narrow, not the header's
    reviews = wb["复核记录"]
    reason_col = reviews.cell(row=1, column=header(reviews)["原因"]).column_letter
    longest = max(text_width(str(v)) for v in data.reviews["原因"])
    assert reviews.column_dimensions[reason_col].width >= longest


def test_reviews_sheet_lists_overrides_and_disputes(book):
    wb, _ = book
    sheet = wb["复核记录"]
    rows = [dict(zip(header(sheet), (c.value for c in r))) for r in sheet.iter_rows(min_row=2)]
    override = next(r for r in rows if r["类型"].startswith("改分"))
    assert (override["会话ID"], override["原分"], override["改为"], override["原因"], override["操作人"]) == (
        "t1", override["原分"], "0", "活动已结束", "主管A")
    assert override["项目"] == "告诉客户店铺活动" and isinstance(override["时间"], datetime)
    assert override["时间"] == datetime(2026, 11, 23, 17, 0)  # 09:00 UTC shown in Shanghai time
    kinds = sorted(r["类型"] for r in rows)
    assert kinds == sorted(["改分", "申诉（待处理）", "申诉（已驳回）"])
    rejected = next(r for r in rows if r["类型"] == "申诉（已驳回）")
    assert "主管A：证据不足" in rejected["处理结果"]
    cell = next(c for c in sheet["H"] if c.value == '=HYPERLINK("x")')
    assert cell.data_type == "s"  # chat text never becomes a formula


def test_html_report_has_formats_and_the_reviews(store, tmp_path):  # noqa: F811
    data = build(store, "2026-11-22", "2026-11-22", "2026-11-22")
    html = write_html(data, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "复核记录" in html and 'class="text">活动已结束' in html and "是</td>" in html
    assert "%</td>" in html


def test_reviews_sheet_masks_personal_information(store):  # noqa: F811
    from grader.review.overrides import apply_override

    card = store.current_scorecards(["t2"])["t2"]
    item = next(i for i in card.items if len(i.levels) > 1)
    level = next(v for v in item.levels if v != item.score)
    apply_override(store, "t2", item.id, level, "顾客电话 13812345678 已核实", "主管A")
    reasons = " ".join(build(store, "2026-11-22", "2026-11-22", "2026-11-22").reviews["原因"])
    assert "13812345678" not in reasons and "顾客电话" in reasons
