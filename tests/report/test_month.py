"""The month: final grade, ranking, pay lines, alerts and the report files against the database."""
import pandas as pd
import pytest

from grader.detectors.lexicon import LexiconSet
from grader.pipeline import Grader
from grader.report.month import AgentMonth, _alerts, build_month, month_grades, self_assessment_score, shift_month
from grader.report.month_files import SHEETS, write_month_html, write_month_workbook
from grader.report.policy import load_policy, parse_policy
from grader.store import Store
from tests.builders import transcript

GOOD = ["c 10:00:00 这件有优惠吗", "a 10:00:05 您好，现在满200减30哦，请问您平时穿什么尺码",
        "c 10:01:00 M码", "a 10:01:10 您好，推荐您选M码，这款纯棉的很舒服", "c 10:02:00 好的，拍了",
        "a 10:02:10 谢谢您，收货时请您先验货后签收"]
POOR = ["c 11:00:00 有优惠吗", "a 11:01:00 没有"]
AFTER = ["c 12:00:00 我要退款，再不处理就投诉", "a 12:00:10 您好，非常抱歉，已经给您退款了", "c 12:01:00 收到了，谢谢"]
AGENTS = {"a": "小店:小美", "b": "小店:小王", "c": "小店:小李"}


def chat(lines, id, day, agent):
    t = transcript(*lines, id=id, day=day)
    t.agent = AGENTS[agent]
    return t


@pytest.fixture(scope="module")
def grader():
    return Grader()


@pytest.fixture
def store(db_url, grader):
    store = Store(db_url)
    chats = [chat(GOOD, "n1", "2026-11-03", "a"), chat(AFTER, "n2", "2026-11-04", "a"),
             chat(GOOD, "n3", "2026-11-05", "b"), chat(POOR, "n4", "2026-11-06", "b"),
             chat(POOR, "n5", "2026-11-07", "c"), chat(POOR, "o1", "2026-10-07", "c"), chat(GOOD, "o2", "2026-10-08", "a"),
             chat(GOOD, "d1", "2026-12-01", "a")]  # next month: not counted
    store.save([(t, grader.grade(t)) for t in chats])
    with store.unit() as u:
        assert u.add_self_assessment("小店:小美", "2026-11", 95, None, "本月认真", "xiaomei", "2026-11-30T10:00:00")
        assert not u.add_self_assessment("小店:小美", "2026-11", 50, None, "again", "xiaomei", "2026-11-30T11:00:00")
    return store


def expected_supervisor(store, ids, grader):
    """The mean of final totals, from the raw rows: current totals with the latest allowed overrides."""
    cards = store.current_scorecards(ids)
    latest = store.latest_overrides(ids)
    totals = []
    for tid, card in cards.items():
        scores = {i.id: i.score for i in card.items}
        for item_id, rec in latest.get(tid, {}).items():
            if item_id in scores and int(rec["to_value"]) in card.item(item_id).levels:
                scores[item_id] = int(rec["to_value"])
        totals.append(sum(scores.values()))
    return round(sum(totals) / len(totals), 2)


def test_final_grade_weighs_supervisor_70_and_self_assessment_30(store, grader):
    policy = load_policy()
    g = month_grades(store, "2026-11", policy, grader.rubric)
    assert set(g) == set(AGENTS.values())
    mei = g["小店:小美"]
    assert mei.chats == 2 and mei.supervisor == expected_supervisor(store, ["n1", "n2"], grader)
    assert mei.final == pytest.approx(round(0.7 * mei.supervisor + 0.3 * 95, 2))
    wang = g["小店:小王"]
    assert wang.self_score is None and wang.final == wang.supervisor  # without_self = supervisor_only
    zero = month_grades(store, "2026-11", parse_policy('[final_grade]\nwithout_self = "zero"'), grader.rubric)
    assert zero["小店:小王"].final == pytest.approx(round(0.7 * wang.supervisor, 2))


