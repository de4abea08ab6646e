"""Fitting the calibrated confidence: thresholds, the fallback to a rate, folds by chat."""
import random

import pytest

from grader.calibration.confidence_fit import fit_items, fit_one, folds_of, names_of, threshold_for


@pytest.mark.parametrize("case, probs, ys, hard, target, expected", [
    ("all agree: nothing flagged", [0.9, 0.8, 0.7], [True, True, True], [False] * 3, 0.97, 0.7),
    ("the least probable is wrong: flagged from it up", [0.9, 0.8, 0.7], [True, True, False], [False] * 3, 0.97, 0.8),
    ("the most probable is wrong: everything flagged", [0.9, 0.8, 0.7], [False, True, True], [False] * 3, 0.97, 1.01),
    ("a looser target keeps more", [0.9, 0.8, 0.7, 0.6], [True, True, False, True], [False] * 4, 0.7, 0.6),
    ("a wrong suggestion the detector flagged itself does not count against the rest",
     [0.9, 0.8, 0.7], [True, True, False], [False, False, True], 0.97, 0.7),
])
def test_threshold_is_the_lowest_at_which_the_unflagged_reach_the_target(case, probs, ys, hard, target, expected):
    got = threshold_for(probs, ys, hard, target)
    assert got == pytest.approx(expected, abs=1e-5), case
    assert all(p >= got for p, y, h in zip(probs, ys, hard) if p >= expected and not h)


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
    rows = [(f"c{k}", {"detector_confidence": rng.random()}, rng.random() < 0.8) for k in range(60)]
    models, cv = fit_items({"x": rows, "empty": []}, 0.97)
    assert set(models) == {"x"} and cv["x"]["n"] == 60
    assert cv["x"]["flagged"] + cv["x"]["unflagged"] == 60 and models["x"].threshold == cv["x"]["threshold"]
