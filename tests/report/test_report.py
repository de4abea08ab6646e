import pandas as pd
import pytest
from sqlalchemy import insert

from grader.pipeline import Grader
from grader.report import build, write_html, write_workbook
from grader.store import Store, overrides, review_state
from tests.builders import transcript

CHATS = [
    ("t1", ["c 10:00:00 有优惠吗", "a 10:00:05 您好，现在满300减30哦"]),
    ("t2", ["c 11:00:00 在吗", "a 11:00:40 在"]),
    ("t3", ["c 12:00:00 能便宜点吗", "a 12:00:08 您好，这款没有优惠哦，请您谅解"]),
]


@pytest.fixture
def store(db_url):
    store, grader = Store(db_url), Grader()
    pairs = []
    for tid, lines in CHATS:
        t = transcript(*lines, id=tid)
        pairs.append((t, grader.grade(t, scenario="presale")))
    store.save(pairs)
    with store.engine.begin() as conn:  # a supervisor lowered t1's promotion item and reviewed it
        card = store.current_scorecards(["t1"])["t1"]
        conn.execute(insert(overrides).values(transcript_id="t1", scorecard_id=1, item_id="presale.promotion",
                                              from_value=str(card.item("presale.promotion").score), to_value="0",
                                              reason="活动已结束", by="主管A", at="2026-11-23T09:00:00"))
        conn.execute(insert(review_state).values(transcript_id="t1", revision=1, reviewed=True,
                                                 reviewed_by="主管A", reviewed_at="2026-11-23T09:00:00"))
    return store


def test_final_scores_use_overrides_and_count_reviewed(store):
    data = build(store, "2026-11-22", "2026-11-22", "2026-11-22")
    t1 = data.cards.set_index("会话ID").loc["t1"]
    assert t1["告诉客户店铺活动"] == 0 and t1["最终总分"] == t1["建议总分"] - 5
    assert data.reviewed == 1
    assert data.agent_days["会话数"].tolist() == [3]


def test_workbook_numbers_match_the_database(store, tmp_path):
    data = build(store, "2026-11-22", "2026-11-22", "2026-11-22")
    path = write_workbook(data, tmp_path / "r.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert set(sheets) == {"客服日汇总", "评分明细", "客服排名", "复核记录"}
    cards = sheets["评分明细"].set_index("会话ID")
    for tid in ("t1", "t2", "t3"):
        stored = store.current_scorecards([tid])[tid]
        expected = stored.total - (5 if tid == "t1" and stored.item("presale.promotion").score == 5 else 0)
        assert cards.loc[tid, "最终总分"] == expected
    summary = sheets["客服日汇总"].iloc[0]
    assert summary["平均分"] == pytest.approx(cards["最终总分"].mean(), abs=0.01)
    assert summary[["优秀", "良好", "合格", "不合格"]].sum() == 3
    ranking = sheets["客服排名"].iloc[0]
    assert ranking["排名"] == 1 and ranking["绩效系数"] == pytest.approx(round(ranking["平均分"] / 100, 2))


def test_html_report_is_offline_and_escapes_text(store, tmp_path):
    data = build(store, "2026-11-22", "2026-11-22", "2026-11-22")
    data.cards.loc[0, "客服"] = "<script>alert(1)</script>"
    html = write_html(data, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<svg" in html and "已人工复核：<b>1</b>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "http://" not in html and "https://" not in html


def test_empty_period_still_writes_both_files(db_url, tmp_path):
    data = build(Store(db_url), "2026-01-01", "2026-01-01", "2026-01-01")
    assert write_workbook(data, tmp_path / "e.xlsx").exists()
    assert "没有评分记录" in write_html(data, tmp_path / "e.html").read_text(encoding="utf-8")


def test_an_override_that_is_no_allowed_level_is_not_applied(store):
    """Tricky: the report once applied any override value; now the final card's rule holds everywhere."""
    card = store.current_scorecards(["t2"])["t2"]
    with store.engine.begin() as conn:
        conn.execute(insert(overrides).values(transcript_id="t2", scorecard_id=2, item_id="presale.promotion",
                                              from_value="0", to_value="3", reason="x", by="主管A",
                                              at="2026-11-23T09:00:00"))
    t2 = build(store, "2026-11-22", "2026-11-22", "2026-11-22").cards.set_index("会话ID").loc["t2"]
    assert t2["最终总分"] == card.total and not t2["有改分"]


def test_the_report_days_follow_tz(store):
    from zoneinfo import ZoneInfo
    # the chats began 10:00-12:00 Beijing time: 2026-11-22 in Shanghai, 2026-11-21 in Los Angeles
    la = build(store, "2026-11-21", "2026-11-21", "x", tz=ZoneInfo("America/Los_Angeles"))
    assert len(la.cards) == 3 and set(la.cards["日期"]) == {"2026-11-21"}
    assert build(store, "2026-11-22", "2026-11-22", "x", tz=ZoneInfo("America/Los_Angeles")).cards.empty


def test_not_applicable_is_marked_and_left_out_of_item_averages(db_url, tmp_path):
    """Tricky: an item whose occasion never arose scored 0 and pulled the item's average down."""
    from openpyxl import load_workbook

    store, grader = Store(db_url), Grader()
    no_sale = transcript("c 10:00:00 这款有货吗", "a 10:00:05 您好，有货的", "c 10:00:30 好的谢谢", id="na")
    sale = transcript("c 11:00:00 拍了", "a 11:00:05 好的亲，签收时请当面检查外包装哦", id="sold")
    store.save([(t, grader.grade(t, scenario="presale")) for t in (no_sale, sale)])
    data = build(store, "2026-11-22", "2026-11-22", "2026-11-22", tz=grader.tz)
    label = grader.rubric.item("presale.delivery_notes").label
    cards = data.cards.set_index("会话ID")
    assert cards.loc["na", label] == "不适用"
    sold = store.current_scorecards(["sold"])["sold"].item("presale.delivery_notes")
    assert not sold.not_applicable
    assert data.agent_days.iloc[0][f"{label}均分"] == sold.score  # the N/A chat left out
    wb = load_workbook(write_workbook(data, tmp_path / "r.xlsx"))
    sheet = wb["评分明细"]
    header = [c.value for c in sheet[1]]
    rows = {r[header.index("会话ID")]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["na"][header.index(label)] == "不适用" and rows["na"][header.index("平台")] == "淘宝"
    started = rows["na"][header.index("开始时间")]
    assert started.isoformat() == "2026-11-22T10:00:00"  # a date and time on the shop's clock
