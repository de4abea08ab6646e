"""Bulk accept behind the trust gates (grader/review/bulk.py): which unreviewed card it takes and why it
leaves the others, the gates per scenario, the trust built from this database's own reviews and
calibration sessions, the page, the command line, and that an accept nobody read is never a label."""
import json
import re

import pytest

from grader.calibration import sessions as cs
from grader.calibration.labels import load_labeled
from grader.cli import main as cli_main
from grader.review import bulk
from grader.review.app import create_app
from grader.review.auth import add_user
from grader.review.overrides import apply_override, mark_reviewed, review_info
from grader.rubric import load_rubric
from grader.scorecard.model import RedLineHit
from grader.store import Store
from grader.store.queue import QueueQuery

from .conftest import PASSWORD, gate_rows, sure_card
from .test_app import client

RUBRIC = load_rubric()
PRESALE = {"scenario"} | {i.id for i in RUBRIC.items_for("presale")}
EVERY = {"scenario"} | {i.id for i in RUBRIC.items}
HIT = RedLineHit(id="redline.abuse", label="辱骂", effect="zero", evidence=[], reason="骂人", confidence=0.9)


def _flag_first(card):
    return {"items": [card.items[0].model_copy(update={"needs_review": True})] + card.items[1:], "needs_review": True}


@pytest.fixture
def empty(db_url):
    store = Store(db_url)
    store.set_review_sample(0.0)  # no random sample unless a case asks for one
    return store


def _one_card(store, grader, scenario="presale", certainty=0.95, update=None):
    t, card = sure_card(grader, "t1", scenario, certainty)
    if update:
        card = card.model_copy(update=update(card) if callable(update) else update)
    store.save([(t, card)])


# (card, what happens to it, trusted ids, floor) -> the first reason it is left for, "" accepted
@pytest.mark.parametrize("scenario, certainty, update, after, trusted, floor, expected", [
    pytest.param("presale", 0.95, None, None, PRESALE, 0.8, "", id="sure-trusted-presale-accepted"),
    pytest.param("presale", 0.95, {"red_lines": [HIT], "needs_review": True}, None, EVERY, 0.8, "red_line",
                 id="red-line"),
    pytest.param("presale", 0.95, lambda c: {"metrics": {**c.metrics, "complaint_at": 0}}, None, EVERY, 0.8,
                 "complaint", id="complaint-unflagged"),
    pytest.param("presale", 0.95, lambda c: {"metrics": {**c.metrics, "refund_at": 2}}, None, EVERY, 0.8,
                 "refund", id="refund-unflagged"),
    pytest.param("presale", 0.95, _flag_first, None, EVERY, 0.8, "flagged", id="one-item-flagged"),
    pytest.param("presale", 0.95, lambda c: {**_flag_first(c), "metrics": {**c.metrics, "complaint_at": 0}}, None,
                 EVERY, 0.8, "complaint", id="tricky-complaint-and-flagged-counted-once-as-complaint"),
    pytest.param("presale", 0.95, None, "sample-all", EVERY, 0.8, "sampled", id="tricky-in-the-random-sample"),
    pytest.param("presale", 0.95, None, "override", EVERY, 0.8, "overridden", id="override-begun"),
    pytest.param("presale", 0.7, None, None, EVERY, 0.8, "unsure", id="below-the-floor"),
    pytest.param("presale", 0.85, None, None, EVERY, 0.9, "unsure", id="below-a-raised-floor"),
    pytest.param("presale", 0.85, None, None, EVERY, 0.5, "", id="tricky-floor-never-below-80"),
    pytest.param("aftersale", 0.95, None, None, PRESALE, 0.8, "untrusted", id="aftersale-items-not-trusted"),
    pytest.param("presale", 0.95, None, None, PRESALE - {"scenario"}, 0.8, "untrusted",
                 id="tricky-items-trusted-but-not-the-scenario"),
    pytest.param("presale", 0.95, None, None, PRESALE - {"polite_language"}, 0.8, "untrusted",
                 id="one-common-item-not-trusted"),
    pytest.param("presale", 0.95, None, "reviewed", EVERY, 0.8, None, id="already-reviewed-not-counted"),
])
def test_what_bulk_accept_takes_and_leaves(empty, grader, scenario, certainty, update, after, trusted, floor,
                                           expected):
    _one_card(empty, grader, scenario, certainty, update)
    if after == "sample-all":
        empty.set_review_sample(1.0)
    elif after == "override":
        item = next(i for i in empty.current_scorecards(["t1"])["t1"].items if len(i.levels) > 1)
        apply_override(empty, "t1", item.id, next(v for v in item.levels if v != item.score), "改一下", "主管甲",
                       rubric=RUBRIC)
    elif after == "reviewed":
        mark_reviewed(empty, "t1", "主管甲")
    found = bulk.plan(empty, QueueQuery(), RUBRIC, gate_rows(RUBRIC, trusted), bulk.floor_of(floor))
    if expected is None:
        assert found.accept == [] and found.left == {} and found.eligible == 0
    elif expected == "":
        assert found.accept == ["t1"] and found.left == {} and found.eligible == 1
    else:
        assert found.accept == [] and found.left == {expected: 1}


