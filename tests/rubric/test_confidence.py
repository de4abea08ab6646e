"""Calibrated confidence: the shipped model, how it sets confidence and needs_review, its version."""
import json

import pytest

from grader.errors import ConfigError
from grader.pipeline import Grader
from grader.rubric import confidence as conf
from grader.rubric import load_rubric
from grader.rubric.confidence import SCENARIO, ConfidenceModel, ItemModel
from tests.builders import transcript

PRESALE = transcript("c 10:00:00 这款羽绒服有货吗？我身高170穿什么码", "a 10:00:05 您好，有货的，170建议选L码哦",
                     "c 10:00:30 好的拍了", "a 10:00:40 谢谢您，收到后请先验货再签收")
NO_CUE = transcript("c 10:00:00 在吗", "a 10:00:05 您好，在的")


def one(item_id: str, threshold: float, constant: float | None = None, coef: float = 0.0) -> ItemModel:
    """A model on one feature, detector_confidence (mean 0.5, scale 0.1), or a constant."""
    if constant is not None:
        return ItemModel([], [], [], [], 0.0, threshold, constant=constant)
    return ItemModel(["detector_confidence"], [0.5], [0.1], [coef], 0.0, threshold)


@pytest.fixture(scope="module")
def shipped():
    return conf.load()


def test_the_shipped_model_covers_every_rubric_item_and_the_scenario(shipped):
    assert shipped is not None
    assert {i.id for i in load_rubric().items} | {SCENARIO} <= set(shipped.items)
    assert all(0.0 <= m.threshold <= 1.01 for m in shipped.items.values())


def test_the_models_version_is_on_every_scorecard_and_in_its_versions_key(shipped):
    card = Grader().grade(PRESALE)
    plain = Grader(confidence=False).grade(PRESALE)
    assert card.versions.confidence == shipped.version and shipped.version.startswith("1+")
    assert plain.versions.confidence == "" and "confidence=" not in plain.versions.key()
    assert f"confidence={shipped.version}" in card.versions.key()


@pytest.mark.parametrize("case, model_items, item, confidence, flagged", [
    ("below the item's threshold: flagged", {"product_expertise": one("product_expertise", 0.9, 0.7)},
     "product_expertise", 0.7, True),
    ("above it: safe to accept", {"product_expertise": one("product_expertise", 0.6, 0.7)},
     "product_expertise", 0.7, False),
    ("no model for the item: the detector's own", {}, "polite_language", None, None),
])
def test_calibrate_sets_confidence_and_the_flag_from_the_items_model(case, model_items, item, confidence, flagged):
    plain = Grader(confidence=False).grade(PRESALE, "presale").item(item)
    card = Grader(confidence=ConfidenceModel(model_items, "t")).grade(PRESALE, "presale").item(item)
    if confidence is None:
        assert (card.confidence, card.needs_review) == (plain.confidence, plain.needs_review), case
    else:
        assert (card.confidence, card.needs_review) == (confidence, flagged), case


def test_a_flag_the_detector_raised_itself_stays_and_bounds_the_probability():
    """No cue for the scenario: the detector says it cannot decide; a confident model does not hide it."""
    model = ConfidenceModel({SCENARIO: one(SCENARIO, 0.5, 0.99)}, "t")
    card = Grader(confidence=model).grade(NO_CUE)
    assert card.needs_review and card.scenario_confidence <= 0.4


def test_a_confident_scenario_is_not_flagged_by_the_scenario_model_alone():
    model = ConfidenceModel({SCENARIO: one(SCENARIO, 0.5, 0.99)}, "t")
    card = Grader(confidence=model).grade(PRESALE)
    assert card.scenario == "presale" and card.scenario_confidence == 0.99


def test_a_scenario_given_by_the_supervisor_is_certain():
    model = ConfidenceModel({SCENARIO: one(SCENARIO, 1.01, 0.5)}, "t")
    card = Grader(confidence=model).grade(NO_CUE, "aftersale")
    assert card.scenario_confidence == 1.0


@pytest.mark.parametrize("coef, detector_confidence, expected", [
    (0.0, 0.9, 0.5), (1.0, 0.5, 0.5), (1.0, 0.6, 0.731), (-1.0, 0.6, 0.269), (100.0, 1.0, 1.0)])
def test_item_model_is_a_logistic_regression_on_standardized_features(coef, detector_confidence, expected):
    assert one("x", 0.5, coef=coef).probability({"detector_confidence": detector_confidence}) == pytest.approx(
        expected, abs=1e-3)


def test_the_file_round_trips_and_its_hash_is_part_of_the_version(tmp_path):
    model = ConfidenceModel({"product_expertise": one("product_expertise", 0.8, coef=0.5)}, "7", {"n": 1})
    path = conf.write(model, tmp_path / "c.json")
    back = conf.load(path)
    assert back.version.startswith("7+") and len(back.version) == 10
    assert back.items["product_expertise"] == model.items["product_expertise"] and back.meta == {"n": 1}


@pytest.mark.parametrize("case, text", [
    ("another format", json.dumps({"format": "other", "version": "1", "items": {}})),
    ("an item missing fields", json.dumps({"format": conf.FORMAT, "version": "1", "items": {"x": {"names": []}}})),
])
def test_a_file_that_is_not_a_confidence_model_is_refused(tmp_path, case, text):
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        conf.load(path)


def test_a_missing_file_named_explicitly_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        conf.load(tmp_path / "nowhere.json")


NO_AGENT_WORDS = transcript("c 10:00:00 这件衣服有货吗", "auto 10:00:01 您好，欢迎光临")
DEFLECTS = transcript("c 10:00:00 快递三天没动了", "a 10:00:05 这个不归我们管，你自己找快递")
DISMISSES = transcript("c 10:00:00 收到的毛巾一股馊味", "a 10:00:05 这是正常现象")
EXPLAINS = transcript("c 10:00:00 收到的酒瓶上有白霜", "a 10:00:05 亲，是正常的霜，不影响饮用的")


# Which of the detectors' flags stay under calibration: only a hard doubt (nothing measured, a value
# straddling two scores); a hand-set "under 0.7 sure" is a feature and the fitted probability decides.
@pytest.mark.parametrize("case, chat, item, flagged", [
    ("a level the detector flagged for being under 0.7 sure: the model decides (not flagged)",
     PRESALE, "service_attitude", False),
    ("nothing measured: flagged whatever the model says (tricky)", NO_AGENT_WORDS, "product_expertise", True),
    ("nothing measured, attitude too", NO_AGENT_WORDS, "service_attitude", True),
    ("a zero for deflection is checked by a person", DEFLECTS, "service_attitude", True),
    ("a dismissal of the complaint too", DISMISSES, "service_attitude", True),
    ("an explanation is no dismissal: the model decides (tricky)", EXPLAINS, "service_attitude", False),
])
def test_only_a_hard_doubt_of_the_detector_stays_a_flag(case, chat, item, flagged):
    scenario = "presale" if chat in (PRESALE, NO_AGENT_WORDS) else "aftersale"
    plain = Grader(confidence=False).grade(chat, scenario).item(item)
    model = ConfidenceModel({item: one(item, 0.5, 0.99)}, "t")
    card = Grader(confidence=model).grade(chat, scenario).item(item)
    assert card.needs_review == flagged, case
    assert conf.detector_flag(plain) == flagged, case
