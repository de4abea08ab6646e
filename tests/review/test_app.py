"""The review web app through FastAPI's TestClient: permissions, checks, audit, conflicts, escaping."""
import warnings

import pytest
from sqlalchemy import select

from grader.review.app import create_app
from grader.review.disputes import list_disputes
from grader.review.overrides import audit, final_items, final_total, review_info
from grader.store import overrides, scorecards

from .conftest import PASSWORD, XSS, changeable, csrf_of, revision_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def app(db, grader):
    return create_app(db, grader=grader)


def client(app, name=None):
    c = TestClient(app, follow_redirects=False)
    if name:
        token = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf": token, "next": "/"})
        assert r.status_code == 303, r.text
    return c


def card_form(c, tid="t1"):
    html = c.get("/card", params={"id": tid}).text
    return dict(csrf=csrf_of(html), revision=revision_of(html), transcript_id=tid)


def test_pages_need_sign_in_and_writes_are_refused_without_it(app, store):
    c = client(app)
    r = c.get("/")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert c.get("/card", params={"id": "t1"}).status_code == 303
    item, level = changeable(store)
    r = c.post("/override", data=dict(transcript_id="t1", item_id=item.id, score=level, reason="x", revision=0))
    assert r.status_code == 401
    assert store.count(overrides) == 0


def test_wrong_password_is_refused(app):
    c = client(app)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"name": "主管甲", "password": "wrong-password", "csrf": token})
    assert r.status_code == 401 and "用户名或密码不正确" in r.text
    assert c.get("/").status_code == 303


def test_login_next_never_leaves_the_site(app):
    c = client(app)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"name": "主管甲", "password": PASSWORD, "csrf": token, "next": "//evil.example/"})
    assert r.headers["location"] == "/"


def test_queue_filters_and_sorts_least_certain_first(app):
    c = client(app, "主管甲")
    r = c.get("/", params={"since": "2026-11-22", "until": "2026-11-22"})
    assert r.status_code == 200
    for tid in ("t1", "t2", "t3", "t4"):
        assert f'data-transcript="{tid}"' in r.text
    r = c.get("/", params={"since": "2026-11-22", "until": "2026-11-22", "agent": "小店:小王"})
    assert 'data-transcript="t4"' in r.text and 'data-transcript="t1"' not in r.text
    r = c.get("/", params={"since": "2026-11-23", "until": ""})
    assert 'id="empty"' in r.text and "2026-11-22" in r.text  # points to the latest graded day
    r = c.get("/")  # yesterday by default
    assert r.status_code == 200


def test_override_is_audited_and_changes_the_final_total(app, store):
    c = client(app, "主管甲")
    item, level = changeable(store)
    before = final_total(store, "t1")
    form = card_form(c)
    r = c.post("/override", data=dict(form, item_id=item.id, score=str(level), reason="复核后调整"))
    assert r.status_code == 303
    (rec,) = audit(store, "t1")
    assert (rec["item_id"], rec["from_value"], rec["to_value"], rec["by"], rec["reason"], rec["source"]) == (
        item.id, str(item.score), str(level), "主管甲", "复核后调整", "web")
    assert rec["at"]
    assert final_total(store, "t1") == before - item.score + level
    final = {i["id"]: i for i in final_items(store, "t1")}[item.id]
    assert final["suggested"] == item.score and final["final"] == level  # both kept
    page = c.get(r.headers["location"]).text
    assert f'id="final-total">{before - item.score + level}<' in page
    assert "复核后调整" in page and 'id="audit"' in page
    assert review_info(store, "t1")["revision"] == form["revision"] + 1


@pytest.mark.parametrize("score,reason,message", [
    ("7", "理由", "只能评"), ("abc", "理由", "只能评"), (None, "", "必须填写原因")])
def test_override_checks(app, store, score, reason, message):
    c = client(app, "主管甲")
    item, level = changeable(store)
    r = c.post("/override", data=dict(card_form(c), item_id=item.id, score=score or str(level), reason=reason))
    assert r.status_code == 400 and message in r.text
    assert store.count(overrides) == 0


def test_unknown_item_is_refused(app, store):
    c = client(app, "主管甲")
    r = c.post("/override", data=dict(card_form(c), item_id="no_such_item", score="5", reason="x"))
    assert r.status_code == 400 and "没有项目" in r.text


def test_missing_csrf_token_is_refused(app, store):
    c = client(app, "主管甲")
    item, level = changeable(store)
    form = card_form(c)
    form["csrf"] = "forged"
    r = c.post("/override", data=dict(form, item_id=item.id, score=str(level), reason="x"))
    assert r.status_code == 403
    assert store.count(overrides) == 0