@pytest.mark.parametrize("trusted, presale, aftersale", [
    pytest.param(EVERY, [], [], id="all-trusted"),
    pytest.param(PRESALE, [], sorted(EVERY - PRESALE), id="aftersale-section-not-trusted"),
    pytest.param(EVERY - {"scenario"}, ["scenario"], ["scenario"], id="scenario-blocks-both"),
    pytest.param(EVERY - {"first_response"}, ["first_response"], ["first_response"], id="common-item-blocks-both"),
    pytest.param(set(), sorted(PRESALE), sorted({"scenario"} | {i.id for i in RUBRIC.items_for("aftersale")}),
                 id="nothing-trusted"),
])
def test_scenario_gates(trusted, presale, aftersale):
    gates = bulk.scenario_gates(gate_rows(RUBRIC, trusted), RUBRIC)
    assert sorted(u.item for u in gates["presale"]) == presale
    assert sorted(u.item for u in gates["aftersale"]) == aftersale


def test_an_item_without_any_row_is_not_trusted():
    rows = [r for r in gate_rows(RUBRIC, EVERY) if r.item != "first_response"]
    gates = bulk.scenario_gates(rows, RUBRIC)
    assert [(u.item, u.reason) for u in gates["presale"]] == [("first_response", "还没有任何标签，也没有参考数字")]


@pytest.mark.parametrize("asked, floor", [
    pytest.param("", 0.8, id="default"), pytest.param(None, 0.8, id="none"), pytest.param("0.9", 0.9, id="raised"),
    pytest.param("0.3", 0.8, id="never-below-80"), pytest.param("abc", 0.8, id="not-a-number"),
    pytest.param("7", 1.0, id="at-most-100"),
])
def test_floor_of(asked, floor):
    assert bulk.floor_of(asked) == floor


def test_accepts_are_recorded_who_when_and_as_bulk_and_are_no_labels(empty, grader):
    for n in range(3):
        empty.save([sure_card(grader, f"p{n}")])
    found = bulk.plan(empty, QueueQuery(), RUBRIC, gate_rows(RUBRIC, PRESALE))
    done, refused = bulk.accept(empty, found, "主管甲")
    assert sorted(done) == ["p0", "p1", "p2"] and refused == []
    for tid in done:
        info = review_info(empty, tid)
        assert info["reviewed"] and info["bulk"] and info["reviewed_by"] == "主管甲" and info["reviewed_at"]
        assert [e["detail"] for e in empty.audit_entries(tid) if e["action"] == "reviewed"][0]["bulk"] is True
    assert load_labeled(empty, None, None) == []  # nobody read them: no evidence of agreement
    mark_reviewed(empty, "p0", "主管甲")  # read and accepted one by one afterwards: a label again
    assert [c.id for c in load_labeled(empty, None, None)] == ["p0"] and not review_info(empty, "p0")["bulk"]


def _session_store(store, grader, n=22):
    """`n` presale chats scored in one calibration session by two supervisors agreeing with the tool,
    and reviewed one by one; two more presale chats and one after-sale chat left unreviewed."""
    for who in ("主管甲", "boss2"):
        add_user(store, who, PASSWORD, "supervisor")
    ids = [f"s{k:02d}" for k in range(n)]
    store.save([sure_card(grader, tid) for tid in ids] + [sure_card(grader, "new1"), sure_card(grader, "new2"),
                                                          sure_card(grader, "after1", "aftersale")])
    sid = cs.create_session(store, "十一月校准", "主管甲", ids, n, ["主管甲", "boss2"], seed=1)
    for tid in ids:
        card = store.current_scorecards([tid])[tid]
        for who in ("主管甲", "boss2"):
            cs.save_scores(store, sid, tid, who, {i.id: str(i.score) for i in card.items})
        mark_reviewed(store, tid, "主管甲")


