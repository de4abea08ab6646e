"""The learned layer: evaluated against the rules on the same labels, offered only when it beats
them, adopted as a versioned file beside the lexicons, rolled back, explained on the card."""
import random

import pytest

from grader.calibration import calibrate
from grader.learned import model_file
from grader.learned.model import bootstrap_ci, compare
from grader.errors import ConfigError
from grader.pipeline import Grader
from grader.store import Store, now_iso, review_state, versions_key
from tests.builders import transcript
from tests.calibration import synth
from tests.calibration.test_proposals import _override

ITEM = "service_attitude"
# This shop's supervisors count sending a technician or searching the warehouse as initiative (20);
# the rules see only cooperation (12). Everything else they score as the rules do.
SHOP_INITIATIVE = ["安排师傅上门看看", "亲，我去仓库找找看", "马上安排师傅上门", "我去仓库帮您翻一下"]
ORDINARY = ["好的，稍等", "好的亲，收到", "您好，麻烦发一下照片", "我看一下"]
COMPLAINTS = ["收到的杯子有裂缝", "水壶漏水了", "盖子拧不紧", "颜色和图片不一样"]


def _chat(rnd, tid, day, special):
    last = special or rnd.choice(ORDINARY)
    return transcript(f"c 10:00:00 {rnd.choice(COMPLAINTS)}", "a 10:00:05 您好，麻烦发一下照片",
                      "c 10:00:09 发了", f"a 10:00:12 {last}", id=tid, day=day)


def _world(tmp, n, seed=3):
    lex = synth.copy_lexicons(tmp)
    store = Store(str(tmp / "g.db"))
    rnd = random.Random(seed)
    grader = Grader(lexicons=lex)
    chats = [_chat(rnd, f"m{k:03d}", f"2026-10-{1 + k % 28:02d}", rnd.choice(SHOP_INITIATIVE) if k % 2 else None)
             for k in range(n)]
    store.save([(t, grader.grade(t, "aftersale")) for t in chats])
    cards = store.current_scorecards([t.id for t in chats])
    for k, t in enumerate(chats):
        if k % 2 and cards[t.id].item(ITEM).score != 20:
            _override(store, t.id, ITEM, 20)
    with store.engine.begin() as conn:
        for t in chats:
            conn.execute(review_state.insert().values(transcript_id=t.id, revision=1, reviewed=True,
                                                      reviewed_by="主管A", reviewed_at=now_iso()))
    return lex, store


@pytest.fixture(scope="module")
def learned_world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("learned")
    lex, store = _world(tmp, 80)
    report = calibrate(store, "2026-10-01", "2026-10-31", lex, period="2026-10", learn=True)
    return dict(tmp=tmp, lex=lex, store=store, report=report)


def _ev(report, item):
    return next(e for e in report.learning["evaluations"] if e["item"] == item)


def test_the_model_beats_the_rules_where_the_shop_judges_differently(learned_world):
    ev = _ev(learned_world["report"], ITEM)
    assert ev["n"] == 80 and ev["rules"] == 0.5
    assert ev["model"] >= 0.9 and ev["difference_ci"][0] > 0 and ev["offered"]
    assert ev["rules_ci"][0] < ev["rules"] < ev["rules_ci"][1]
    assert learned_world["report"].candidate.models == {"小店": learned_world["report"].candidate.models["小店"]}
    assert ITEM in learned_world["report"].candidate.models["小店"]


def test_an_item_the_rules_already_get_right_is_not_offered(learned_world):
    ev = _ev(learned_world["report"], "product_expertise")
    assert ev["rules"] == 1.0 and not ev["offered"]
    assert "product_expertise" not in learned_world["report"].candidate.models["小店"]


