"""apply_override and friends (shared by web and CLI), accounts, and the CLI commands."""
import argparse
import json

import pytest

from grader.review.auth import AccountError, add_user, authenticate, hash_password, session_secret, verify_password
from grader.review.cli import cli_register
from grader.review.overrides import (LevelNotAllowed, ReasonRequired, StaleRevision, UnknownItem, UnknownTranscript,
                                     apply_override, audit, final_items, final_total, mark_reviewed, review_info)
from grader.store import Store, overrides, users

from .conftest import PASSWORD, changeable


def test_apply_override_keeps_suggestion_and_applies_latest(store):
    item, level = changeable(store)
    before = final_total(store, "t1")
    change = apply_override(store, "t1", item.id, level, "第一次", "甲")
    assert change.override_id and change.from_value == str(item.score) and change.revision == 1
    change = apply_override(store, "t1", item.id, item.score, "改回来", "乙")
    assert change.from_value == str(level) and change.to_value == str(item.score)
    assert final_total(store, "t1") == before
    final = {i["id"]: i for i in final_items(store, "t1")}[item.id]
    assert final["overridden"] and final["override"]["by"] == "乙"
    assert [(a["by"], a["source"]) for a in audit(store, "t1")] == [("甲", "cli"), ("乙", "cli")]


def test_same_value_changes_nothing(store):
    item, _ = changeable(store)
    change = apply_override(store, "t1", item.id, item.score, "", "甲")
    assert change.override_id is None and store.count(overrides) == 0 and review_info(store, "t1")["revision"] == 0


def test_errors(store):
    item, level = changeable(store)
    with pytest.raises(LevelNotAllowed):
        apply_override(store, "t1", item.id, max(item.levels) + 1, "x", "甲")
    with pytest.raises(ReasonRequired):
        apply_override(store, "t1", item.id, level, "  ", "甲")
    with pytest.raises(UnknownItem):
        apply_override(store, "t1", "nope", 1, "x", "甲")
    with pytest.raises(UnknownTranscript):
        apply_override(store, "missing", item.id, level, "x", "甲")
    with pytest.raises(LevelNotAllowed):
        apply_override(store, "t1", "scenario", "other", "x", "甲")
    apply_override(store, "t1", item.id, level, "x", "甲", expected_revision=0)
    with pytest.raises(StaleRevision) as exc:
        apply_override(store, "t1", item.id, item.score, "y", "乙", expected_revision=0)
    assert exc.value.current == 1
    with pytest.raises(StaleRevision):
        mark_reviewed(store, "t1", "乙", expected_revision=0)
    assert mark_reviewed(store, "t1", "乙", expected_revision=1) == 2
    assert store.count(overrides) == 1


def test_passwords_are_salted_scrypt_hashes(store):
    h1, h2 = hash_password("abcdefgh1"), hash_password("abcdefgh1")
    assert h1 != h2 and h1.startswith("scrypt$") and "abcdefgh1" not in h1
    assert verify_password("abcdefgh1", h1) and not verify_password("abcdefgh2", h1)
    assert not verify_password("x", "garbage")
    with store.engine.connect() as conn:
        stored = [r[0] for r in conn.execute(users.select().with_only_columns(users.c.password_hash))]
    assert all(s.startswith("scrypt$") and PASSWORD not in s for s in stored)
    assert authenticate(store, "主管甲", PASSWORD)["role"] == "supervisor"
    assert authenticate(store, "主管甲", "nope") is None and authenticate(store, "nobody", PASSWORD) is None


def test_account_rules(store):
    with pytest.raises(AccountError):
        add_user(store, "主管甲", PASSWORD, "supervisor")  # exists
    with pytest.raises(AccountError):
        add_user(store, "a", PASSWORD, "agent")  # agents need their account
    with pytest.raises(AccountError):
        add_user(store, "b", "short", "supervisor")
    with pytest.raises(AccountError):
        add_user(store, "c", PASSWORD, "admin")


