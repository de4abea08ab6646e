import argparse
import json

import pytest
from sklearn.metrics import cohen_kappa_score

from grader.calibration import (Proposal, agreement, apply, calibrate, cli_register, load_labeled, propose,
                                render_calibration_html)
from grader.calibration.agreement import Quote
from grader.calibration.html import summary_text
from grader.calibration.proposals import modify_lexicon_text
from grader.detectors.lexicon import LexiconSet, load_lexicon, parse_lexicon
from grader.errors import ConfigError
from grader.pipeline import Grader
from grader.store import Store, versions_key
from tests.builders import transcript
from tests.calibration import synth

MONTH1 = {"known": 12, "missed": 10, "wrong": 8, "none": 10}
MONTH2 = {"known": 10, "missed": 8, "wrong": 7, "none": 8}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("calib")
    lex = synth.copy_lexicons(tmp)
    store = Store(str(tmp / "g.db"))
    kinds = dict(synth.build(store, lex, "2026-10", MONTH1, seed=7))
    report = calibrate(store, "2026-10-01", "2026-10-31", lex, period="2026-10")
    return dict(tmp=tmp, lex=lex, store=store, kinds=kinds, report=report)


def test_the_constructed_chats_fool_the_current_lexicon_as_intended(world):
    cards = world["store"].current_scorecards(list(world["kinds"]))
    for tid, kind in world["kinds"].items():
        suggested = cards[tid].item(synth.ITEM).score
        assert suggested == (5 if kind in ("known", "wrong") else 0), (tid, kind)


def test_label_policy(world, tmp_path):
    labeled = {c.id: c for c in load_labeled(world["store"], "2026-10-01", "2026-10-31")}
    assert len(labeled) == 40 and all(c.reviewed for c in labeled.values())
    rubric_items = {i.id for i in world["store"].current_scorecards(["c000"])["c000"].items}
    assert set(labeled["c000"].final) == rubric_items  # reviewed: every item is a label

    store = Store(str(tmp_path / "p.db"))
    synth.build(store, world["lex"], "2026-10", {"missed": 4, "none": 2}, seed=3,
                           unreviewed_overrides=2)
    extra = transcript("c 10:00:00 在吗", "a 10:00:05 您好，在的", id="never-looked-at", day="2026-10-05")
    store.save([(extra, Grader(lexicons=world["lex"]).grade(extra, "presale"))])
    got = {c.id: c for c in load_labeled(store, None, None)}
    assert "never-looked-at" not in got and len(got) == 6
    partial = [c for c in got.values() if not c.reviewed]
    assert len(partial) == 2
    for c in partial:  # overrides without a finished review: only the overridden item is a label
        assert c.final == {synth.ITEM: 5} and c.overridden == {synth.ITEM}


def test_agreement_report_per_item(world):
    rep = agreement(world["store"], "2026-10-01", "2026-10-31")
    item = next(i for i in rep.items if i.item == synth.ITEM)
    assert item.n == 40
    assert item.agree == 22 and item.agreement == 0.55
    assert item.false_positives == 8 and item.false_negatives == 10 and item.overridden == 18
    assert item.mean_abs_diff == pytest.approx(5 * 18 / 40, abs=0.01)
    assert item.levels == [5, 0] and item.confusion == [[12, 8], [10, 10]]  # rows suggested, columns final
    sug = [5] * 12 + [5] * 8 + [0] * 10 + [0] * 10
    fin = [5] * 12 + [0] * 8 + [5] * 10 + [0] * 10
    assert item.kappa == pytest.approx(cohen_kappa_score(sug, fin), abs=1e-3)
    assert item.no_term_false_negatives == 10
    (fp,) = [t for t in item.terms if t.kind == "false_positive"]
    assert (fp.detector, fp.lexicon, fp.term, fp.chats) == ("promotion", "promotion", "折扣", 8)
    assert all("不参加折扣" in q.text for q in fp.examples)
    assert item.detectors == {"promotion": 18}
    # items nobody changed agree fully; overall pools every label
    assert rep.overall.n == sum(i.n for i in rep.items) and rep.overall.false_positives == 8
    assert rep.total_agreement == 0.55 and rep.chats == 40


