"""Trust gates: intervals, the gate, and the table from a store's reviews and calibration sessions."""
import pytest

from grader.calibration import trust
from grader.calibration.trust import Interval, gate, kappa_interval, trust_table, wilson


@pytest.mark.parametrize("agree, n, value, low, high", [
    (25, 30, 0.8333, 0.6644, 0.9266),
    (30, 30, 1.0, 0.8865, 1.0),
    (0, 10, 0.0, 0.0, 0.2775),
])
def test_wilson_interval(agree, n, value, low, high):
    i = wilson(agree, n)
    assert (i.value, i.low, i.high) == pytest.approx((value, low, high), abs=1e-3)


def test_no_pairs_have_no_figure():
    assert wilson(0, 0).value is None and kappa_interval([]).value is None


def test_kappa_interval_holds_its_point_and_narrows_with_more_pairs():
    few = [(1, 1), (0, 0), (1, 0), (0, 0), (1, 1), (0, 1), (1, 1), (0, 0)]
    many = few * 8
    a, b = kappa_interval(few), kappa_interval(many)
    assert a.low <= a.value <= a.high and a.value == b.value
    assert (b.high - b.low) < (a.high - a.low)


def test_kappa_of_one_level_only_is_undefined():
    assert kappa_interval([(5, 5)] * 30).value is None


HUMAN = wilson(25, 30)  # 83 % (66 %–93 %)


@pytest.mark.parametrize("case, n, share, tool_kappa, human_kappa, trusted", [
    ("inside the human interval", 40, Interval(0.76), Interval(None), Interval(None), True),
    ("above it", 40, Interval(0.95), Interval(None), Interval(None), True),
    ("below its lower end", 40, Interval(0.60), Interval(None), Interval(None), False),
    ("too few labels however good", 19, Interval(1.0), Interval(None), Interval(None), False),
    ("share inside but kappa below the human kappa's interval", 40, Interval(0.80), Interval(0.2),
     Interval(0.7, 0.5, 0.85), False),
    ("share and kappa inside", 40, Interval(0.80), Interval(0.6), Interval(0.7, 0.5, 0.85), True),
])
def test_gate(case, n, share, tool_kappa, human_kappa, trusted):
    ok, why = gate(n, share, tool_kappa, HUMAN, human_kappa)
    assert ok is trusted, case
    assert why


def test_too_few_human_pairs_trust_nothing():
    ok, why = gate(40, Interval(0.9), Interval(None), wilson(4, 4), Interval(None), human_n=4)
    assert not ok and "不足 20 对" in why


def test_an_item_without_any_human_figure_is_not_trusted():
    ok, why = gate(50, Interval(1.0), Interval(None), Interval(None), Interval(None))
    assert not ok and "没有主管之间" in why


def test_sessions_replace_the_reference_for_their_items():
    tool = {"product_expertise": [(12, 12)] * 40, "service_attitude": [(12, 12)] * 40}
    human = {"product_expertise": [(12, 6)] * 10 + [(12, 12)] * 10}
    rows = {r.item: r for r in trust_table([("product_expertise", "产品专业性"), ("service_attitude", "服务态度")],
                                           tool, human)}
    assert rows["product_expertise"].human_source == "sessions" and rows["product_expertise"].human_n == 20
    assert rows["service_attitude"].human_source == "reference" and rows["service_attitude"].human_n == 30
    assert rows["service_attitude"].trusted


def test_the_shipped_reference_gives_the_labellers_figures():
    ref = trust.load_reference()
    assert (ref["product_expertise"]["agree"], ref["product_expertise"]["n"]) == (25, 30)
    assert (ref["service_attitude"]["agree"], ref["service_attitude"]["n"]) == (26, 30)
    assert "aftersale.warm_greeting" not in ref  # adjudicated: no count in the source


