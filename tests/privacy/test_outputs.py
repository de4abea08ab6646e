"""Masking through every writer: scorecards.jsonl/.csv, set_aside.jsonl, report workbook and page,
calibration page; on by default, off with the documented switch."""
import csv
import json

import pytest

from grader.cli import main
from grader.pipeline import Grader
from grader.privacy import load_masker
from grader.report import build, write_html, write_workbook
from grader.scorecard.export import ScorecardFiles
from grader.scorecard.model import versions_key
from grader.scorecard.view import card_view, view_json
from grader.store import Store
from grader.transcript.reader import SetAside
from tests.builders import transcript

PHONE, MASKED = "13800138000", "138****8000"
ADDRESS = "浙江省杭州市西湖区文三路100号5幢302室"


@pytest.fixture(scope="module")
def grader():
    return Grader()


def chat():
    t = transcript(f"c 10:00:00 快递三天没动了，我电话{PHONE}，地址{ADDRESS}",
                   "a 10:00:05 非常抱歉，麻烦您提供一下订单号，我马上帮您查", id="t-pii")
    return t.model_copy(update=dict(customer=PHONE))


def write(tmp_path, grader, masker):
    card = grader.grade(chat(), "aftersale")
    with ScorecardFiles(tmp_path, grader.rubric, grader.tz, masker=masker) as files:
        files.write([card])
        files.write_set_aside([SetAside(file="x.jsonl", line=3, reason=f"无法读取：{{\"text\": \"{PHONE}\"")])
    return card, {name: (tmp_path / name).read_text(encoding="utf-8-sig")
                  for name in ("scorecards.jsonl", "scorecards.csv", "set_aside.jsonl")}


def test_scorecard_files_are_masked_by_default(tmp_path, grader):
    card, files = write(tmp_path, grader, None)
    assert PHONE in card.model_dump_json()  # the evidence quotes the customer's message
    for name, text in files.items():
        assert PHONE not in text and "文三路" not in text, name
    assert MASKED in files["set_aside.jsonl"]
    line = json.loads(files["scorecards.jsonl"])
    assert line["customer"] == MASKED
    quotes = [e[3] for i in line["items"] for e in i["evidence"] if MASKED in e[3]]  # [message, start, end, quote]
    assert quotes and all(len(q) == len(e) for q, e in zip(
        quotes, [e.quote for i in card.items for e in i.evidence if PHONE in e.quote]))
    row = dict(zip(*csv.reader(files["scorecards.csv"].splitlines())))
    assert row["顾客"] == MASKED and row["总分"] == str(card.total)


def test_the_switch_writes_in_the_clear(tmp_path, grader):
    _, files = write(tmp_path, grader, load_masker(enabled=False))
    assert PHONE in files["scorecards.jsonl"] and PHONE in files["set_aside.jsonl"]


def test_masking_leaves_everything_else_byte_identical(tmp_path, grader):
    t = transcript("c 10:00:00 有优惠吗", "a 10:00:05 您好，现在满300减30哦", id="t-clean")
    card = grader.grade(t, "presale")
    with ScorecardFiles(tmp_path, grader.rubric, grader.tz) as files:
        files.write([card])
    expected = view_json(card_view(card, versions_key(card.versions)))
    assert (tmp_path / "scorecards.jsonl").read_text(encoding="utf-8") == expected + "\n"


def test_report_files_are_masked(tmp_path, grader):
    store = Store(str(tmp_path / "g.db"))
    t = chat().model_copy(update=dict(id=f"t-{PHONE}"))
    card = grader.grade(t, "aftersale").model_copy(update=dict(agent=f"小店:{PHONE}"))
    store.save([(t, card)])
    data = build(store, "2026-11-22", "2026-11-22", "2026-11-22")
    write_html(data, tmp_path / "r.html")
    write_workbook(data, tmp_path / "r.xlsx")
    import openpyxl
    cells = [c.value for ws in openpyxl.load_workbook(tmp_path / "r.xlsx") for row in ws.iter_rows() for c in row]
    assert f"小店:{MASKED}" in cells and not any(PHONE in str(v) for v in cells)
    assert PHONE not in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_grade_and_report_commands_mask_unless_told_not_to(tmp_path):
    src = tmp_path / "in.jsonl"
    t = chat()
    src.write_text(t.model_dump_json() + "\n", encoding="utf-8")
    db = str(tmp_path / "g.db")
    assert main(["grade", str(src), "--date", "2026-11-22", "--db", db, "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert PHONE not in (tmp_path / "a" / "scorecards.jsonl").read_text(encoding="utf-8")
    assert main(["grade", str(src), "--date", "2026-11-22", "--db", db, "--out", str(tmp_path / "b"), "--quiet",
                 "--no-mask-pii"]) == 0
    assert PHONE in (tmp_path / "b" / "scorecards.jsonl").read_text(encoding="utf-8")
    # the database keeps the chat as it was: the review app shows it to signed-in accounts only
    assert PHONE in Store(db).current_views(["t-pii"])["t-pii"]


def test_the_batch_masks_exactly_like_the_full_walk(tmp_path):
    """grader.batch masks from the workers' (clear, masked) pairs; the result equals parsing each line."""
    lines = [f"c 10:00:00 我电话{PHONE}，地址{ADDRESS}", "a 10:00:05 非常抱歉，麻烦您提供一下订单号",
             "c 10:01:00 订单号 3456789012345678901，邮箱 zhangsan@qq.com", "a 10:01:30 好的，已经为您登记"]
    chats = [transcript(*lines, id="p1"), transcript("c 10:00:00 有优惠吗", "a 10:00:05 您好，满300减30", id="p2"),
             transcript("c 10:00:00 在吗", "a 10:00:05 您好", id="p3")]
    chats[2].messages[0].text = f"在吗\n{PHONE}\"引号\""  # escapes next to a phone in the JSON line
    src = tmp_path / "in.jsonl"
    src.write_text("".join(t.model_dump_json() + "\n" for t in chats), encoding="utf-8")
    for out, extra in (("masked", []), ("clear", ["--no-mask-pii"])):
        assert main(["grade", str(src), "--date", "2026-11-22", "--db", str(tmp_path / f"{out}.db"),
                     "--out", str(tmp_path / out), "--quiet", "--workers", "1", *extra]) == 0
    masked = (tmp_path / "masked" / "scorecards.jsonl").read_text(encoding="utf-8").splitlines()
    clear = (tmp_path / "clear" / "scorecards.jsonl").read_text(encoding="utf-8").splitlines()
    walk = load_masker()
    assert [json.loads(x) for x in masked] == [json.loads(walk.mask_json_line(x)) for x in clear]
    assert PHONE in "".join(clear) and PHONE not in "".join(masked) and "zhangsan@" not in "".join(masked)
