"""Cohen's kappa as the agreement report and the trust gates count it: sklearn's value, without its cost."""
import random

import pytest
from sklearn.metrics import cohen_kappa_score

from grader.calibration.agreement import kappa

_rng = random.Random(3)
_NOISY = [(_rng.choice([0, 5, 10]), _rng.choice([0, 5, 10])) for _ in range(500)]


@pytest.mark.parametrize("case, pairs", [
    ("perfect agreement", [(10, 10), (5, 5), (0, 0), (10, 10)]),
    ("one disagreement", [(10, 10), (10, 5), (5, 5), (0, 0)]),
    ("agreement below chance (negative kappa)", [(10, 5), (5, 10), (10, 5), (5, 10), (10, 10)]),
    ("never agree, one level each side (kappa 0)", [(10, 5)] * 6),
    ("levels only one side uses", [(10, 10), (10, 10), (5, 10), (0, 10), (5, 5)]),
    ("500 noisy pairs over three levels", _NOISY),
])
def test_kappa_is_sklearns(case, pairs):
    sug, fin = [a for a, _ in pairs], [b for _, b in pairs]
    assert kappa(sug, fin) == pytest.approx(round(float(cohen_kappa_score(sug, fin)), 3), abs=1e-9)


@pytest.mark.parametrize("case, sug, fin", [
    ("no pairs", [], []),
    ("one level on both sides", [5, 5, 5], [5, 5, 5]),
])
def test_kappa_is_undefined(case, sug, fin):
    assert kappa(sug, fin) is None
