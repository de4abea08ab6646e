import json

from grader.cli import EXIT_OK, EXIT_SET_ASIDE, main

CHAT = {"id": "c1", "platform": "jd", "shop": "小店", "agent": "小店:小美", "customer": "jd_1",
        "messages": [{"time": "2026-11-22 10:00:00", "sender": "jd_1", "role": "customer", "text": "在吗"},
                     {"time": "2026-11-22 10:00:04", "sender": "小店:小美", "role": "agent", "text": "您好，在的"}]}


def _write(folder, broken=False):
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(CHAT, ensure_ascii=False) + "\n" + ("{oops\n" if broken else "")
    (folder / "x.jsonl").write_text(text, encoding="utf-8")
    return folder


def _summary(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_grade_prints_one_machine_readable_line_and_exits_ok(tmp_path, capsys):
    src = _write(tmp_path / "in")
    code = main(["grade", str(src), "--out", str(tmp_path / "out"), "--db", str(tmp_path / "g.db"),
                 "--date", "2026-11-22", "--workers", "1"])
    summary = _summary(capsys)
    assert code == EXIT_OK and summary["graded"] == 1 and summary["reconciles"]
    csv_bytes = (tmp_path / "out" / "scorecards.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf") and "首次响应时间" in csv_bytes.decode("utf-8-sig")


def test_set_aside_input_gives_a_distinct_exit_status(tmp_path, capsys):
    src = _write(tmp_path / "in", broken=True)
    code = main(["grade", str(src), "--db", str(tmp_path / "g.db"), "--workers", "1"])
    assert code == EXIT_SET_ASIDE and _summary(capsys)["set_aside"] == 1


def test_report_writes_workbook_and_page(tmp_path, capsys):
    src = _write(tmp_path / "in")
    main(["grade", str(src), "--db", str(tmp_path / "g.db"), "--workers", "1"])
    capsys.readouterr()
    code = main(["report", "--date", "2026-11-22", "--db", str(tmp_path / "g.db"), "--out", str(tmp_path / "r")])
    summary = _summary(capsys)
    assert code == EXIT_OK and summary["scorecards"] == 1
    assert (tmp_path / "r" / "report-2026-11-22.xlsx").exists() and (tmp_path / "r" / "report-2026-11-22.html").exists()


def test_bad_date_is_a_clear_error(tmp_path, capsys):
    assert main(["grade", str(tmp_path), "--date", "22/11", "--db", str(tmp_path / "g.db")]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err


QIANNIU = ("tb1 2026-11-22 10:00:00\n在吗\n店:小美 2026-11-22 10:00:05\n在的\n"
           "tb1 2026-11-22 10:50:00\n还有个问题\n店:小美 2026-11-22 10:50:09\n您说\n")


def test_session_gap_option_splits_chats(tmp_path, capsys):
    (tmp_path / "q.txt").write_text(QIANNIU, encoding="utf-8")
    for gap, chats in (("120", 1), ("30", 2)):
        assert main(["read", "--session-gap", gap, str(tmp_path / "q.txt")]) == EXIT_OK
        assert f"parsed {chats}" in capsys.readouterr().out
    code = main(["grade", str(tmp_path / "q.txt"), "--session-gap", "30", "--db", str(tmp_path / "g.db"),
                 "--workers", "1", "--quiet"])
    assert code == EXIT_OK and _summary(capsys)["graded"] == 2


def test_a_second_grade_on_a_busy_database_refuses_with_a_message(tmp_path, capsys):
    from grader.batch import RunLock
    from grader.cli import EXIT_ERROR
    from grader.store import Store
    src = _write(tmp_path / "in")
    store = Store(str(tmp_path / "g.db"))
    with RunLock(store):
        code = main(["grade", str(src), "--db", str(tmp_path / "g.db"), "--workers", "1", "--quiet"])
    assert code == EXIT_ERROR and "另一个评分任务正在使用这个数据库" in capsys.readouterr().err


import pytest as _pytest


@_pytest.mark.parametrize("command", ["grade", "read"])
def test_a_mistyped_input_path_is_an_error_in_chinese(tmp_path, capsys, command):
    """Exit 1 with a Chinese message naming the path, not a set-aside chat."""
    from grader.cli import main as cli_main
    args = [command, str(tmp_path / "exprots")] + (["--db", str(tmp_path / "g.db")] if command == "grade" else [])
    assert cli_main(args) == 1
    err = capsys.readouterr().err
    assert "输入路径不存在" in err and "exprots" in err
