"""final_card: the one rule for a chat's final scores (report, review and calibration use it)."""
import pytest

from grader.pipeline import Grader
from grader.rubric import load_rubric
from grader.scorecard.final import final_card
from tests.builders import transcript


@pytest.fixture(scope="module")
def card():
    t = transcript("c 10:00:00 有优惠吗", "a 10:00:05 您好，现在满300减30哦", id="t1")
    return Grader().grade(t, scenario="presale")


def rec(value, by="主管A"):
    return {"to_value": value, "by": by, "reason": "r"}


@pytest.mark.parametrize("overrides, item, expected_final, applied", [
    ({}, "presale.promotion", "suggested", False),
    ({"presale.promotion": rec("0")}, "presale.promotion", 0, True),
    ({"presale.promotion": rec(" 5 ")}, "presale.promotion", 5, True),
    # tricky: a level the item does not have (3 is no level of a 5/0 item) is not applied
    ({"presale.promotion": rec("3")}, "presale.promotion", "suggested", False),
    ({"presale.promotion": rec("五")}, "presale.promotion", "suggested", False),
    # an override of the other section's item (before a scenario change) does not touch this card
    ({"aftersale.soothe": rec("0")}, "presale.promotion", "suggested", False),
], ids=["none", "applied", "spaces", "not-a-level", "not-a-number", "other-section"])
def test_final_item(card, overrides, item, expected_final, applied):
    fc = final_card(card, overrides, load_rubric())
    got = fc.item(item)
    assert got.final == (card.item(item).score if expected_final == "suggested" else expected_final)
    assert got.overridden is applied and fc.overridden is applied
    assert fc.total == sum(fc.scores().values())


def test_band_is_named_by_the_rubric_given(card):
    rubric = load_rubric()
    custom = rubric.model_copy(update={"bands": [(0, "全部")]})
    assert final_card(card, {}, custom).band == "全部"
    assert final_card(card, {}, rubric).band == rubric.band(card.total)


def test_scenario_record_is_kept_apart(card):
    fc = final_card(card, {"scenario": rec("aftersale")}, load_rubric())
    assert fc.scenario_override["to_value"] == "aftersale" and not fc.overridden