def test_proposals_name_the_missing_phrase_and_the_wrong_context(world):
    props = {p.id: p for p in world["report"].proposals}
    add = props["promotion+立享"]
    assert add.kind == "add" and add.item == synth.ITEM and add.support == 10 and add.against == 0
    assert add.p_value < 0.05 and add.chi2 > 0
    assert all("立享" in q.text for q in add.examples) and add.examples
    excl = props["promotion-折扣<不参加"]
    assert excl.kind == "exclude" and excl.term == "折扣" and excl.exclusion == "不参加"
    assert excl.support == 8 and excl.against == 0  # 可以参加折扣活动 (rightly credited) is not hit
    # nothing else: no filler word and no other item is proposed
    assert set(props) == {"promotion+立享", "promotion-折扣<不参加"}


def test_propose_api_matches_report(world):
    ids = [p.id for p in propose(world["store"], "2026-10-01", "2026-10-31", world["lex"])]
    assert ids == [p.id for p in world["report"].proposals]


def test_cross_validated_agreement_rises_on_held_out_chats(world):
    ev = world["report"].evaluation
    assert ev.folds == 5 and ev.chats == 40
    item = next(i for i in ev.items if i.item == synth.ITEM)
    assert item.before_agreement == 0.55
    assert item.after_agreement >= 0.95 > item.before_agreement
    assert item.after_kappa > item.before_kappa
    for pid in ("promotion+立享", "promotion-折扣<不参加"):
        figures = ev.proposals[pid]
        assert figures["folds_chosen"] == 5 and figures["broken"] == 0
        assert figures["after_agreement"] > figures["before_agreement"]
    assert ev.proposals["promotion+立享"]["fixed"] == 10
    assert ev.proposals["promotion-折扣<不参加"]["fixed"] == 8


def test_held_out_means_held_out(world):
    """A phrase seen in only a few chats is proposed on all of them but cannot be chosen in a fold
    that holds most of them out: min_support counts training chats only."""
    from grader.calibration import Options

    rep = calibrate(world["store"], "2026-10-01", "2026-10-31", world["lex"], folds=2,
                    options=Options(min_support=8))
    chosen = rep.evaluation.proposals.get("promotion+立享", {}).get("folds_chosen", 0)
    assert "promotion+立享" in [p.id for p in rep.proposals]  # 10 missed chats in all
    assert chosen < 2  # a fold with 3+ of them held out has fewer than 8 to learn from


def test_modify_lexicon_text():
    text = ("# name: x\n# version: 1\n# role: agent\n折扣 ; unless_before=没有,没\n包邮\n活动 ; word\n")
    props = [Proposal("x+立享", "add", "x", "i", "立享"),
             Proposal("x-折扣<不参加", "exclude", "x", "i", "折扣", exclusion="不参加"),
             Proposal("x-包邮<不在", "exclude", "x", "i", "包邮", exclusion="不在"),
             Proposal("x-活动", "remove", "x", "i", "活动")]
    new = modify_lexicon_text(text, props, note=lambda p: f"note {p.id}")
    lex = parse_lexicon(new)
    assert [t.raw for t in lex.terms] == ["折扣", "包邮", "立享"]
    assert "折扣 ; unless_before=没有,没,不参加" in new and "包邮 ; unless_before=不在" in new
    assert "# （已删除）活动 ; word" in new and "# note x+立享\n立享" in new
    assert lex.find("这款不参加折扣")[0].excluded_by == "不参加"


