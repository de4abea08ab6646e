"""Retention: `grader purge` removes chat text and keeps scores; the review app says so."""
import json
import warnings

import pandas as pd
import pytest
from sqlalchemy import select

from grader.cli import main
from grader.report import build
from grader.review.app import create_app
from grader.review.overrides import PurgedTranscript, apply_override, final_total, load_card
from grader.store import Store, item_scores

from .conftest import DAY, PASSWORD, changeable, csrf_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


IDS = ["t1", "t2", "t3", "t4"]


def snapshot(store):
    """(every item score row, per chat (total, band, full scorecard JSON with findings), stored transcripts)."""
    with store.engine.connect() as conn:
        scores = sorted(tuple(r) for r in conn.execute(select(item_scores)))
    cards = {tid: (c.total, c.band, c.model_dump_json())
             for tid, c in store.current_scorecards(IDS, findings=True).items()}
    return scores, cards, store.transcripts(IDS)


def test_purge_removes_text_and_keeps_scores(store, db, capsys):
    item, level = changeable(store)
    apply_override(store, "t1", item.id, level, "复核", "主管甲")
    before_total = final_total(store, "t1")
    scores, cards, _ = snapshot(store)
    report_before = build(store, DAY, DAY, DAY).cards
    assert main(["purge", "--older-than", "1", "--by", "主管甲", "--db", db, "--dry-run"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert (dry["chats"], dry["scorecards"]) == (4, 4) and len(snapshot(store)[2]) == 4
    assert main(["purge", "--older-than", "1", "--by", "主管甲", "--db", db]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["chats"], out["scorecards"]) == (4, 4)
    after_scores, after_cards, texts = snapshot(store)
    assert after_scores == scores and texts == {}
    for tid, (total, band, js) in after_cards.items():
        assert (total, band) == cards[tid][:2]
        card = json.loads(js)
        quotes = [e["quote"] for i in card["items"] for e in i["evidence"]]
        quotes += [e["quote"] for i in card["items"] for f in i["findings"] for e in f["evidence"]]
        assert quotes and all(q == "" for q in quotes) and card["customer"] is None
        assert "你自己查" not in js and "满200减30" not in js
    assert final_total(store, "t1") == before_total
    pd.testing.assert_frame_equal(build(store, DAY, DAY, DAY).cards, report_before)  # the report is unchanged
    with pytest.raises(PurgedTranscript):
        load_card(store, "t1")
    assert store.audit_entries(limit=1)[0]["action"] == "purge" and store.verify_audit() == []
    assert main(["purge", "--older-than", "1", "--by", "主管甲", "--db", db]) == 0  # again: nothing left
    assert json.loads(capsys.readouterr().out)["chats"] == 0


@pytest.mark.parametrize("days, purged", [pytest.param(100000, 0, id="recent-chats-stay"),
                                          pytest.param(1, 4, id="old-chats-go")])
def test_the_saved_retention_is_used(store, db, capsys, days, purged):
    assert main(["retention", "set", str(days), "--by", "主管甲", "--db", db]) == 0
    assert store.retention_days() == days
    capsys.readouterr()
    assert main(["purge", "--by", "主管甲", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["chats"] == purged


def test_purge_needs_a_period_and_a_supervisor(db, capsys):
    assert main(["purge", "--by", "主管甲", "--db", db]) == 1
    assert "没有设置保留期限" in capsys.readouterr().err
    assert main(["purge", "--older-than", "1", "--by", "xiaomei", "--db", db]) == 1
    assert main(["purge", "--older-than", "1", "--by", "不存在的人", "--db", db]) == 1


def test_the_review_app_shows_scores_of_a_purged_chat(db, grader):
    Store(db).purge_before("2099-01-01", "主管甲")
    app = create_app(db, grader=grader)
    c = TestClient(app, follow_redirects=False)
    c.post("/login", data={"name": "主管甲", "password": PASSWORD, "csrf": csrf_of(c.get("/login").text)})
    r = c.get("/card", params={"id": "t2"})
    assert r.status_code == 200 and "按保留期限删除" in r.text and "你自己查" not in r.text