def test_trust_from_a_store_with_reviews_and_a_calibration_session(tmp_path):
    from grader.calibration import load_labeled
    from grader.calibration import sessions as cs
    from grader.pipeline import Grader
    from grader.review.overrides import mark_reviewed
    from grader.rubric import load_rubric
    from grader.store import Store
    from tests.builders import transcript

    store = Store(str(tmp_path / "t.db"))
    g = Grader()
    pairs = []
    for k in range(3):
        t = transcript("c 10:00:00 这个杯子保温多久？", f"a 10:00:05 您好，保温{6 + k}小时哦", id=f"c{k}")
        pairs.append((t, g.grade(t)))
    store.save(pairs)
    for k in range(3):
        mark_reviewed(store, f"c{k}", "主管甲", None, reviewed=True)
    sid = cs.create_session(store, "练习", "主管甲", ["c0", "c1"], 2, ["主管甲", "主管乙"], seed=1)
    for tid in ("c0", "c1"):
        card = store.current_scorecards([tid])[tid]
        for rater, shift in (("主管甲", 0), ("主管乙", 1)):
            form = {i.id: str(i.score if not shift or i.id != "product_expertise" else
                              next(v for v in i.levels if v != i.score)) for i in card.items}
            cs.save_scores(store, sid, tid, rater, form)
    rows = {r.item: r for r in trust.from_store(store, load_labeled(store, None, None), load_rubric())}
    pe = rows["product_expertise"]
    assert pe.sources == {"reviews": 3, "sessions": 4} and pe.tool_n == 7
    assert pe.human_source == "sessions" and pe.human_n == 2 and pe.human_agreement.value == 0.0
    assert not pe.trusted  # 7 labels are too few


def _naive_interval(pairs, rounds=1000, seed=1):
    """The textbook bootstrap: n draws with replacement per round."""
    import random

    from grader.calibration.agreement import kappa

    rng, draws = random.Random(seed), []
    for _ in range(rounds):
        sample = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        k = kappa([a for a, _ in sample], [b for _, b in sample])
        if k is not None:
            draws.append(k)
    draws.sort()
    return draws[int(0.025 * (len(draws) - 1))], draws[int(0.975 * (len(draws) - 1))]


@pytest.mark.parametrize("case, pairs", [
    ("two levels, mostly agreeing", [(1, 1)] * 60 + [(0, 0)] * 30 + [(1, 0)] * 6 + [(0, 1)] * 4),
    ("three levels, noisy", [(10, 10)] * 40 + [(5, 5)] * 20 + [(0, 0)] * 10 + [(10, 5)] * 15 + [(5, 0)] * 10
     + [(0, 10)] * 5),
    ("rare disagreement", [(2, 2)] * 95 + [(2, 0)] * 5 + [(0, 0)] * 20),
])
def test_kappa_interval_matches_the_textbook_bootstrap(case, pairs):
    fast, slow = kappa_interval(pairs), _naive_interval(pairs)
    assert fast.low == pytest.approx(slow[0], abs=0.04) and fast.high == pytest.approx(slow[1], abs=0.04)


def _override_some_item(store, tid):
    from grader.review.overrides import apply_override

    item = next(i for i in store.current_scorecards([tid])[tid].items if len(i.levels) > 1)
    apply_override(store, tid, item.id, next(v for v in item.levels if v != item.score), "改", "主管甲")


# what a supervisor did with one pre-sale chat -> its scenario label (tool's, supervisor's) or none
@pytest.mark.parametrize("steps, expected", [
    pytest.param(["review"], [(0, 0)], id="reviewed-as-it-was"),
    pytest.param(["aftersale"], [(0, 1)], id="changed-not-yet-reviewed"),
    pytest.param(["aftersale", "review"], [(0, 1)], id="changed-then-reviewed"),
    pytest.param(["aftersale", "presale"], [(0, 0)], id="tricky-changed-and-changed-back"),
    pytest.param(["bulk"], [], id="tricky-bulk-accepted-nobody-read-it"),
    pytest.param(["item"], [], id="an-item-overridden-scenario-not-looked-at"),
    pytest.param([], [], id="untouched"),
])
def test_the_scenario_row_from_a_store(tmp_path, steps, expected):
    from grader.calibration import load_labeled, trust_of
    from grader.pipeline import Grader
    from grader.review.overrides import apply_override, mark_reviewed
    from grader.rubric import load_rubric
    from grader.store import Store
    from tests.builders import transcript

    store = Store(str(tmp_path / "t.db"))
    g = Grader()
    t = transcript("c 10:00:00 这个杯子保温多久？", "a 10:00:05 您好，保温6小时哦", id="c0")
    store.save([(t, g.grade(t, scenario="presale"))])
    for step in steps:
        if step in ("presale", "aftersale"):
            apply_override(store, "c0", "scenario", step, "场景不对", "主管甲", grader=g)
        elif step == "item":
            _override_some_item(store, "c0")
        else:
            mark_reviewed(store, "c0", "主管甲", bulk=step == "bulk")
    rubric = load_rubric()
    rows = {r.item: r for r in trust_of(store, None, None, load_labeled(store, None, None), rubric, rounds=0)}
    row = rows["scenario"]
    assert row.tool_n == len(expected) and row.human_source == "reference" and row.label == "场景（售前/售后）"
    if expected:
        assert row.tool_agreement.value == sum(a == b for a, b in expected) / len(expected)
