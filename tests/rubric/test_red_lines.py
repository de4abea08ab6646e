"""Red lines on the card: the rubric's effect (zero or cap), review, dismissal, queue and month."""
import pytest
from pydantic import ValidationError

from grader.detectors.lexicon import LexiconSet
from grader.errors import ConfigError
from grader.pipeline import Grader
from grader.report.kpis import agent_kpis, chat_kpi
from grader.review.overrides import LevelNotAllowed, apply_override, final_red_lines, final_total
from grader.rubric import RedLine
from grader.scorecard.final import final_card
from grader.scorecard.view import card_from_view, card_view
from grader.store import Store
from grader.store.queue import queue_row
from tests.builders import transcript

GOOD = ["c 10:00:00 这件有M码吗", "a 10:00:05 您好，有的，请问您平时穿什么尺码呢", "c 10:00:30 M，谢谢",
        "a 10:00:40 不客气，现在满200减30哦"]


@pytest.fixture(scope="module")
def grader():
    return Grader()


def card_of(grader, *extra, id="t1"):
    return grader.grade(transcript(*GOOD, *extra, id=id), "presale")


@pytest.mark.parametrize("line, red_line, limit", [
    ("a 10:01:00 加我微信，私下转账更便宜", "redline.offline_trade", 0),
    ("a 10:01:00 买不起就别买", "redline.abuse", 0),
    ("a 10:01:00 五星好评返现5元哦", "redline.review_bribe", 0),
    ("a 10:01:00 这款是全网最低价", "redline.absolute_terms", 59),
    ("a 10:01:00 保证明天送到", "redline.false_promise", 59),
])
def test_a_hit_zeroes_or_caps_the_total_and_asks_for_review(grader, line, red_line, limit):
    clean, hit = card_of(grader), card_of(grader, line)
    assert clean.red_lines == [] and hit.red_line_ids == [red_line]
    items_total = grader.rubric.total([(i.score, i.max, i.not_applicable) for i in hit.items])
    assert hit.total == min(limit, items_total) and hit.needs_review
    (r,) = hit.red_lines
    assert r.evidence and r.evidence[0].message_index == 4 and r.reason.startswith("客服说了")


def test_a_look_alike_leaves_the_card_alone(grader):
    clean = card_of(grader)
    look = card_of(grader, "c 10:01:00 能加微信吗", "a 10:01:10 不能加微信的哦，请在平台下单")
    assert look.red_lines == [] and look.total == clean.total


def test_several_hits_take_the_lowest_limit(grader):
    card = card_of(grader, "a 10:01:00 这款全网最低价", "a 10:01:10 加我微信")
    assert set(card.red_line_ids) == {"redline.offline_trade", "redline.absolute_terms"} and card.total == 0


def test_the_view_keeps_red_lines(grader):
    card = card_of(grader, "a 10:01:00 加我微信")
    back = card_from_view(card_view(card, "k"), card.versions)
    assert back.red_lines == card.red_lines
    assert "red_lines" not in card_view(card_of(grader), "k")  # left out when empty: old cards read alike


def test_the_queue_flags_every_red_line(grader):
    row = queue_row(card_of(grader, "a 10:01:00 加我微信"))
    assert " redline.offline_trade " in row["flagged_items"] and row["rank_settled"] == 0


@pytest.mark.parametrize("setting, ok", [
    ({"effect": "zero"}, True), ({"effect": "cap", "cap": 59}, True),
    ({"effect": "cap"}, False), ({"effect": "zero", "cap": 10}, False), ({"effect": "cap", "cap": 120}, False),
])
def test_rubric_setting_is_checked(setting, ok):
    make = lambda: RedLine(id="redline.x", label="x", lexicon="redline_x", **setting)  # noqa: E731
    if ok:
        assert make().limit() == setting.get("cap", 0)
    else:
        with pytest.raises(ValidationError, match="needs a cap"):
            make()


def test_a_red_line_without_its_lexicon_is_refused(tmp_path):
    folder = tmp_path / "lex"
    folder.mkdir()
    for lex in LexiconSet.load().values():
        if lex.name != "redline_abuse":
            (folder / f"{lex.name}.txt").write_bytes(open(lex.path, "rb").read())
    with pytest.raises(ConfigError, match="redline_abuse"):
        Grader(lexicons=folder)


def test_a_supervisor_dismisses_or_confirms_a_hit(tmp_path, grader):
    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    t = transcript(*GOOD, "a 10:01:00 加我微信", id="t1")
    card = grader.grade(t, "presale")
    store.save([(t, card)])
    assert final_total(store, "t1") == 0
    with pytest.raises(LevelNotAllowed):
        apply_override(store, "t1", "redline.offline_trade", 5, "x", "主管甲")
    apply_override(store, "t1", "redline.offline_trade", 0, "是平台的官方微信客服入口", "主管甲")
    assert final_total(store, "t1") == grader.rubric.total([(i.score, i.max, i.not_applicable) for i in card.items]) > 0
    (r,) = final_red_lines(store, "t1")
    assert not r["standing"] and r["override"]["by"] == "主管甲"
    apply_override(store, "t1", "redline.offline_trade", 1, "再看确实是私下交易", "主管乙")
    assert final_total(store, "t1") == 0 and final_red_lines(store, "t1")[0]["standing"]


def test_the_month_counts_standing_red_lines_per_agent(grader):
    lex = LexiconSet.load()
    kpis = []
    for n, extra in enumerate([["a 10:01:00 加我微信"], ["a 10:01:00 买不起就别买"], []]):
        t = transcript(*GOOD, *extra, id=f"t{n}")
        kpis.append(chat_kpi(t, final_card(grader.grade(t, "presale"), {}, grader.rubric), lex, 60))
    dismissed = transcript(*GOOD, "a 10:01:00 全网最低", id="t9")
    fc = final_card(grader.grade(dismissed, "presale"), {"redline.absolute_terms": {"to_value": "0"}}, grader.rubric)
    kpis.append(chat_kpi(dismissed, fc, lex, 60))
    (a,) = agent_kpis(kpis).values()
    assert a.values["red_lines"] == 2 and a.counted["red_lines"] == ["t0", "t1"]
    assert "引导线下交易" in kpis[0].red_lines_why