def test_session_secret_is_kept_per_database(db, monkeypatch):
    monkeypatch.delenv("GRADER_SECRET", raising=False)
    first = session_secret(Store(db))
    assert first == session_secret(Store(db)) and len(first) >= 32
    monkeypatch.setenv("GRADER_SECRET", "from-env")
    assert session_secret(Store(db)) == "from-env"


def _parse(argv):
    parser = argparse.ArgumentParser(prog="grader")
    cli_register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_cli_override_and_user_add(db, store, capsys, monkeypatch):
    item, level = changeable(store)
    args = _parse(["override", "t1", item.id, str(level), "--reason", "脚本修正", "--by", "主管甲", "--db", db])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["changed"] and out["to_value"] == str(level)
    (rec,) = audit(store, "t1")
    assert (rec["by"], rec["source"], rec["reason"]) == ("主管甲", "cli", "脚本修正")
    args = _parse(["override", "t1", item.id, str(max(item.levels) + 1), "--reason", "x", "--by", "主管甲", "--db", db])
    with pytest.raises(LevelNotAllowed):
        args.func(args)
    monkeypatch.setenv("GRADER_PASSWORD", "env-password-1")
    args = _parse(["user", "add", "xiaowang", "--role", "agent", "--agent-account", "小店:小王", "--db", db])
    assert args.func(args) == 0
    assert authenticate(store, "xiaowang", "env-password-1")["agent_account"] == "小店:小王"
    args = _parse(["review", "--db", db])
    assert (args.host, args.port) == ("127.0.0.1", 8765)


def test_review_command_prints_the_address_and_serves_on_loopback(db, capsys, monkeypatch):
    import uvicorn
    calls = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.update(kw, app=app))
    args = _parse(["review", "--db", db, "--port", "9999"])
    assert args.func(args) == 0
    assert "http://127.0.0.1:9999/" in capsys.readouterr().out
    assert (calls["host"], calls["port"]) == ("127.0.0.1", 9999)


def test_a_scenario_change_killed_midway_leaves_override_and_card_consistent(store, grader, monkeypatch):
    """The audit record, the revision and the re-graded card are one transaction: all or nothing."""
    from grader.store import Unit
    from grader.store.tables import scorecards

    before_card = store.current_scorecards(["t1"])["t1"]
    cards_before = store.count(scorecards)

    def crash(self, pairs, tz=None):
        raise KeyboardInterrupt  # the process is killed after the override row was written

    monkeypatch.setattr(Unit, "save", crash)
    target = "aftersale" if before_card.scenario == "presale" else "presale"
    with pytest.raises(KeyboardInterrupt):
        apply_override(store, "t1", "scenario", target, "其实是售后", "甲", grader=grader)
    assert store.count(overrides) == 0 and review_info(store, "t1")["revision"] == 0
    assert store.current_scorecards(["t1"])["t1"].scenario == before_card.scenario
    assert store.count(scorecards) == cards_before
    monkeypatch.undo()
    change = apply_override(store, "t1", "scenario", target, "其实是售后", "甲", grader=grader)
    assert change.override_id and store.current_scorecards(["t1"])["t1"].scenario == target
    assert [a["item_id"] for a in audit(store, "t1")] == ["scenario"]


def test_accepting_a_dispute_is_one_transaction(store, monkeypatch):
    from grader.review import disputes as dsp
    from grader.store import Unit

    item, level = changeable(store)
    did = dsp.open_dispute(store, "t1", item.id, "xiaomei", "我回复很快", level)

    def crash(self, *a, **kw):
        raise RuntimeError("killed")

    monkeypatch.setattr(Unit, "resolve_dispute", crash)
    with pytest.raises(RuntimeError):
        dsp.accept_dispute(store, did, "主管甲")
    assert store.count(overrides) == 0 and dsp.list_disputes(store, "t1")[0]["status"] == "open"


