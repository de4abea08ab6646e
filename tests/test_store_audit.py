"""The audit log: append-only in the database (SQLite and PostgreSQL), hash-chained, verified.

Every case runs on SQLite and on PostgreSQL (the `db_url` fixture of tests/conftest.py)."""
import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from grader.cli import main
from grader.review.auth import add_user
from grader.review.overrides import apply_override, mark_reviewed
from grader.store import Store, overrides
from grader.store.audit import access_log, audit_log, trigger_ddl
from tests.builders import transcript

PASSWORD = "secret-pass-1"


@pytest.fixture
def db(db_url, grader):
    """A database (SQLite, and PostgreSQL when tests/conftest.py has a server) with two graded chats."""
    store = Store(db_url)
    chats = [transcript("c 10:00:00 有优惠吗", "a 10:00:05 您好，现在满300减30哦", id=tid) for tid in ("t1", "t2")]
    store.save([(t, grader.grade(t, scenario="presale")) for t in chats])
    add_user(store, "主管甲", PASSWORD, "supervisor")
    add_user(store, "xiaomei", PASSWORD, "agent", agent_account="小店:小美")
    return db_url


def some_changes(store):
    card = store.current_scorecards(["t1"])["t1"]
    item = card.item("presale.promotion")
    apply_override(store, "t1", item.id, 0 if item.score else item.max, "活动已结束", "主管甲")
    mark_reviewed(store, "t1", "主管甲")
    store.log_access("主管甲", "t1", "127.0.0.1")
    apply_override(store, "t2", item.id, 0 if item.score else item.max, "复核改分", "主管甲")


def drop_triggers(store):
    """What an attacker with the database owner's rights can do; the hash chain still tells."""
    with store.engine.begin() as conn:
        for table in ("audit_log", "overrides", "audit_head"):
            if store.engine.dialect.name == "sqlite":
                for op in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{op}"))
            else:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))


STATEMENTS = [
    pytest.param(lambda: update(audit_log).values(actor="别人"), id="update-audit"),
    pytest.param(lambda: delete(audit_log), id="delete-audit"),
    pytest.param(lambda: update(overrides).values(to_value="5"), id="update-override"),
    pytest.param(lambda: delete(overrides).where(overrides.c.id == 1), id="delete-override"),
    pytest.param(lambda: update(access_log).values(actor="别人"), id="update-access-log"),
    pytest.param(lambda: delete(access_log), id="delete-access-log"),
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_audit_tables_refuse_update_and_delete(db, statement):
    store = Store(db)
    some_changes(store)
    before = store.audit_entries()
    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as conn:
            conn.execute(statement())
    assert store.audit_entries() == before and store.verify_audit() == []


def test_truncate_is_refused_on_postgresql(db):
    store = Store(db)
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    some_changes(store)
    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))


def test_a_clean_chain_verifies_and_names_every_change(db):
    store = Store(db)
    some_changes(store)
    assert store.verify_audit() == []
    actions = [e["action"] for e in reversed(store.audit_entries())]
    assert actions == ["user_add", "user_add", "override", "reviewed", "override"]
    assert [e["id"] for e in reversed(store.audit_entries())] == [1, 2, 3, 4, 5]


def _forge_override(conn):
    row = conn.execute(select(overrides).order_by(overrides.c.id)).first()._mapping
    conn.execute(insert(overrides).values(**{**row, "id": 99, "to_value": "5", "by": "主管甲"}))


TAMPERING = [
    pytest.param(lambda c: c.execute(update(audit_log).where(audit_log.c.id == 3).values(
        detail=c.execute(select(audit_log.c.detail).where(audit_log.c.id == 3)).scalar().replace("活动已结束", "无"))),
        "内容与哈希不符", id="edit-an-entry"),
    pytest.param(lambda c: c.execute(delete(audit_log).where(audit_log.c.id == 2)), "缺失", id="delete-a-middle-entry"),
    pytest.param(lambda c: c.execute(delete(audit_log).where(audit_log.c.id == 5)), "末尾", id="delete-the-last-entry"),
    pytest.param(lambda c: c.execute(update(overrides).where(overrides.c.id == 1).values(to_value="5")),
                 "与审计记录不符", id="edit-an-override"),
    pytest.param(lambda c: c.execute(delete(overrides).where(overrides.c.id == 1)), "已不存在", id="delete-an-override"),
    pytest.param(_forge_override, "没有对应的审计记录", id="insert-an-override-behind-the-audit"),
    pytest.param(lambda c: c.execute(update(audit_log).where(audit_log.c.id == 4).values(actor="boss2")),
                 "内容与哈希不符", id="change-who-did-it"),
]