def test_apply_writes_a_new_version_and_later_chats_agree_more(world, tmp_path):
    lex = synth.copy_lexicons(tmp_path)
    old = LexiconSet.load(lex)
    accept = tmp_path / "accept.txt"
    accept.write_text("# accepted by 主管A\npromotion+立享\npromotion-折扣<不参加\n", encoding="utf-8")
    from grader.calibration import read_accept_file

    written = apply(world["report"].proposals, lex, read_accept_file(accept))
    assert {p.name for p in written} == {"promotion.txt", "CHANGELOG.md"}
    new = LexiconSet.load(lex)
    assert new["promotion"].version == str(int(old["promotion"].version) + 1)
    assert new["promotion"].version_tag != old["promotion"].version_tag
    kept = lex / "history" / f"promotion.v{old['promotion'].version}.txt"
    assert kept.read_text(encoding="utf-8") == (synth.REPO_LEXICONS / "promotion.txt").read_text(encoding="utf-8")
    text = (lex / "promotion.txt").read_text(encoding="utf-8")
    assert "\n立享\n" in text and "不参加" in text.split("\n折扣 ;")[1].splitlines()[0]
    assert "支持 10 个会话" in text and "交叉验证" in text
    log = (lex / "CHANGELOG.md").read_text(encoding="utf-8")
    v = int(old["promotion"].version)
    assert f"promotion v{v} → v{v + 1}" in log and "`promotion+立享`" in log and "`promotion-折扣<不参加`" in log
    assert "→" in log and "例（" in log
    # the batch sees a new versions key, so it re-grades; the new scorecards record the new version
    g_old, g_new = Grader(lexicons=old), Grader(lexicons=new)
    assert versions_key(g_old.versions) != versions_key(g_new.versions)

    # A later month, never seen by calibration: graded with the old lexicon, reviewed, then re-graded.
    store = Store(str(tmp_path / "m2.db"))
    synth.build(store, synth.copy_lexicons(tmp_path / "old"), "2026-11", MONTH2, seed=99, prefix="n")
    before = next(i for i in agreement(store, "2026-11-01", "2026-11-30").items if i.item == synth.ITEM)
    labeled = load_labeled(store, "2026-11-01", "2026-11-30")
    store.save([(c.transcript, g_new.grade(c.transcript, c.card.scenario)) for c in labeled])
    after = next(i for i in agreement(store, "2026-11-01", "2026-11-30").items if i.item == synth.ITEM)
    assert before.agreement == pytest.approx(18 / 33, abs=1e-3)
    assert after.agreement == 1.0 and after.kappa == 1.0
    card = store.current_scorecards(["n000"])["n000"]
    assert card.versions.lexicons["promotion"] == new["promotion"].version_tag


def test_apply_refuses_unknown_ids(world, tmp_path):
    lex = synth.copy_lexicons(tmp_path)
    with pytest.raises(ConfigError, match="unknown proposal"):
        apply(world["report"].proposals, lex, ["promotion+满就送"])
    assert not (lex / "history").exists()
    assert apply(world["report"].proposals, lex, []) == []


def test_html_fragment_is_chinese_and_escaped(world):
    report = world["report"]
    html = render_calibration_html(report)
    assert "评分校准" in html and "词典修改建议" in html and "promotion+立享" in html
    assert "告诉客户店铺活动" in html and "交叉验证" in html and "<html" not in html
    original = report.proposals[0].examples
    report.proposals[0].examples = [Quote("x<1>", "<script>alert(1)</script>")]
    try:
        html = render_calibration_html(report)
    finally:
        report.proposals[0].examples = original
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = summary_text(report)
    assert "[promotion+立享] 新增词" in text and "一致率 55.0%" in text


def _parser():
    p = argparse.ArgumentParser(prog="grader")
    sub = p.add_subparsers(dest="command", required=True)
    cli_register(sub)
    return p