@pytest.mark.parametrize("package", ["review", "calibration"])
def test_review_and_calibration_hold_no_sql(package):
    """All SQL lives behind Store methods (grader/store/)."""
    from pathlib import Path

    import grader
    folder = Path(grader.__file__).parent / package
    offenders = [p.name for p in folder.glob("*.py")
                 if any(w in p.read_text(encoding="utf-8") for w in ("sqlalchemy", ".engine.", "select(", "conn."))]
    assert offenders == []


@pytest.mark.parametrize("module", ["grader.review.cli", "grader.calibration.cli", "grader.cli"])
def test_cli_modules_import_each_other_not(module):
    import subprocess
    import sys
    code = (f"import sys, {module}; others = {{'grader.cli', 'grader.review.cli', 'grader.calibration.cli'}} - {{'{module}'}};"
            "print(sorted(m for m in others if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_dispute_rules_one_open_per_item_and_reopening(db):
    from grader.review.disputes import DisputeError, open_dispute, reject_dispute
    from grader.review.overrides import mark_reviewed, review_info
    from grader.store import Store

    store = Store(db)
    item = store.current_scorecards(["t1"])["t1"].items[0]
    mark_reviewed(store, "t1", "主管甲")
    did = open_dispute(store, "t1", item.id, "xiaomei", "我做到了")
    assert not review_info(store, "t1")["reviewed"]  # back in the queue
    with pytest.raises(DisputeError, match="已有一个待处理的申诉"):
        open_dispute(store, "t1", item.id, "xiaomei", "再申诉一次")
    reject_dispute(store, did, "主管甲", "证据不足")
    open_dispute(store, "t1", item.id, "xiaomei", "补充说明")  # allowed once the first is closed


def _shop_rubric(tmp_path):
    """The standard items with a shop's bands: 60 and up passes (合格), below it 待改进."""
    from grader.rubric import load_rubric
    from grader.rubric.rubric import STANDARD

    text = STANDARD.read_text(encoding="utf-8")
    standard_bands = 'bands = [[90, "优秀"], [80, "良好"], [70, "合格"], [0, "不合格"]]'
    assert standard_bands in text
    path = tmp_path / "shop.toml"
    path.write_text(text.replace(standard_bands, 'bands = [[60, "合格"], [0, "待改进"]]'), encoding="utf-8")
    return load_rubric(path)


@pytest.mark.parametrize("through", ["override", "dispute"])
def test_an_override_names_the_band_by_the_shops_rubric(db_url, tmp_path, through):
    """Tricky: overrides named the band by the standard rubric, so a shop's card read 不合格 in the queue."""
    from grader.review import disputes
    from grader.review.views import QueueFilters, queue_rows
    from grader.transcript.model import SHANGHAI
    from tests.builders import transcript
    from grader.pipeline import Grader

    rubric = _shop_rubric(tmp_path)
    grader = Grader(rubric=rubric)
    store = Store(db_url)
    t = transcript("c 10:00:00 在吗", "a 10:00:05 您好，在的，请问有什么可以帮您", id="s1")
    store.save([(t, grader.grade(t))])
    card = store.current_scorecards(["s1"])["s1"]
    item = next(i for i in card.items if len(i.levels) > 1 and i.score != min(i.levels))
    if through == "override":
        apply_override(store, "s1", item.id, min(item.levels), "扣分", "甲", rubric=rubric)
    else:
        add_user(store, "xiaomei", PASSWORD, "agent", agent_account=card.agent or "")
        did = disputes.open_dispute(store, "s1", item.id, "xiaomei", "申诉", str(min(item.levels)))
        disputes.accept_dispute(store, did, "甲", rubric=rubric)
    total = final_total(store, "s1", rubric)
    (row,) = queue_rows(store, rubric, QueueFilters(), tz=SHANGHAI)
    assert row.final == total and row.band == rubric.band(total)
    assert row.band in ("合格", "待改进")
