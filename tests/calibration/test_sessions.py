"""Reviewer calibration sessions: blind until done, agreement per item between raters and with the tool."""
import pytest

from grader.calibration.sessions import (SessionError, agreement, create_session, may_see_results, overall,
                                         save_scores, scores_of)

SESSION = {"transcript_ids": ["c1", "c2"], "status": "open"}
LABELS = {"a": "项目甲", "b": "项目乙"}


def s(tid, rater, item, score):
    return {"transcript_id": tid, "rater": rater, "item_id": item, "score": score}


@pytest.mark.parametrize("scores, tool, expected", [
    pytest.param([s("c1", "甲", "a", 5), s("c1", "乙", "a", 5)], {"c1": {"a": 5}}, {"a": (1.0, 1.0, 0)},
                 id="all-agree"),
    pytest.param([s("c1", "甲", "a", 5), s("c1", "乙", "a", 0)], {"c1": {"a": 5}}, {"a": (0.0, 0.5, 1)},
                 id="raters-split-tool-sides-with-one"),
    pytest.param([s("c1", "甲", "a", 0), s("c1", "乙", "a", 0)], {"c1": {"a": 5}}, {"a": (1.0, 0.0, 1)},
                 id="raters-agree-against-the-tool"),
    pytest.param([s("c1", "甲", "a", 5), s("c1", "乙", "a", 5), s("c1", "丙", "a", 0),
                  s("c2", "甲", "b", 3), s("c2", "乙", "b", 3)], {"c1": {"a": 5}, "c2": {"b": 3}},
                 {"a": (1 / 3, 2 / 3, 1), "b": (1.0, 1.0, 0)}, id="three-raters-pairs"),
    pytest.param([s("zz", "甲", "a", 5), s("zz", "乙", "a", 0)], {}, {}, id="chat-outside-the-session-ignored"),
])
def test_agreement_per_item(scores, tool, expected):
    rows = {r.item_id: r for r in agreement(SESSION, scores, tool, LABELS)}
    assert {k: (pytest.approx(r.raters_agree), pytest.approx(r.tool_agree), len(r.disagreements))
            for k, r in rows.items()} == expected


def test_overall_weights_by_pairs():
    rows = agreement(SESSION, [s("c1", "甲", "a", 5), s("c1", "乙", "a", 0), s("c2", "甲", "b", 3),
                               s("c2", "乙", "b", 3)], {"c1": {"a": 5}, "c2": {"b": 3}}, LABELS)
    assert overall(rows) == (0.5, 0.75)


@pytest.mark.parametrize("status, scored, visible", [
    ("open", [], False), ("open", ["c1"], False), ("open", ["c1", "c2"], True), ("closed", [], True)])
def test_blind_until_done(status, scored, visible):
    session = {**SESSION, "status": status}
    assert may_see_results(session, [s(t, "甲", "a", 5) for t in scored], "甲") == visible


def test_session_scores_are_checked(db_url):
    from grader.pipeline import Grader
    from grader.store import Store
    from tests.builders import transcript

    store, grader = Store(db_url), Grader()
    t = transcript("c 10:00:00 在吗", "a 10:00:05 您好，请问有什么可以帮您", id="c1")
    store.save([(t, grader.grade(t))])
    with pytest.raises(SessionError, match="至少需要两位"):
        create_session(store, "练习", "甲", ["c1"], 5, ["甲"])
    sid = create_session(store, "练习", "甲", ["c1"], 5, ["甲", "乙"])
    card = store.current_scorecards(["c1"])["c1"]
    with pytest.raises(SessionError, match="还有项目没有打分"):
        save_scores(store, sid, "c1", "甲", {})
    with pytest.raises(SessionError, match="不在这次校准练习的参加人名单"):
        save_scores(store, sid, "c1", "丙", {i.id: str(i.levels[0]) for i in card.items})
    bad = {i.id: str(i.levels[0]) for i in card.items} | {card.items[0].id: "99"}
    with pytest.raises(SessionError, match="只能评"):
        save_scores(store, sid, "c1", "甲", bad)
    save_scores(store, sid, "c1", "甲", {i.id: str(i.levels[0]) for i in card.items})
    save_scores(store, sid, "c1", "甲", {i.id: str(i.levels[-1]) for i in card.items})  # replaces
    assert sorted(x["score"] for x in scores_of(store, sid)) == sorted(i.levels[-1] for i in card.items)