def test_an_override_changes_the_supervisor_score(store, grader):
    from grader.review.overrides import apply_override
    card = store.current_scorecards(["n4"])["n4"]
    item = next(i for i in card.items if len(i.levels) > 1 and i.score != max(i.levels))
    before = month_grades(store, "2026-11", load_policy(), grader.rubric)["小店:小王"].supervisor
    apply_override(store, "n4", item.id, str(max(item.levels)), "复核改分", "主管A", expected_revision=None)
    after = month_grades(store, "2026-11", load_policy(), grader.rubric)["小店:小王"]
    assert after.supervisor == pytest.approx(before + (max(item.levels) - item.score) / 2)
    assert after.supervisor == expected_supervisor(store, ["n3", "n4"], grader)


def test_ranking_and_pay_lines(store, grader):
    policy = load_policy()
    g = month_grades(store, "2026-11", policy, grader.rubric)
    order = sorted(g.values(), key=lambda a: -a.final)
    assert [a.rank for a in order] == [1, 2, 3] and all(a.ranked_of == 3 for a in order)
    first, last = order[0], order[-1]
    assert last.last and not first.last
    assert first.rank_reward == 100 and last.rank_reward == -100 and order[1].rank_reward == 0
    for a in order:
        band = policy.band(a.final)
        assert a.band == band.name and a.band_bonus == band.bonus
        assert a.pay == pytest.approx(round(5000 * a.final / 100 + band.bonus + a.rank_reward, 2))


def am(agent, final, rank, of, band="合格", last=None):
    return AgentMonth(agent, 3, 0, final, None, final, band, rank=rank, ranked_of=of,
                      last=(rank == of and of >= 2) if last is None else last)


ALERTS = [
    pytest.param({"2026-11": [am("x", 95, 1, 3), am("y", 80, 2, 3), am("z", 60, 3, 3)]},
                 {"y": ["改进计划"], "z": ["改进计划"]}, id="bottom-two-of-three"),
    pytest.param({"2026-11": [am("x", 95, 1, 2), am("y", 80, 2, 2)]}, {}, id="two-agents-no-bottom-two"),
    pytest.param({"2026-09": [am("x", 95, 1, 2), am("z", 60, 2, 2)], "2026-10": [am("x", 95, 1, 2), am("z", 60, 2, 2)],
                  "2026-11": [am("x", 95, 1, 2), am("z", 60, 2, 2)]}, {"z": ["考虑调岗"]}, id="last-three-months"),
    pytest.param({"2026-10": [am("x", 95, 1, 2), am("z", 60, 2, 2)], "2026-11": [am("x", 95, 1, 2), am("z", 60, 2, 2)]},
                 {}, id="last-only-two-months"),
    pytest.param({"2026-09": [am("x", 95, 1, 3), am("y", 60, 2, 3, last=True), am("z", 60, 2, 3, last=True)],
                  "2026-10": [am("x", 95, 1, 2), am("z", 60, 2, 2)], "2026-11": [am("x", 95, 1, 2), am("z", 60, 2, 2)]},
                 {"z": ["考虑调岗"]}, id="tied-last-counts-as-last"),
    pytest.param({"2026-10": [am("z", 60, 1, 1, "不合格")], "2026-11": [am("z", 65, 1, 1, "不合格")]},
                 {"z": ["连续 2 个月不合格"]}, id="fail-twice"),
    pytest.param({"2026-09": [am("z", 60, 1, 1, "不合格")], "2026-11": [am("z", 65, 1, 1, "不合格")]},
                 {}, id="fail-not-in-a-row"),
]


@pytest.mark.parametrize("months,expected", ALERTS)
def test_alerts(months, expected):
    policy = load_policy()
    grades = {m: {a.agent: a for a in agents} for m, agents in months.items()}
    current = grades.pop("2026-11")
    _alerts("2026-11", current, grades, policy)
    got = {a.agent: a.alerts for a in current.values() if a.alerts}
    assert set(got) == set(expected)
    for agent, words in expected.items():
        assert all(any(w in text for text in got[agent]) for w in words), got[agent]


SELF = [
    pytest.param({"first_response": {"score": 8}, "product_expertise": {"score": 18}, "section": {"score": 25},
                  "service_attitude": {"score": 18}, "polite_language": {"score": 20}}, None, 89, id="items"),
    pytest.param(None, 86.5, 86.5, id="one-total"),
]


@pytest.mark.parametrize("items,total,score", SELF)
def test_self_assessment_score(items, total, score):
    assert self_assessment_score(items, total, load_policy()) == score


