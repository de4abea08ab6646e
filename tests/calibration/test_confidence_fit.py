"""Fitting the calibrated confidence: thresholds, the fallback to a rate, folds by chat."""
import random

import pytest

from grader.calibration.confidence_fit import budget_threshold, fit_items, fit_one, folds_of, names_of


W, R = False, True  # the suggestion disagrees / agrees with the supervisor


@pytest.mark.parametrize("case, units, budget, expected", [
    ("the least probable are wrong: flagged up to the budget",
     [("a", 0.6, False, W), ("b", 0.7, False, W), ("c", 0.9, False, R), ("d", 0.95, False, R)], 0.5, 0.700001),
    ("a third of the chats: only the least probable one",
     [("a", 0.6, False, W), ("b", 0.7, False, W), ("c", 0.9, False, R)], 1 / 3, 0.600001),
    ("no budget: nothing flagged", [("a", 0.6, False, W), ("b", 0.8, False, R)], 0.0, 0.0),
    ("the least probable are right: no flag means likely wrong, nothing flagged (tricky)",
     [("a", 0.6, False, R), ("b", 0.7, False, R), ("c", 0.9, False, W)], 1.0, 0.0),
    ("flags wrong half the time are enough",
     [("a", 0.6, False, W), ("b", 0.7, False, R), ("c", 0.9, False, R), ("d", 0.95, False, R)], 1.0, 0.700001),
    ("a chat is as likely wrong as its least probable item",
     [("a", 0.95, False, R), ("a", 0.6, False, W), ("b", 0.8, False, R), ("c", 0.85, False, R)], 1 / 3, 0.600001),
    ("tied probabilities flag together or not at all",
     [("a", 0.6, False, W), ("b", 0.6, False, R), ("c", 0.6, False, R), ("d", 0.9, False, R)], 1.0, 0.0),
    ("a hard flag takes budget whatever the threshold (tricky)",
     [("a", 0.99, True, R), ("b", 0.6, False, W), ("c", 0.7, False, W)], 1 / 3, 0.0),
])
def test_the_threshold_is_the_highest_within_the_budget_whose_flags_are_likely_wrong(case, units, budget, expected):
    assert budget_threshold(units, budget) == pytest.approx(expected, abs=1e-6), case


@pytest.mark.parametrize("budget, precision", [(-0.1, 0.5), (1.5, 0.5), (0.25, 2.0)])
def test_a_budget_or_precision_that_is_no_share_is_refused(budget, precision):
    with pytest.raises(ValueError):
        budget_threshold([("a", 0.5, False, True)], budget, precision)


@pytest.mark.parametrize("case, agree, n, constant", [
    ("too few labels", 5, 8, 0.6),
    ("too few disagreements", 48, 50, 0.9423),
    ("one outcome only", 30, 30, 0.9688),
])
def test_an_item_without_enough_of_both_outcomes_gets_its_smoothed_rate(case, agree, n, constant):
    rows = [(f"c{k}", {"detector_confidence": 0.5 + k / 100}, k < agree) for k in range(n)]
    model = fit_one(rows, "x", 1.0)
    assert model.constant == pytest.approx(constant, abs=1e-4), case


def test_a_feature_that_separates_the_outcomes_is_learned():
    rng = random.Random(1)
    rows = []
    for k in range(80):
        sure = rng.random()
        rows.append((f"c{k}", {"detector_confidence": sure, "score=6": 1.0}, rng.random() < sure))
    model = fit_one(rows, "x", 1.0)
    assert model.constant is None and model.names[0] == "detector_confidence" and model.coefs[0] > 0
    assert model.probability({"detector_confidence": 0.95}) > model.probability({"detector_confidence": 0.05})


def test_the_scenario_model_uses_all_its_features_and_items_a_fixed_set():
    rows = [("c", {"detector_confidence": 0.5, "cue_margin": 0.3, "kind:x": 1.0, "score=6": 1.0}, True)] * 3
    assert names_of(rows, "scenario") == ["cue_margin", "detector_confidence", "kind:x", "score=6"]
    assert names_of(rows, "product_expertise") == ["detector_confidence", "score=6"]


def test_folds_keep_a_chats_rows_together():
    rows = [(f"c{k // 3}", {}, True) for k in range(30)]
    folds = folds_of(rows)
    assert len(set(folds)) == 5
    assert all(len({f for (c, _, _), f in zip(rows, folds) if c == chat}) == 1 for chat in {r[0] for r in rows})


def test_fit_items_reports_the_out_of_fold_figures_it_chose_the_threshold_on():
    rng = random.Random(2)
    rows = []
    for k in range(60):
        sure = rng.random()
        rows.append((f"c{k}", {"detector_confidence": sure}, rng.random() < sure))
    models, cv = fit_items({"x": rows, "empty": []}, 0.25)
    assert set(models) == {"x"} and cv["x"]["n"] == 60
    assert cv["x"]["flagged"] + cv["x"]["unflagged"] == 60 and models["x"].threshold == cv["x"]["threshold"]
    assert cv["cards"]["n"] == 60 and cv["cards"]["flagged"] <= 15 and cv["cards"]["flagged"] == cv["x"]["flagged"]
