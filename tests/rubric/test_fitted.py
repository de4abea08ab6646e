"""Whether the confidence model was fitted against what runs (grader/rubric/fitted.py): what counts as
stale and what does not, older files that record less, the warning in Chinese on the command line
and the calibration and bulk-accept pages, and the shipped file against the shipped code."""
import json

import pytest

from grader.rubric import confidence
from grader.rubric.confidence import ConfidenceModel
from grader.rubric.fitted import Difference, check, fit_record, fitted_with, warning_lines
from grader.scorecard.model import Versions

RUNNING = Versions(rubric="standard:2026.12.1+935169e6", detectors={"product_expertise": "6", "polite_language": "2"},
                   lexicons={"polite": "2+b29f5fef", "expertise": "4+c6feefd4"})


def _model(meta):
    return ConfidenceModel({}, "1+abcdef12", meta)


def _fitted(**change):
    record = fit_record(RUNNING)
    for part, value in change.items():
        record[part] = value
    return {"fitted_with": record}


def _legacy(detectors=None):
    return {"detectors": {"rubric": RUNNING.rubric, **(detectors or RUNNING.detectors)}}


# (what the file records, what runs) -> differences, unverified parts
@pytest.mark.parametrize("meta, running, differences, unverified", [
    pytest.param(_fitted(), RUNNING, [], [], id="fresh"),
    pytest.param(_fitted(detectors={"product_expertise": "5", "polite_language": "2"}), RUNNING,
                 [Difference("detectors", "product_expertise", "5", "6")], [], id="a-detector-changed"),
    pytest.param(_fitted(detectors={"product_expertise": "6"}), RUNNING,
                 [Difference("detectors", "polite_language", None, "2")], [], id="a-detector-added-since"),
    pytest.param(_fitted(detectors={**RUNNING.detectors, "old_one": "1"}), RUNNING,
                 [Difference("detectors", "old_one", "1", None)], [], id="a-detector-removed-since"),
    pytest.param(_fitted(lexicons={"polite": "2+00000000", "expertise": "4+c6feefd4"}), RUNNING,
                 [Difference("lexicons", "polite", "2+00000000", "2+b29f5fef")], [],
                 id="tricky-a-lexicon-edited-same-number-other-content"),
    pytest.param(_fitted(), RUNNING.model_copy(update={"rubric": "shop:1+12345678"}),
                 [Difference("rubric", "", RUNNING.rubric, "shop:1+12345678")], [], id="a-shop-rubric"),
    pytest.param(_fitted(), RUNNING.model_copy(update={"settings": {"service_hours": "00:00-24:00"}}), [], [],
                 id="tricky-detector-options-are-not-compared"),
    pytest.param(_fitted(), RUNNING.model_copy(update={"settings": {"learned_model": "v2"}}), [], [],
                 id="tricky-an-adopted-learned-model-is-not-compared"),
    pytest.param(_fitted(), RUNNING.model_copy(update={"confidence": "2+99999999"}), [], [],
                 id="tricky-the-confidence-file-itself-is-not-compared"),
    pytest.param(_legacy(), RUNNING, [], ["lexicons"], id="older-file-without-lexicons-unverified-not-stale"),
    pytest.param(_legacy({"product_expertise": "5", "polite_language": "2"}), RUNNING,
                 [Difference("detectors", "product_expertise", "5", "6")], ["lexicons"], id="older-file-and-stale"),
    pytest.param({}, RUNNING, [], ["rubric", "detectors", "lexicons"], id="records-nothing"),
])
def test_check(meta, running, differences, unverified):
    found = check(_model(meta), running)
    assert found.differences == differences and found.unverified == unverified
    assert found.stale == bool(differences)


def test_no_model_no_check():
    assert check(None, RUNNING) is None and warning_lines(None) == []


