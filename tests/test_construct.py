"""constructor: pydantic models built without per-call work, equal to model_construct's."""
from pydantic import BaseModel, PrivateAttr

from grader.construct import constructor
from grader.detectors.findings import new_evidence, new_finding
from grader.scorecard.model import new_item_score, new_scorecard
from grader.transcript import parsing


def test_the_grader_s_models_get_the_fast_path():
    for build in (new_evidence, new_finding, new_item_score, new_scorecard, parsing._construct):
        assert build.__name__ == "fast"


def test_a_built_model_equals_model_construct_and_serializes_the_same():
    values = {"message_index": 3, "start": 1, "end": 3, "quote": "满减"}
    built = new_evidence(dict(values))
    assert built == type(built).model_construct(**values)
    assert built.model_dump_json() == '{"message_index":3,"start":1,"end":3,"quote":"满减"}'
    built.start = 2  # still an ordinary model
    assert built.start == 2


class WithPrivate(BaseModel):
    a: int
    _cache: dict = PrivateAttr(default_factory=dict)


def test_models_the_fast_path_cannot_build_fall_back_to_model_construct():
    build = constructor(WithPrivate, {"a": 1})
    assert build.__name__ == "slow" and build({"a": 2}).a == 2