def test_stale_revision_is_refused_with_409_and_current_values(app, store):
    a, b = client(app, "主管甲"), client(app, "boss2")
    item, level = changeable(store)
    form_a, form_b = card_form(a), card_form(b)
    assert a.post("/override", data=dict(form_a, item_id=item.id, score=str(level), reason="甲改")).status_code == 303
    other = next(v for v in item.levels if v not in (level,))
    r = b.post("/override", data=dict(form_b, item_id=item.id, score=str(other), reason="乙改"))
    assert r.status_code == 409
    assert "另一位主管" in r.text and "甲改" in r.text  # the current values are shown
    assert f'name="revision" value="{form_b["revision"] + 1}"' in r.text
    assert [o["reason"] for o in audit(store, "t1")] == ["甲改"]


def test_agent_can_read_own_cards_only_and_never_change_scores(app, store):
    c = client(app, "xiaomei")
    queue = c.get("/", params={"since": "", "until": ""}).text
    assert 'data-transcript="t1"' in queue and 'data-transcript="t4"' not in queue
    assert c.get("/card", params={"id": "t4"}).status_code == 403
    page = c.get("/card", params={"id": "t1"})
    assert page.status_code == 200 and 'action="/override"' not in page.text
    item, level = changeable(store)
    form = dict(csrf=csrf_of(page.text), transcript_id="t1", revision=0)
    assert c.post("/override", data=dict(form, item_id=item.id, score=str(level), reason="x")).status_code == 403
    assert c.post("/scenario", data=dict(form, scenario="aftersale", reason="x")).status_code == 403
    assert c.post("/reviewed", data=form).status_code == 403
    assert store.count(overrides) == 0 and not review_info(store, "t1")["reviewed"]


def test_dispute_accepted_by_supervisor_becomes_an_override(app, store):
    agent, boss = client(app, "xiaomei"), client(app, "主管甲")
    item, level = changeable(store)
    page = agent.get("/card", params={"id": "t1"}).text
    r = agent.post("/dispute", data=dict(csrf=csrf_of(page), transcript_id="t1", item_id=item.id,
                                         requested=str(level), comment="我介绍过了"))
    assert r.status_code == 303
    (d,) = list_disputes(store, "t1")
    assert d["status"] == "open" and d["requested"] == str(level)
    assert agent.post("/dispute/resolve", data=dict(csrf=csrf_of(page), dispute_id=d["id"], action="accept",
                                                    revision=0, transcript_id="t1")).status_code == 403
    r = boss.post("/dispute/resolve", data=dict(card_form(boss), dispute_id=d["id"], action="accept", note=""))
    assert r.status_code == 303
    (rec,) = audit(store, "t1")
    assert rec["to_value"] == str(level) and rec["source"] == "dispute" and "我介绍过了" in rec["reason"]
    assert list_disputes(store, "t1")[0]["status"] == "accepted"


def test_dispute_rejected_needs_a_reason(app, store):
    agent, boss = client(app, "xiaomei"), client(app, "主管甲")
    item, _ = changeable(store)
    page = agent.get("/card", params={"id": "t1"}).text
    agent.post("/dispute", data=dict(csrf=csrf_of(page), transcript_id="t1", item_id=item.id, comment="不服"))
    (d,) = list_disputes(store, "t1")
    r = boss.post("/dispute/resolve", data=dict(card_form(boss), dispute_id=d["id"], action="reject", note=""))
    assert r.status_code == 400
    r = boss.post("/dispute/resolve", data=dict(card_form(boss), dispute_id=d["id"], action="reject", note="证据不足"))
    assert r.status_code == 303
    d = list_disputes(store, "t1")[0]
    assert (d["status"], d["resolution"], d["resolved_by"]) == ("rejected", "证据不足", "主管甲")
    assert store.count(overrides) == 0


def test_agent_cannot_dispute_someone_elses_card(app, store):
    agent = client(app, "xiaomei")
    page = agent.get("/card", params={"id": "t1"}).text
    item, _ = changeable(store, "t4")
    r = agent.post("/dispute", data=dict(csrf=csrf_of(page), transcript_id="t4", item_id=item.id, comment="x"))
    assert r.status_code == 403 and not list_disputes(store)


def test_chat_text_is_escaped_and_scripts_are_blocked(app):
    c = client(app, "主管甲")
    r = c.get("/card", params={"id": "t3"})
    assert r.status_code == 200
    assert XSS not in r.text and "<img src=x" not in r.text and "<b>粗体</b>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text and "&lt;b&gt;粗体&lt;/b&gt; &amp; 谢谢" in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'nonce-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_response_times_and_auto_replies_are_marked(app):
    c = client(app, "主管甲")
    html = c.get("/card", params={"id": "t1"}).text
    assert "自动回复" in html
    assert "响应 15 秒" in html  # the first human reply, 15 s after the customer's message
    assert "响应 20 秒" in html  # 10:01:00 -> 10:01:20
    assert 'id="m0" data-index="0" data-items="' in html and "built-in" not in html