def test_too_few_labels_declines(tmp_path):
    lex, store = _world(tmp_path, 16)
    report = calibrate(store, "2026-10-01", "2026-10-31", lex, learn=True)
    ev = _ev(report, ITEM)
    assert ev["n"] == 16 and not ev["offered"] and "标签太少" in ev["reason"]
    assert report.candidate.models == {}
    path = model_file.save_candidate(report.candidate, tmp_path / "cand.joblib")
    with pytest.raises(ConfigError, match="不能采纳"):
        model_file.adopt(path, lex)


@pytest.mark.parametrize("hits_a, hits_b, inside", [
    ([True] * 8 + [False] * 2, None, 0.8),
    ([True] * 10, [True] * 5 + [False] * 5, 0.5),
    ([True] * 5 + [False] * 5, [True] * 5 + [False] * 5, 0.0),
], ids=["share", "paired-better", "paired-equal"])
def test_bootstrap_interval_holds_the_estimate(hits_a, hits_b, inside):
    lo, hi = bootstrap_ci(hits_a, hits_b)
    assert lo <= inside <= hi


def test_compare_offers_only_a_reliable_win():
    labels = [1] * 40 + [0] * 40
    assert compare("x", "", labels, [0] * 80, labels, 30).offered
    assert not compare("x", "", labels, labels, labels, 30).offered        # a tie is no win
    assert not compare("x", "", labels[:20], [0] * 20, labels[:20], 30).offered  # too few