@pytest.mark.parametrize("items,total,message", [
    pytest.param({"first_response": {"score": 11}}, None, "0 到 10", id="item-over-max"),
    pytest.param({"first_response": {"score": 8}}, None, "缺少", id="items-missing"),
    pytest.param(None, 101, "0 到 100", id="total-over-100"),
    pytest.param(None, None, "0 到 100", id="nothing"),
])
def test_self_assessment_refused(items, total, message):
    with pytest.raises(ValueError, match=message):
        self_assessment_score(items, total, load_policy())


def test_shift_month():
    assert shift_month("2026-01", -1) == "2025-12" and shift_month("2026-11", 2) == "2027-01"


def test_monthly_report_numbers_match_the_database(store, grader, tmp_path):
    report = build_month(store, "2026-11", load_policy(), grader.rubric, LexiconSet.load())
    path = write_month_workbook(report, tmp_path / "m.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == list(SHEETS) and SHEETS[:3] == ("月度成绩", "月度指标", "指标明细")
    grades = sheets["月度成绩"].set_index("客服")
    by_agent = {"小店:小美": ["n1", "n2"], "小店:小王": ["n3", "n4"], "小店:小李": ["n5"]}
    for agent, ids in by_agent.items():
        row = grades.loc[agent]
        assert row["会话数"] == len(ids)
        assert row["主管评分"] == pytest.approx(expected_supervisor(store, ids, grader))
    assert grades.loc["小店:小美", "自评"] == 95
    kpis = sheets["月度指标"].set_index("客服")
    assert kpis.loc["小店:小美", "咨询转化率(%)"] == 100 and kpis.loc["小店:小美", "投诉比重(%)"] == 50
    assert kpis.loc["小店:小美", "退款比重(%)"] == 50 and kpis.loc["小店:小美", "首次解决率(%)"] == 100
    assert kpis.loc["小店:小王", "咨询转化率(%)"] == 50
    detail = sheets["指标明细"]
    assert sorted(detail["会话ID"]) == ["n1", "n2", "n3", "n4", "n5"]  # December's d1 and October's are not
    trend = sheets["成绩走势"].set_index("客服")
    assert "2026-10" in trend.columns and "2026-11" in trend.columns
    oct_li = month_grades(store, "2026-10", load_policy(), grader.rubric)["小店:小李"].final
    assert trend.loc["小店:小李", "2026-10"] == pytest.approx(oct_li)
    assert pd.isna(trend.loc["小店:小王", "2026-10"])  # no chats in October


def test_html_report_has_trend_chart_drilldowns_and_escapes(store, grader, tmp_path):
    with store.engine.begin() as conn:
        from sqlalchemy import update

        from grader.store import scorecards
        conn.execute(update(scorecards).where(scorecards.c.transcript_id == "n5").values(agent="<b>x</b>"))
    report = build_month(store, "2026-11", load_policy(), grader.rubric, LexiconSet.load())
    html = write_month_html(report, tmp_path / "m.html").read_text(encoding="utf-8")
    assert "各客服最终成绩走势" in html and "<polyline" in html and "<svg" in html
    assert "咨询转化率" in html and "n1" in html
    assert "http://" not in html and "https://" not in html


def test_workbook_cells_are_never_formulas(store, grader, tmp_path):
    from openpyxl import load_workbook
    with store.unit() as u:
        u.add_self_assessment("小店:小王", "2026-11", 80, None, "=HYPERLINK(\"http://x\")", "w", "2026-11-30")
    report = build_month(store, "2026-11", load_policy(), grader.rubric, LexiconSet.load())
    report.agents["小店:小王"].alerts.append("=1+1")
    wb = load_workbook(write_month_workbook(report, tmp_path / "m.xlsx"))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == "=1+1" and c.data_type == "s" for c in cells)


def test_empty_month_still_writes_both_files(db_url, grader, tmp_path):
    report = build_month(Store(db_url), "2026-01", load_policy(), grader.rubric, LexiconSet.load())
    assert write_month_workbook(report, tmp_path / "e.xlsx").exists()
    assert "没有评分记录" in write_month_html(report, tmp_path / "e.html").read_text(encoding="utf-8")