def test_cli_writes_report_and_applies_accepted(world, tmp_path, capsys):
    lex = synth.copy_lexicons(tmp_path)
    accept = tmp_path / "ok.txt"
    accept.write_text("promotion+立享\n", encoding="utf-8")
    out = tmp_path / "out"
    args = _parser().parse_args(["calibrate", "--month", "2026-10", "--db", world["store"].url,
                                 "--lexicons", str(lex), "--out", str(out), "--apply", "--accept", str(accept)])
    assert args.func(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["accepted"] == ["promotion+立享"] and result["agreement"] < 1
    assert (out / "calibration-2026-10.html").exists()
    data = json.loads((out / "calibration-2026-10.json").read_text(encoding="utf-8"))
    assert {p["id"] for p in data["proposals"]} == {"promotion+立享", "promotion-折扣<不参加"}
    text = (lex / "promotion.txt").read_text(encoding="utf-8")
    assert "\n立享\n" in text and "unless_before=没有,没,不送,不含" in text  # only the accepted one
    assert "不参加" not in text.split("\n折扣 ;")[1].splitlines()[0]


def test_cli_asks_interactively(world, tmp_path, monkeypatch, capsys):
    lex = synth.copy_lexicons(tmp_path)
    answers = iter(["n", "y"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    args = _parser().parse_args(["calibrate", "--since", "2026-10-01", "--until", "2026-10-31",
                                 "--db", world["store"].url, "--lexicons", str(lex), "--out", str(tmp_path / "o"),
                                 "--apply"])
    assert args.func(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["accepted"] == ["promotion-折扣<不参加"]
    assert load_lexicon(lex / "promotion.txt").find("这款不参加折扣")[0].excluded_by == "不参加"


@pytest.mark.parametrize("masked", [pytest.param(True, id="masked-by-default"), pytest.param(False, id="switch-off")])
def test_calibration_files_mask_personal_information(world, tmp_path, masked):
    from grader.calibration import write_outputs
    from grader.privacy import load_masker

    report = world["report"]
    original = report.proposals[0].examples
    report.proposals[0].examples = [Quote("x1", "今天付款立享九折，有问题打我电话13800138000")]
    try:
        html, js = write_outputs(report, tmp_path, None if masked else load_masker(enabled=False))
    finally:
        report.proposals[0].examples = original
    for path in (html, js):
        text = path.read_text(encoding="utf-8")
        assert ("138****8000" in text) is masked and ("13800138000" in text) is not masked
    json.loads(js.read_text(encoding="utf-8"))


def test_the_report_carries_the_trust_gates_in_chinese(world):
    report = world["report"]
    promotion = next(t for t in report.trust if t.item == "presale.promotion")
    assert promotion.tool_n > 0 and promotion.human_source == "reference"
    html = render_calibration_html(report)
    assert 'id="trust-gates"' in html and "可信度门槛" in html and 'data-item="presale.promotion"' in html
    assert "可信度门槛" in summary_text(report) and "告诉客户店铺活动（presale.promotion）" in summary_text(report)
    assert not promotion.trusted and "不足 20 对" in promotion.reason  # the reference has ~4 pre-sale pairs
    assert report.to_dict()["trust"][0]["tool_agreement"].keys() == {"value", "low", "high"}


@pytest.mark.parametrize("policy", ["zero", "full", "rescale"])
def test_an_unchanged_reviewed_card_agrees_on_its_total_under_every_na_policy(tmp_path, policy):
    """Tricky: under "rescale" the items do not add up to the total; agreement summed them and showed
    a 2-point disagreement on a card the supervisor accepted as it was."""
    from grader.calibration.agreement import agreement_of
    from grader.calibration.labels import LabeledChat
    from grader.rubric import load_rubric
    from grader.rubric.rubric import STANDARD

    path = tmp_path / "shop.toml"
    path.write_text(STANDARD.read_text(encoding="utf-8").replace(
        'version = "', f'not_applicable = "{policy}"\nversion = "', 1), encoding="utf-8")
    rubric = load_rubric(path)
    t = transcript("c 10:00:00 这款有货吗", "a 10:00:05 您好，有货的", "c 10:00:30 好的谢谢", id="na")
    card = Grader(rubric=rubric).grade(t, "presale")
    assert any(i.not_applicable for i in card.items)
    chat = LabeledChat(t, card, {i.id: i.score for i in card.items}, reviewed=True)
    report = agreement_of([chat], rubric)
    assert report.total_agreement == 1.0 and report.total_mean_abs_diff == 0


def test_the_calibration_page_names_items_and_lexicons_in_chinese(world):
    """Tricky: the page showed ids (presale.promotion, promotion, promotion detector) to the supervisor."""
    import re

    html = render_calibration_html(world["report"])
    text = re.sub(r"<[^>]+>", " ", html)  # what is read, not attributes
    text = re.sub(r"\b[a-z0-9]{6,}-[a-z0-9-]+\b", " ", text)  # proposal codes to type in --accept stay
    assert synth.ITEM not in text
    lexicon = LexiconSet.load(world["lex"])
    assert all(f">{name} " not in html for name in lexicon)  # the versions line names lexicons in Chinese
    assert "店铺活动/优惠" in text