def test_adopt_version_explain_and_roll_back(learned_world, tmp_path):
    lex = synth.copy_lexicons(tmp_path)
    rules_only = Grader(lexicons=lex)
    cand = model_file.save_candidate(learned_world["report"].candidate, tmp_path / "out" / "cand.joblib")
    assert not model_file.path_in(lex).exists()  # proposed, not switched on
    assert model_file.adopt(cand, lex) == model_file.path_in(lex)
    g1 = Grader(lexicons=lex)
    assert g1.versions.settings["learned_model"] == "v1"
    assert versions_key(g1.versions) != versions_key(rules_only.versions)  # adoption re-grades
    t = transcript("c 10:00:00 水壶漏水了", "a 10:00:05 您好，麻烦发一下照片", "c 10:00:09 发了",
                   "a 10:00:12 安排师傅上门看看", id="new1", day="2026-11-02")
    rule_card, card = rules_only.grade(t, "aftersale"), g1.grade(t, "aftersale")
    assert rule_card.item(ITEM).score == 12 and card.item(ITEM).score == 20
    why = card.learned["items"][ITEM]
    assert card.learned["version"] == "v1" and why["rule_score"] == 12 and why["score"] == 20
    assert why["features"] and all(w > 0 for _, w in why["features"])
    assert card.item(ITEM).evidence == rule_card.item(ITEM).evidence  # the rule evidence stays
    assert "模型 v1" in card.item(ITEM).reason
    # stored and read back with its explanation
    store = Store(str(tmp_path / "s.db"))
    store.save([(t, card)])
    assert store.current_scorecards(["new1"])["new1"].learned == card.learned
    # a shop without a model is graded by the rules alone
    other = t.model_copy(update={"shop": "别的店", "id": "new2"})
    assert g1.grade(other, "aftersale").learned is None
    # a second version, then roll back twice: v1, then rules only
    model_file.adopt(cand, lex)
    assert Grader(lexicons=lex).versions.settings["learned_model"] == "v2"
    assert (lex / "history" / "learned_model.v1.joblib").exists()
    assert model_file.rollback(lex) == "1"
    assert Grader(lexicons=lex).versions.settings["learned_model"] == "v1"
    assert model_file.rollback(lex) is None and not model_file.path_in(lex).exists()
    back = Grader(lexicons=lex)
    assert "learned_model" not in back.versions.settings
    assert versions_key(back.versions) == versions_key(rules_only.versions)
    assert back.grade(t, "aftersale").item(ITEM).score == 12
    with pytest.raises(ConfigError, match="没有已采纳的模型"):
        model_file.rollback(lex)
    log = (lex / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "学习模型 v1" in log and "学习模型 v2" in log and "v2 → v1" in log and "只用规则" in log


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    lex = synth.copy_lexicons(tmp_path)
    model_file.path_in(lex).write_bytes(b"not a pickle")
    with pytest.raises(ConfigError, match="无法读取"):
        Grader(lexicons=lex)


def test_the_calibration_page_shows_the_learned_layer(learned_world):
    from grader.calibration import render_calibration_html
    from grader.calibration.html import summary_text

    html = render_calibration_html(learned_world["report"])
    assert "学习模型" in html and 'data-learning="service_attitude"' in html and "推荐采纳" in html
    assert "不推荐" in html  # product_expertise: the rules already agree
    text = summary_text(learned_world["report"])
    assert "学习模型 · 小店/service_attitude（80 个标签）：规则 50.0% → 模型" in text
    assert learned_world["report"].to_dict()["learning"]["models"] == {"小店": ["service_attitude"]}


def test_cli_learn_writes_a_candidate_and_adopts_and_rolls_back(learned_world, tmp_path, capsys):
    import json

    from tests.calibration.test_calibration import _parser

    lex = synth.copy_lexicons(tmp_path)
    out = tmp_path / "out"
    args = _parser().parse_args(["calibrate", "--month", "2026-10", "--db", learned_world["store"].url,
                                 "--lexicons", str(lex), "--out", str(out), "--learn"])
    assert args.func(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["learned_offered"] == [["小店", ITEM]] and result["learned_candidate"].endswith(".joblib")
    assert not model_file.path_in(lex).exists()
    args = _parser().parse_args(["calibrate", "--lexicons", str(lex), "--adopt-model", result["learned_candidate"]])
    assert args.func(args) == 0 and json.loads(capsys.readouterr().out.strip())["learned_model"] == "1"
    args = _parser().parse_args(["calibrate", "--lexicons", str(lex), "--rollback-model"])
    assert args.func(args) == 0 and json.loads(capsys.readouterr().out.strip())["learned_model"] is None
    assert args.func(args) == 1  # nothing left to roll back: a clear error


def test_scenario_changes_alone_are_scenario_labels(tmp_path):
    """A chat whose only correction is its scenario is no item label, but it labels the scenario."""
    from sqlalchemy import select

    from grader.store import overrides, scorecards

    lex = synth.copy_lexicons(tmp_path)
    store = Store(str(tmp_path / "g.db"))
    rnd = random.Random(2)
    chats = [_chat(rnd, f"sc{k:03d}", f"2026-10-{1 + k % 28:02d}", None) for k in range(34)]
    grader = Grader(lexicons=lex)
    store.save([(t, grader.grade(t)) for t in chats])
    with store.engine.begin() as conn:
        for t in chats[:31]:
            sid = conn.execute(select(scorecards.c.id).where(scorecards.c.transcript_id == t.id,
                                                             scorecards.c.current.is_(True))).scalar_one()
            conn.execute(overrides.insert().values(
                transcript_id=t.id, scorecard_id=sid, item_id="scenario", from_value="aftersale",
                to_value="presale", reason="场景判断错误", by="主管A", at=now_iso(), source="web"))
    report = calibrate(store, "2026-10-01", "2026-10-31", lex, learn=True)
    assert report.agreement.chats == 0  # no item labels
    ev = _ev(report, "scenario")
    assert ev["n"] == 31 and not ev["offered"]  # one scenario in the labels: nothing to learn


def test_the_json_report_holds_figures_not_models(learned_world, tmp_path):
    import json

    from grader.calibration import write_outputs

    _, js = write_outputs(learned_world["report"], tmp_path)
    data = json.loads(js.read_text(encoding="utf-8"))
    assert "candidate" not in data and data["learning"]["models"] == {"小店": [ITEM]}
    assert learned_world["report"].candidate is not None  # the report object keeps it for the CLI
