import pytest

from grader.errors import ConfigError
from grader.rubric import load_rubric
from grader.rubric.rubric import STANDARD
from grader.rubric.scoring import band_score, score_item
from grader.detectors.findings import Evidence, Finding, Measurement

RUBRIC_IDS = {
    "first_response", "product_expertise", "presale.promotion", "presale.highlight_benefits",
    "presale.ask_needs", "presale.recommend", "presale.follow_up", "presale.delivery_notes",
    "aftersale.warm_greeting", "aftersale.clarify_issue", "aftersale.soothe", "aftersale.promised_contact",
    "aftersale.same_day_resolution", "service_attitude", "polite_language",
}


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


def test_standard_rubric_has_every_item_of_the_shared_rubric(rubric):
    assert {i.id for i in rubric.items} == RUBRIC_IDS


@pytest.mark.parametrize("scenario", ["presale", "aftersale"])
def test_each_scenario_adds_up_to_100(rubric, scenario):
    items = rubric.items_for(scenario)
    assert sum(i.max for i in items) == 100
    assert not any(i.section == ("aftersale" if scenario == "presale" else "presale") for i in items)


@pytest.mark.parametrize("item, value, score", [
    ("first_response", 0, 10), ("first_response", 10, 10), ("first_response", 10.4, 6),
    ("first_response", 20, 6), ("first_response", 25, 3), ("first_response", 26, 0),
    ("first_response", None, 0),
    ("polite_language", 1.0, 20), ("polite_language", 0.8, 16), ("polite_language", 0.79, 12),
    ("polite_language", 0.6, 12), ("polite_language", 0.4, 8), ("polite_language", 0.39, 0),
    ("presale.promotion", 0, 0), ("presale.promotion", 3, 5),
    ("product_expertise", 3, 20), ("product_expertise", 2, 12), ("product_expertise", 1, 6),
    ("product_expertise", 0, 0), ("product_expertise", None, 0),  # no human reply: nothing earned
    ("service_attitude", 0, 0), ("service_attitude", 3, 20),
    ("aftersale.same_day_resolution", 2, 10), ("aftersale.same_day_resolution", 1, 0),
    ("aftersale.same_day_resolution", 0, 0),
])
def test_bands_upper_bounds_inclusive(item, value, score):
    assert band_score(item, value) == score


def test_every_band_score_is_an_allowed_level(rubric):
    for item in rubric.items:
        for value in [None, -1, 0, 0.5, 1, 2, 3, 10, 25, 26, 1000]:
            assert item.score_for(value) in item.levels


@pytest.mark.parametrize("text, message", [
    ("name='x'\nversion='1'\nbands=[[0,'x']]\n[[items]]\nid='a'\n", "label"),
    ("not toml = = =", "rubric"),
])
def test_broken_rubric_is_a_config_error(tmp_path, text, message):
    path = tmp_path / "r.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_rubric(path)


def test_level_outside_allowed_levels_is_refused(tmp_path):
    src = STANDARD.read_text(encoding="utf-8").replace("bands = [[10, 10], [20, 6]", "bands = [[10, 9], [20, 6]")
    path = tmp_path / "r.toml"
    path.write_text(src, encoding="utf-8")
    with pytest.raises(ConfigError, match="not in levels"):
        load_rubric(path)


def test_unmeasured_item_is_flagged_never_silently_scored(rubric):
    item = rubric.item("product_expertise")
    scored = score_item(item, Measurement(item=item.id, value=None, reason="没有产品问题"))
    assert scored.score == item.unmeasured and scored.needs_review
    missing = score_item(item, None)
    assert missing.needs_review and missing.confidence == 0


def test_low_confidence_is_flagged_and_evidence_follows_the_score(rubric):
    item = rubric.item("presale.promotion")
    ev = Evidence(message_index=1, start=0, end=2, quote="满减")
    f = Finding(detector="promotion", item=item.id, kind="mention", reason="提到满减", evidence=[ev])
    scored = score_item(item, Measurement(item=item.id, value=1, confidence=0.5, reason="x", findings=[f]))
    assert scored.score == 5 and scored.needs_review and scored.evidence == [ev]


# 不适用: an item whose occasion never arose. The rubric's policy decides its score and the total.
NO_SALE = ["c 10:00:00 这款有货吗", "a 10:00:05 您好，有货的", "c 10:00:30 好的谢谢"]


@pytest.mark.parametrize("policy, delivery_score", [("zero", 0), ("full", 5), ("rescale", 0)])
def test_not_applicable_policy(tmp_path, policy, delivery_score):
    from grader.pipeline import Grader
    from grader.rubric.rubric import STANDARD
    from tests.builders import transcript
    path = tmp_path / "shop.toml"
    path.write_text(STANDARD.read_text(encoding="utf-8").replace(
        'version = "', f'not_applicable = "{policy}"\nversion = "', 1), encoding="utf-8")
    card = Grader(rubric=path).grade(transcript(*NO_SALE), "presale")
    item = card.item("presale.delivery_notes")
    assert item.not_applicable and item.reason.startswith("不适用")
    assert item.score == delivery_score
    na = [i for i in card.items if i.not_applicable]
    raw = sum(i.score for i in card.items)
    if policy == "rescale":
        applicable_max = 100 - sum(i.max for i in na)
        assert card.total == round(100 * raw / applicable_max)
    else:
        assert card.total == raw


def test_unknown_not_applicable_policy_is_refused(tmp_path):
    from grader.errors import ConfigError
    from grader.rubric.rubric import STANDARD
    path = tmp_path / "shop.toml"
    path.write_text(STANDARD.read_text(encoding="utf-8").replace(
        'version = "', 'not_applicable = "half"\nversion = "', 1), encoding="utf-8")
    with pytest.raises(ConfigError):
        load_rubric(path)