def test_month_command_writes_both_files_and_refuses_a_bad_policy(store, db_url, tmp_path, capsys):
    import json

    from grader.cli import main
    assert main(["month", "--month", "2026-11", "--db", db_url, "--out", str(tmp_path)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["agents"] == 3 and summary["chats"] == 5
    assert (tmp_path / "month-2026-11.xlsx").exists() and (tmp_path / "month-2026-11.html").exists()
    bad = tmp_path / "shop.toml"
    bad.write_text("[ranking]\nfirst = 200\n", encoding="utf-8")
    assert main(["month", "--month", "2026-11", "--db", db_url, "--policy", str(bad), "--out", str(tmp_path)]) == 1
    assert "不认识的设置项 ranking.first" in capsys.readouterr().err


def test_chats_without_text_keep_their_grade_but_are_named_outside_the_kpis(store, grader):
    from sqlalchemy import update

    from grader.store import transcripts
    with store.engine.begin() as conn:  # as after a purge of old chat text
        conn.execute(update(transcripts).where(transcripts.c.id == "n5").values(body=None, content=None))
    report = build_month(store, "2026-11", load_policy(), grader.rubric, LexiconSet.load())
    assert report.agents["小店:小李"].chats == 1
    assert "n5" not in {k.transcript_id for k in report.chats} and report.without_text == ["n5"]
    assert any("n5" in text for _, text in report.alerts())



@pytest.mark.parametrize("masked", [True, False], ids=["masked by default", "--no-mask-pii"])
def test_month_files_mask_personal_information(store, grader, tmp_path, masked):
    """Text in the month files (alerts, drill-down quotes) can hold a buyer's phone number."""
    from openpyxl import load_workbook

    from grader.privacy import load_masker
    report = build_month(store, "2026-11", load_policy(), grader.rubric, LexiconSet.load())
    report.agents["小店:小王"].alerts.append("顾客留了电话 13812348000")
    masker = load_masker(enabled=masked)
    html = write_month_html(report, tmp_path / "m.html", masker).read_text(encoding="utf-8")
    wb = load_workbook(write_month_workbook(report, tmp_path / "m.xlsx", masker))
    cells = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    for text in (html, cells):
        assert ("13812348000" in text) is not masked
        assert ("138****8000" in text) is masked


def test_month_files_say_yes_and_no_in_chinese(store, grader, tmp_path):
    """Tricky: the drill-down's flags came out as True/False in the workbook and the page."""
    from openpyxl import load_workbook

    report = build_month(store, "2026-11", load_policy(), grader.rubric, LexiconSet.load())
    assert not report.drill_frame().empty
    sheet = load_workbook(write_month_workbook(report, tmp_path / "m.xlsx"))["指标明细"]
    header = [c.value for c in sheet[1]]
    flags = {row[header.index("下单")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert flags and flags <= {"是", "否"}
    html = write_month_html(report, tmp_path / "m.html").read_text(encoding="utf-8")
    assert ">True<" not in html and ">False<" not in html and (">是<" in html or ">否<" in html)


@pytest.mark.parametrize("case, saved_without_facts, measured", [
    pytest.param("every chat graded by the daily run: its facts stored then", False, 0, id="daily-run"),
    pytest.param("tricky: one chat stored without facts (Store.save) is measured in the month", True, 1,
                 id="saved-without-facts"),
])
def test_the_month_reads_the_facts_stored_when_graded(db_url, grader, case, saved_without_facts, measured):
    from pathlib import Path

    from grader.cli import main
    from grader.report.precompute import refresh_month

    samples = Path(__file__).resolve().parents[2] / "transcripts"
    assert main(["grade", str(samples), "--date", "2026-11-22", "--db", db_url, "--no-precompute"]) == 0
    store = Store(db_url)
    if saved_without_facts:
        t = chat(GOOD, "n9", "2026-11-22", "a")
        store.save([(t, grader.grade(t))])
    refresh_month(store, "2026-11", load_policy(), grader.rubric, grader.lexicons)
    body = store.stored_report("month:2026-11")["body"]
    assert body["computed_chats"] == measured and body["chats"] == 19 + saved_without_facts