@pytest.mark.parametrize("meta, expected, absent", [
    pytest.param(_fitted(), [], None, id="fresh-says-nothing"),
    pytest.param(_fitted(detectors={"product_expertise": "5", "polite_language": "2"}),
                 ["注意：置信度模型（版本 1+abcdef12）", "检测器 product_expertise拟合时是 5，现在是 6", "重新拟合"],
                 "没有记录", id="stale"),
    pytest.param(_fitted(detectors={"product_expertise": "6"}), ["检测器 polite_language是拟合之后新加的（现在 2）"], None,
                 id="added"),
    pytest.param(_legacy(), ["没有记录拟合时的词库版本"], "注意", id="unverified-is-a-notice-not-a-warning"),
])
def test_warning_lines(meta, expected, absent):
    text = "\n".join(warning_lines(check(_model(meta), RUNNING)))
    assert all(e in text for e in expected) and (not expected) == (text == "")
    if absent:
        assert absent not in text


def test_the_warning_names_at_most_six_differences():
    many = {f"d{k}": "1" for k in range(9)}
    text = "\n".join(warning_lines(check(_model(_fitted(detectors=many)), RUNNING)))
    assert "另有 5 处" in text  # 9 removed + 2 added = 11 differences, 6 named


def test_the_fit_records_what_it_graded_with():
    record = fit_record(RUNNING)
    assert record == {"rubric": RUNNING.rubric, "detectors": RUNNING.detectors, "lexicons": RUNNING.lexicons}
    assert fitted_with({"fitted_with": record}) == record
    assert fitted_with(_legacy()) == {"rubric": RUNNING.rubric, "detectors": RUNNING.detectors}


def test_the_shipped_model_fits_the_shipped_detectors_and_rubric():
    """A detector, lexicon or rubric change lands with a refitted confidence.json (scripts/confidence_jddc.py --fit)."""
    from grader.pipeline import Grader

    g = Grader(learned=False)
    found = check(g.confidence, g.versions)
    assert found is not None and not found.stale, warning_lines(found)


@pytest.fixture
def stale_bundle(tmp_path, monkeypatch):
    """The bundled model with one detector's fitted version changed, as the process's default."""
    data = json.loads(confidence.BUNDLED.read_text(encoding="utf-8"))
    record = data["meta"].get("fitted_with") or {"detectors": {k: v for k, v in data["meta"]["detectors"].items()
                                                              if k != "rubric"}}
    record["detectors"] = {**record["detectors"], "product_expertise": "0"}
    data["meta"]["fitted_with"] = {"rubric": data["meta"]["detectors"]["rubric"], **record}
    path = tmp_path / "confidence.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(confidence, "BUNDLED", path)
    monkeypatch.setattr("grader.settings._graders", {})  # the process's graders load the model afresh
    return path


def test_the_command_line_warns(stale_bundle, tmp_path, capsys):
    from grader.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "chat.jsonl").write_text(json.dumps({"id": "x1", "platform": "taobao", "messages": [
        {"time": "2026-11-22T10:00:00+08:00", "sender": "tb1", "role": "customer", "text": "在吗"},
        {"time": "2026-11-22T10:00:09+08:00", "sender": "小店:小美", "role": "agent", "text": "您好"}]},
        ensure_ascii=False) + "\n", encoding="utf-8")
    db = str(tmp_path / "g.db")
    assert main(["grade", str(folder), "--db", db, "--no-precompute", "--quiet"]) == 0
    assert "检测器 product_expertise拟合时是 0，现在是" in capsys.readouterr().err
    assert main(["accept", "--db", db, "--dry-run"]) == 0
    assert "注意：置信度模型" in capsys.readouterr().err


def test_the_calibration_and_bulk_pages_warn(stale_bundle, db_url):
    from grader.pipeline import Grader
    from grader.review.app import create_app
    from grader.review.auth import add_user
    from grader.store import Store
    from tests.review.test_app import client

    add_user(Store(db_url), "主管甲", "secret-pass-1", "supervisor")
    for grader, warned in ((Grader(learned=False), True), (Grader(learned=False, confidence=False), False)):
        c = client(create_app(db_url, grader=grader), "主管甲")
        for url in ("/calibration", "/bulk-accept"):
            html = c.get(url).text
            assert ('id="confidence-warning"' in html) == warned and ("置信度模型" in html) == warned
