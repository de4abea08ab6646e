"""The month page of the review app: agents' self-assessment, the supervisor's final grades."""
import json
import re
from datetime import datetime

import pytest

from grader.dates import month_range
from grader.review.app import create_app
from grader.review.routes.month import open_months
from grader.rubric import load_rubric
from grader.store import Store, self_assessments
from grader.transcript.model import SHANGHAI
from tests.builders import transcript

from .conftest import csrf_of
from .test_app import client

ITEMS = {"first_response": ("8", "回复还可以更快"), "product_expertise": ("18", ""), "section": ("25", "催单少"),
         "service_attitude": ("18", ""), "polite_language": ("20", "全程用您")}


def supervisor_mean(store, agent, month):
    """The mean final total of the agent's chats of the month, read from the database."""
    first, last = month_range(month)
    cards = [c for c in store.current_in_days(first.isoformat(), last.isoformat()) if c.agent == agent]
    finals = store.final_cards(cards, load_rubric())
    return round(sum(f.total for f in finals) / len(finals), 2)


def this_month() -> str:
    return datetime.now(SHANGHAI).strftime("%Y-%m")


@pytest.fixture
def app(db, grader):
    """The review database plus two chats of 小美 this month (the self-assessment's month)."""
    today = datetime.now(SHANGHAI).date().isoformat()
    store = Store(db)
    chats = [transcript("c 10:00:00 这件有优惠吗", "a 10:00:05 您好，现在满200减30哦", "c 10:01:00 好的，拍了",
                        id="m1", day=today),
             transcript("c 11:00:00 我要退款", "a 11:00:10 您好，已经给您退款了", "c 11:01:00 收到了，谢谢", id="m2",
                        day=today)]
    store.save([(t, grader.grade(t)) for t in chats])
    return create_app(db, grader=grader)


def self_form(c, month, **fields):
    html = c.get("/month", params={"month": month}).text
    return {"csrf": csrf_of(html), "month": month, **fields}


def items_fields():
    out = {"mode": "items", "comment": "本月总体不错"}
    for item_id, (score, comment) in ITEMS.items():
        out[f"score_{item_id}"] = score
        out[f"comment_{item_id}"] = comment
    return out


def test_agent_enters_item_by_item_once(app, store):
    c = client(app, "xiaomei")
    month = this_month()
    r = c.post("/month/self", data=self_form(c, month, **items_fields()))
    assert r.status_code == 303
    with store.reading() as u:
        row = u.self_assessment("小店:小美", month)
    assert row["total"] == 89 and row["by"] == "xiaomei"
    assert json.loads(row["items"])["section"] == {"score": 25.0, "comment": "催单少"}
    page = c.get("/month", params={"month": month}).text
    assert "已提交自评" in page and "89" in page and "催单少" in page
    again = c.post("/month/self", data=self_form(c, month, mode="total", total="100"))
    assert again.status_code == 409 and "已经提交过" in again.text
    assert store.count(self_assessments) == 1


def test_agent_may_give_one_total(app, store):
    c = client(app, "xiaomei")
    assert c.post("/month/self", data=self_form(c, this_month(), mode="total", total="86.5",
                                                comment="整体")).status_code == 303
    with store.reading() as u:
        row = u.self_assessment("小店:小美", this_month())
    assert row["total"] == 86.5 and row["items"] is None and row["comment"] == "整体"


@pytest.mark.parametrize("fields,message", [
    pytest.param({"mode": "total", "total": "120"}, "0 到 100", id="total-over-100"),
    pytest.param({"mode": "total", "total": "很好"}, "分数必须是数字", id="not-a-number"),
    pytest.param({"mode": "items", "score_first_response": "11"}, "0 到 10", id="item-over-max"),
    pytest.param({"mode": "items", "score_first_response": "8"}, "缺少", id="items-missing"),
])
def test_bad_self_assessment_is_refused_and_the_form_kept(app, store, fields, message):
    c = client(app, "xiaomei")
    r = c.post("/month/self", data=self_form(c, this_month(), **fields))
    assert r.status_code == 400 and message in r.text
    assert store.count(self_assessments) == 0