def test_trust_from_this_database_lets_presale_through_and_not_aftersale(empty, grader):
    _session_store(empty, grader)
    rows = {r.item: r for r in bulk.trust_rows(empty, RUBRIC)}
    assert rows["scenario"].tool_n == 22 and rows["scenario"].trusted  # the scenario row, from the reviews
    assert all(rows[i].trusted for i in PRESALE), {i: rows[i].reason for i in PRESALE if not rows[i].trusted}
    found = bulk.plan(empty, QueueQuery(), RUBRIC, list(rows.values()))
    assert sorted(found.accept) == ["new1", "new2"] and found.left == {"untrusted": 1}
    assert "售后的评分卡不能批量接受" in "\n".join(bulk.left_lines(found))


def test_the_page_previews_then_accepts(db_url, grader, monkeypatch):
    store = Store(db_url)
    store.set_review_sample(0.0)
    add_user(store, "主管甲", PASSWORD, "supervisor")
    add_user(store, "xiaomei", PASSWORD, "agent", agent_account="小店:小美")
    store.save([sure_card(grader, "p1"), sure_card(grader, "a1", "aftersale"), sure_card(grader, "c1")])
    t, card = sure_card(grader, "r1")
    store.save([(t, card.model_copy(update={"metrics": {**card.metrics, "refund_at": 1}}))])
    monkeypatch.setattr(bulk, "trust_rows", lambda *a, **k: gate_rows(RUBRIC, PRESALE))
    c = client(create_app(db_url, grader=grader), "主管甲")
    html = c.get("/bulk-accept", params={"q": "since=&until="}).text
    assert "可以批量接受 2 张" in html and 'data-reason="refund"' in html and "买家要退款/退货" in html
    assert 'data-scenario="aftersale" data-trusted="no"' in html and "测试里不可信" in html
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    r = c.post("/bulk-accept", data={"csrf": token, "q": "since=&until=", "min_certainty": "0.8"})
    assert r.status_code == 303 and r.headers["location"].startswith("/bulk-accept?")
    after = c.get(r.headers["location"]).text
    assert "已批量接受 2 张评分卡" in after and "留给人工复核 2 张" in after and "可以批量接受 0 张" in after
    assert {t for t in ("p1", "c1", "a1", "r1") if review_info(store, t)["reviewed"]} == {"p1", "c1"}
    queue = c.get("/", params={"since": "", "until": ""}).text
    tags = dict(re.findall(r'data-transcript="(\w+)".*?data-label="状态"><span class="tag[^"]*"[^>]*>([^<]+)<', queue, re.S))
    assert tags["p1"] == "已批量接受" and tags["a1"] == "未复核"
    month = re.search(r'<p id="review-budget"[^>]*>(.*?)</p>', c.get("/month", params={"month": "2026-11"}).text, re.S)
    assert "已复核 <b>2</b> 张" in month.group(1) and "其中批量接受 2 张" in month.group(1)
    agent = client(create_app(db_url, grader=grader), "xiaomei")
    assert agent.get("/bulk-accept").status_code == 403
    assert agent.post("/bulk-accept", data={"csrf": token, "q": ""}).status_code == 403


def test_the_command_line(db_url, grader, capsys):
    store = Store(db_url)
    store.set_review_sample(0.0)
    _session_store(store, grader)
    assert cli_main(["accept", "--db", db_url, "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["would_accept"] == ["new1", "new2"] and not review_info(store, "new1")["reviewed"]
    assert "可以批量接受 2 张评分卡" in err and "售后的评分卡不能批量接受" in err
    assert cli_main(["accept", "--db", db_url]) == 1  # who accepts must be said
    assert "必须用 --by" in capsys.readouterr().err
    assert cli_main(["accept", "--db", db_url, "--by", "主管甲"]) == 0
    out, err = capsys.readouterr()
    assert sorted(json.loads(out)["accepted"]) == ["new1", "new2"] and "已批量接受 2 张评分卡" in err
    assert review_info(store, "new2")["reviewed_by"] == "主管甲"
