"""The SQLite database file stands alone after a command: the write-ahead log is folded in."""
import json
import shutil

from grader.cli import main
from grader.store import Store, scorecards

CHAT = {"id": "w1", "shop": "小店", "messages": [
    {"time": "2026-11-22 10:00:00", "sender": "tb1", "role": "customer", "text": "在吗"},
    {"time": "2026-11-22 10:00:05", "sender": "小店:阿静", "role": "agent", "text": "您好，在的"}]}


def test_grader_db_alone_holds_the_days_work(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "c.jsonl").write_text(
        "\n".join(json.dumps({**CHAT, "id": f"w{i}"}, ensure_ascii=False) for i in range(5)) + "\n", encoding="utf-8")
    db = tmp_path / "grader.db"
    assert main(["grade", str(tmp_path / "in"), "--db", str(db), "--workers", "1", "--quiet"]) == 0
    wal = tmp_path / "grader.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    (tmp_path / "copy").mkdir()
    shutil.copy(db, tmp_path / "copy" / "grader.db")  # what a user copies: the .db file only
    assert Store(str(tmp_path / "copy" / "grader.db")).count(scorecards) == 5


def test_store_close_checkpoints(tmp_path):
    store = Store(str(tmp_path / "g.db"))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE scratch (x)")
        conn.exec_driver_sql("INSERT INTO scratch VALUES (1)")
    assert (tmp_path / "g.db-wal").stat().st_size > 0
    other = Store(str(tmp_path / "g.db"))  # another connection holds the log open: still folded in
    store.close()
    assert (tmp_path / "g.db-wal").stat().st_size == 0
    other.close()