def test_only_this_or_last_month_and_only_agents(app, store):
    c = client(app, "xiaomei")
    r = c.post("/month/self", data=self_form(c, "2020-01", mode="total", total="90"))
    assert r.status_code == 400
    boss = client(app, "主管甲")
    r = boss.post("/month/self", data=self_form(boss, this_month(), mode="total", total="90"))
    assert r.status_code == 403
    anon = client(app)
    assert anon.post("/month/self", data={"month": this_month(), "mode": "total", "total": "90"}).status_code == 401
    assert store.count(self_assessments) == 0
    assert this_month() in open_months(SHANGHAI)


def month_computed(app, c, month):
    """The supervisor's month page after its background computation has finished."""
    c.get("/month", params={"month": month})
    app.state.refresher.wait(120)
    return c.get("/month", params={"month": month}).text


def test_supervisor_sees_the_final_grade_and_kpi_drilldowns(app, store):
    c = client(app, "xiaomei")
    c.post("/month/self", data=self_form(c, this_month(), mode="total", total="90"))
    boss = client(app, "主管甲")
    first = boss.get("/month", params={"month": this_month()}).text
    supervisor = supervisor_mean(store, "小店:小美", this_month())
    assert f"<b>{round(0.7 * supervisor + 0.3 * 90, 2)}</b>" in first  # the grades at once, from stored columns
    assert "正在后台计算" in first and 'http-equiv="refresh"' in first
    page = month_computed(app, boss, this_month())
    assert "咨询转化率" in page and "计算于" in page and 'http-equiv="refresh"' not in page
    drill = re.search(r'href="(/month/drill\?[^"]*kpi=conversion[^"]*)"', page).group(1).replace("&amp;", "&")
    listed = boss.get(drill).text
    assert "/card?id=m1" in listed and "拍了" in listed  # the order behind the conversion rate, and why


def test_agent_does_not_see_the_team(app):
    c = client(app, "xiaomei")
    page = c.get("/month").text
    assert "self-form" in page and 'id="grades"' not in page


def test_drill_downs_are_paged(app, store, monkeypatch):
    import grader.review.routes.month as page
    monkeypatch.setattr(page, "DRILL_PAGE", 2)
    # ids no random token can hold by chance (a CSRF token once held "r2")
    store.put_counted("2026-10", [("小店:小美", "refund", f"退款会话{n}", f"第1条 顾客：“退款{n}”") for n in range(5)])
    boss = client(app, "主管甲")
    drill = lambda n: boss.get("/month/drill", params={"month": "2026-10", "agent": "小店:小美", "kpi": "refund",
                                                        "page": n}).text
    assert "第 1 / 3 页" in drill(1) and "退款会话0" in drill(1) and "退款会话2" not in drill(1) and 'id="drill-next"' in drill(1)
    assert "退款会话4" in drill(3) and 'id="drill-next"' not in drill(3) and "计入的 5 个会话" in drill(3)
    assert boss.get("/month/drill", params={"month": "2026-10", "agent": "x", "kpi": "nope"}).status_code == 404
    assert client(app, "xiaomei").get("/month/drill", params={"month": "2026-10"}).status_code == 403


def test_the_month_is_computed_again_only_when_the_database_changed(app, store):
    from grader.report.precompute import stored_month

    boss = client(app, "主管甲")
    month_computed(app, boss, this_month())
    first = stored_month(store, this_month())
    boss.get("/month", params={"month": this_month()})
    assert not app.state.refresher.busy(f"month:{this_month()}")  # fresh: nothing computed again
    assert stored_month(store, this_month())["computed_at"] == first["computed_at"]
    agent = client(app, "xiaomei")
    agent.post("/month/self", data=self_form(agent, this_month(), mode="total", total="90"))
    assert "90.0" in boss.get("/month", params={"month": this_month()}).text  # the grades at once
    app.state.refresher.wait(120)
    second = stored_month(store, this_month())
    assert second["stamp"] != first["stamp"] and second["body"]["computed_chats"] == 0  # no chat measured again
    from grader.review.overrides import apply_override
    card = store.current_scorecards(["m1"])["m1"]
    item = next(i for i in card.items if len(i.levels) > 1)
    apply_override(store, "m1", item.id, str(next(v for v in item.levels if v != item.score)), "改分", "主管甲",
                   expected_revision=None)
    month_computed(app, boss, this_month())
    third = stored_month(store, this_month())
    assert third["stamp"] != second["stamp"]  # computed again, with the override ...
    assert third["body"]["computed_chats"] == 0  # ... read beside the chat's stored facts: nothing measured again