def test_mark_reviewed_goes_to_the_next_in_the_queue(app, store):
    c = client(app, "主管甲")
    q = "since=2026-11-22&until=2026-11-22"
    queue = c.get("/?" + q).text
    order = [part.split('"')[0] for part in queue.split('data-transcript="')[1:]]
    first = order[0]
    r = c.post("/reviewed", data=dict(card_form(c, first), q=q))
    assert r.status_code == 303 and f"id={order[1]}" in r.headers["location"]
    assert review_info(store, first)["reviewed"] and review_info(store, first)["reviewed_by"] == "主管甲"


def test_scenario_change_regrades_and_is_audited(app, store):
    c = client(app, "主管甲")
    card = store.current_scorecards(["t1"])["t1"]
    new = "aftersale" if card.scenario == "presale" else "presale"
    r = c.post("/scenario", data=dict(card_form(c), scenario=new, reason="其实是售后"))
    assert r.status_code == 303
    regraded = store.current_scorecards(["t1"])["t1"]
    assert regraded.scenario == new and any(i.id.startswith(new + ".") for i in regraded.items)
    with store.engine.connect() as conn:
        assert conn.execute(select(scorecards.c.scenario).where(scorecards.c.transcript_id == "t1",
                                                               scorecards.c.current.is_(True))).scalar() == new
    (rec,) = audit(store, "t1")
    assert (rec["item_id"], rec["from_value"], rec["to_value"]) == ("scenario", card.scenario, new)
    assert store.scenario_overrides(["t1"]) == {"t1": new}


def test_unknown_chat_is_404(app):
    c = client(app, "主管甲")
    r = c.get("/card", params={"id": "<nope>"})
    assert r.status_code == 404 and "&lt;nope&gt;" in r.text


def test_calibration_view_shows_agreement_for_supervisors_only(app, store):
    c = client(app, "主管甲")
    item, level = changeable(store)
    c.post("/override", data=dict(card_form(c), item_id=item.id, score=str(level), reason="复核后调整"))
    page = c.get("/calibration?since=2026-11-22&until=2026-11-22")
    assert page.status_code == 200 and "一致率" in page.text and item.label in page.text
    assert client(app, "xiaomei").get("/calibration").status_code == 403


def test_a_red_line_shows_first_on_the_card_and_is_dismissed_on_the_page(app, store, grader):
    from tests.builders import transcript

    t = transcript("c 14:00:00 能便宜点吗", "a 14:00:05 您好，加我微信私下转账给您便宜", id="t9")
    store.save([(t, grader.grade(t))])
    c = client(app, "主管甲")
    page = c.get("/card", params={"id": "t9"}).text
    assert page.index('data-red-line="redline.offline_trade"') < page.index('class="item')
    assert "红线（一票否决）：引导线下交易/私下交易" in page and "本会话总分记 0 分" in page
    assert 'id="final-total">0<' in page
    r = c.post("/override", data=dict(card_form(c, "t9"), item_id="redline.offline_trade", score="0",
                                      reason="是官方渠道"))
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert "已排除" in page and "排除（不是违规），是官方渠道" in page
    assert final_total(store, "t9") == grader.rubric.total(
        [(i.score, i.max, i.not_applicable) for i in grader.grade(t).items]) > 0


def test_an_override_on_the_page_names_the_band_by_the_apps_rubric(db_url, tmp_path):
    """Tricky: the app graded with a shop rubric, yet the override wrote the standard rubric's band."""
    from grader.pipeline import Grader
    from grader.review.auth import add_user
    from grader.review.views import QueueFilters, queue_rows
    from grader.store import Store
    from tests.builders import transcript

    from .test_overrides import _shop_rubric

    rubric = _shop_rubric(tmp_path)
    grader = Grader(rubric=rubric)
    store = Store(db_url)
    t = transcript("c 10:00:00 在吗", "a 10:00:05 您好，在的，请问有什么可以帮您", id="s1")
    store.save([(t, grader.grade(t))])
    add_user(store, "主管甲", PASSWORD, "supervisor")
    c = client(create_app(db_url, grader=grader), "主管甲")
    card = store.current_scorecards(["s1"])["s1"]
    item = next(i for i in card.items if len(i.levels) > 1 and i.score != min(i.levels))
    r = c.post("/override", data=dict(card_form(c, "s1"), item_id=item.id, score=str(min(item.levels)), reason="扣分"))
    assert r.status_code == 303
    (row,) = queue_rows(store, rubric, QueueFilters(since="", until=""), tz=grader.tz)
    assert row.band == rubric.band(final_total(store, "s1", rubric)) and row.band in ("合格", "待改进")
