"""The shop's policy file: defaults, validation on load with Chinese messages (grader.report.policy)."""
import pytest

from grader.report.policy import PolicyError, load_policy, parse_policy


def test_bundled_defaults_are_the_documented_ones():
    p = load_policy()
    assert (p.final_grade.supervisor_weight, p.final_grade.self_weight) == (0.7, 0.3)
    assert [(b.name, b.min, b.bonus) for b in p.bands] == [("优秀", 90, 1000), ("良好", 80, 500), ("合格", 70, 0),
                                                           ("不合格", 0, -500)]
    assert (p.ranking.first_reward, p.ranking.last_reward) == (100, -100)
    assert (p.alerts.improvement_plan_bottom, p.alerts.last_place_months, p.alerts.fail_months) == (2, 3, 2)
    assert sum(i.max for i in p.self_assessment) == 100


@pytest.mark.parametrize("score,band", [(90, "优秀"), (89.99, "良好"), (80, "良好"), (79.5, "合格"), (70, "合格"),
                                        (69.99, "不合格"), (0, "不合格")])
def test_bands_lower_bounds_inclusive(score, band):
    assert load_policy().band(score).name == band


def test_a_partial_file_keeps_the_other_defaults():
    p = parse_policy('[pay]\nbase = 6000\nbase_by_agent = {"店:小美" = 6500}\n')
    assert p.pay.base_of("店:小美") == 6500 and p.pay.base_of("店:小王") == 6000
    assert p.final_grade.self_weight == 0.3


REFUSED = [
    pytest.param("[pay]\nbse = 1", ["不认识的设置项 pay.bse", "base、base_by_agent"], id="unknown-key-in-section"),
    pytest.param("bonus = 1", ["不认识的设置项 bonus", "final_grade", "bands", "alerts"], id="unknown-top-level-key"),
    pytest.param('[[bands]]\nname = "A"\nmin = 0\nbonsu = 1', ["bands.0.bonsu", "name、min、bonus"], id="unknown-band-key"),
    pytest.param("[final_grade]\nsupervisor_weight = 0.6", ["之和必须为 1"], id="weights-not-summing-to-1"),
    pytest.param('[[bands]]\nname = "A"\nmin = 60\n[[bands]]\nname = "B"\nmin = 80', ["从高到低"], id="bands-ascending"),
    pytest.param('[[bands]]\nname = "A"\nmin = 60', ["min 必须是 0"], id="no-band-for-low-scores"),
    pytest.param('[pay]\nbase = "很多"', ["pay.base", "应为数字"], id="wrong-type"),
    pytest.param("[alerts]\nfail_months = 0", ["alerts.fail_months", "不能小于 1"], id="out-of-range"),
    pytest.param('[final_grade]\nwithout_self = "ignore"', ["只能是"], id="unknown-choice"),
    pytest.param('[[self_assessment]]\nid = "a"\nlabel = "甲"\nmax = 50', ["满分之和必须为 100"], id="self-items-not-100"),
    pytest.param("[pay\nbase = 1", ["不是有效的 TOML"], id="not-toml"),
]


@pytest.mark.parametrize("text,words", REFUSED)
def test_invalid_policies_are_refused_with_what_is_allowed(text, words):
    with pytest.raises(PolicyError) as err:
        parse_policy(text, "shop.toml")
    assert "shop.toml" in str(err.value)
    for w in words:
        assert w in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PolicyError, match="无法读取考核方案文件"):
        load_policy(tmp_path / "nope.toml")