@pytest.mark.parametrize("tamper, found", TAMPERING)
def test_verify_finds_tampering(db, tamper, found, capsys):
    store = Store(db)
    some_changes(store)
    drop_triggers(store)
    with store.engine.begin() as conn:
        tamper(conn)
    problems = store.verify_audit()
    assert any(found in p for p in problems), problems
    assert main(["audit", "verify", "--db", db]) == 1
    assert '"tampered"' in capsys.readouterr().out


def test_rehashing_after_an_edit_still_breaks_the_head(db):
    """Recomputing an edited entry's hash breaks the next entry's link (or the head, for the last)."""
    from grader.store.audit import entry_hash
    store = Store(db)
    some_changes(store)
    drop_triggers(store)
    with store.engine.begin() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.id == 5)).one()
        detail = row.detail.replace("复核改分", "无")
        conn.execute(update(audit_log).where(audit_log.c.id == 5).values(
            detail=detail, hash=entry_hash(row.prev_hash, 5, row.at, row.actor, row.action, row.transcript_id, detail)))
    assert any("末尾" in p for p in store.verify_audit())


def test_verify_command_on_a_clean_database(db, capsys):
    some_changes(Store(db))
    assert main(["audit", "verify", "--db", db]) == 0
    assert '"status": "ok"' in capsys.readouterr().out


def test_overrides_from_before_the_audit_log_are_chained_once(tmp_path, grader):
    path = str(tmp_path / "old.db")
    store = Store(path)
    t = transcript("c 10:00:00 有优惠吗", "a 10:00:05 您好，现在满300减30哦", id="t1")
    store.save([(t, grader.grade(t, scenario="presale"))])
    with store.engine.begin() as conn:  # as an older grader left it: an override, no audit tables
        conn.execute(insert(overrides).values(transcript_id="t1", scorecard_id=1, item_id="presale.promotion",
                                              from_value="5", to_value="0", reason="旧记录", by="主管A",
                                              at="2026-11-23T09:00:00", source="web"))
        for table in ("audit_log", "audit_head"):
            conn.execute(text(f"DROP TABLE {table}"))
    again = Store(path)
    assert [e["detail"]["reason"] for e in again.audit_entries()] == ["旧记录"]
    assert Store(path).verify_audit() == [] and len(Store(path).audit_entries()) == 1


@pytest.mark.parametrize("by, message", [
    pytest.param("不存在的人", "没有名为「不存在的人」的账号", id="unknown-name"),
    pytest.param("xiaomei", "只有主管可以做", id="an-agent"),
])
def test_the_command_line_acts_as_an_existing_supervisor(db, by, message, capsys):
    store = Store(db)
    item = store.current_scorecards(["t1"])["t1"].item("presale.promotion")
    code = main(["override", "t1", item.id, str(0 if item.score else item.max), "--reason", "x", "--by", by,
                 "--db", db])
    assert code == 1 and message in capsys.readouterr().err
    assert store.count(overrides) == 0


def test_trigger_ddl_covers_both_databases():
    assert all("RAISE(ABORT" in s for s in trigger_ddl("sqlite"))
    pg = trigger_ddl("postgresql")
    assert "plpgsql" in pg[0] and any("BEFORE TRUNCATE ON audit_log" in s for s in pg)
    with pytest.raises(NotImplementedError):
        trigger_ddl("mysql")


def test_purge_on_both_databases(db):
    store = Store(db)
    some_changes(store)
    before = store.count(overrides), store.current_scorecards(["t1", "t2"])
    counts = store.purge_before("2099-01-01", "主管甲")
    assert (counts["chats"], counts["scorecards"]) == (2, 2)
    after = store.current_scorecards(["t1", "t2"])
    assert {t: c.total for t, c in after.items()} == {t: c.total for t, c in before[1].items()}
    assert all(e.quote == "" for c in after.values() for i in c.items for e in i.evidence)
    assert store.count(overrides) == before[0] and store.verify_audit() == []
    assert store.purged_at("t1")["by"] == "主管甲"


def test_a_deleted_head_row_is_reported_and_the_store_keeps_working(db, capsys):
    """Once every later command crashed with a traceback, `grader audit verify` included."""
    from grader.store.audit import audit_head
    store = Store(db)
    some_changes(store)
    drop_triggers(store)
    with store.engine.begin() as conn:
        conn.execute(delete(audit_head))
    again = Store(db)  # opening rebuilds the head from the last entry, and remembers it was gone
    problems = again.verify_audit()
    assert any("audit_head" in p and "#5" in p for p in problems), problems
    card = again.current_scorecards(["t2"])["t2"]
    apply_override(again, "t2", "presale.promotion", card.item("presale.promotion").max, "再次复核", "主管甲")
    assert [e["id"] for e in again.audit_entries(limit=1)] == [6]  # the chain goes on from #5
    assert len(again.verify_audit()) == 1
    assert main(["audit", "verify", "--db", db]) == 1
    assert "audit_head" in capsys.readouterr().out
