"""Every bad input is set aside with file, line and reason; the rest is read; counts reconcile."""
from pathlib import Path

import pytest

from grader.transcript import SetAside, Transcript, iter_read, read_file, read_paths

BROKEN = Path(__file__).resolve().parents[1] / "data" / "broken"


@pytest.mark.parametrize("name, parsed, aside_line, reason_part", [
    ("broken_json.jsonl", 2, 2, "JSON 格式错误"),
    ("missing_time.jsonl", 1, 1, "没有时间"),
    ("no_messages.jsonl", 1, 1, "没有任何消息"),
    ("bad_timestamp.txt", 1, 7, "时间无法解析"),
    ("unknown_format.txt", 0, None, "无法识别的文件格式"),
    ("undecodable.dat", 0, None, "无法解码"),
    ("empty.jsonl", 0, None, "文件是空的"),
    ("missing_column.csv", 0, 1, "缺少必需的列"),
])
def test_each_broken_file(name, parsed, aside_line, reason_part):
    items = read_file(BROKEN / name)
    transcripts = [i for i in items if isinstance(i, Transcript)]
    [aside] = [i for i in items if isinstance(i, SetAside)]
    assert len(transcripts) == parsed
    assert aside.file.endswith(name) and aside.line == aside_line
    assert reason_part in aside.reason


def test_folder_of_broken_files_reconciles():
    result = read_paths([BROKEN])
    assert result.parsed == 5 and len(result.set_aside) == 8
    assert result.read == result.parsed + len(result.set_aside) == 13
    summary = result.summary()
    assert "read 13" in summary and "parsed 5" in summary and "set aside 8" in summary
    assert "broken JSON" in summary


def test_missing_path_is_set_aside(tmp_path):
    [aside] = list(iter_read([tmp_path / "nope.jsonl"]))
    assert "不存在" in aside.reason


def test_hidden_files_skipped_and_graderignore(tmp_path):
    (tmp_path / ".hidden.jsonl").write_text("garbage", encoding="utf-8")
    (tmp_path / "README.md").write_text("# samples\n", encoding="utf-8")
    (tmp_path / ".graderignore").write_text("# docs\nREADME.md\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("会议记录\n", encoding="utf-8")
    result = read_paths([tmp_path])
    assert result.parsed == 0 and [Path(a.file).name for a in result.set_aside] == ["notes.md"]


def test_folder_mixing_everything(tmp_path):
    import shutil
    shutil.copytree(BROKEN, tmp_path / "broken")
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "chat.log").write_bytes(
        "tb1 2026-11-22 10:00:09\n在吗\n店:小美 2026-11-22 10:00:12\n您好\n".encode("utf-16"))
    (tmp_path / "a" / "table.csv").write_bytes(
        "会话ID,时间,发送人,角色,内容\nz1,2026-11-22 10:00:00,u1,客户,在吗\n".encode("gbk"))
    (tmp_path / "a" / "one.jsonl").write_text(
        '{"id": "j1", "customer": "u", "messages": [{"time": "2026-11-22 10:00:00", "sender": "u", "text": "hi"}]}\n',
        encoding="utf-8-sig")
    items = list(iter_read([tmp_path]))
    files = [Path(i.source_file if isinstance(i, Transcript) else i.file) for i in items]
    assert files == sorted(files, key=lambda p: p.relative_to(tmp_path).parts)
    result = read_paths([tmp_path])
    assert result.parsed == 8 and len(result.set_aside) == 8 and result.read == 16
    assert {t.id for t in result.transcripts} >= {"j1", "z1"}
    assert all(m.source_file and m.source_line for t in result.transcripts for m in t.messages)


GOOD = ('{"id": "ok", "messages": [{"time": "2026-11-22 10:00:00", "role": "customer", "sender": "c", '
        '"text": "在吗"}]}')


@pytest.mark.parametrize("bad, reason", [
    pytest.param('{"id": "x", "messages": [{"time": "2026-11-22 10:00:00+25:00", "role": "customer", '
                 '"sender": "c", "text": "在吗"}]}', "unparseable time", id="offset-plus-25-hours"),
    pytest.param('{"id": "x", "messages": [{"time": "2026-11-22 10:00:00-24:30", "role": "customer", '
                 '"sender": "c", "text": "在吗"}]}', "unparseable time", id="offset-minus-24-30"),
    pytest.param('{"id": "x", "messages": ' + "[" * 5000 + "]" * 5000 + "}", "nested too deep",
                 id="json-nested-5000-deep"),
    pytest.param('{"id": "x", "messages": [{"time": 1e300, "role": "customer", "sender": "c", "text": "在吗"}]}',
                 "time out of range", id="epoch-1e300"),
    pytest.param('{"id": "x", "messages": [{"time": "2026-11-22 10:00:00", "role": "customer", "sender": "c", '
                 '"text": "在吗", "auto_reply": {"a": 1}}]}', "auto_reply", id="auto-reply-an-object"),
])
def test_a_bad_line_mid_file_is_set_aside_and_the_next_line_read(tmp_path, bad, reason):
    path = tmp_path / "mixed.jsonl"
    path.write_text(GOOD.replace('"ok"', '"first"') + "\n" + bad + "\n" + GOOD + "\n", encoding="utf-8")
    items = read_file(path)
    assert [type(i).__name__ for i in items] == ["Transcript", "SetAside", "Transcript"]
    assert items[1].line == 2 and reason in items[1].reason
    assert items[2].id == "ok"


def test_a_symlink_loop_is_walked_once(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "a.jsonl").write_text(GOOD + "\n", encoding="utf-8")
    (folder / "self").symlink_to(".")
    (folder / "up").symlink_to("..")
    (folder / "dangling").symlink_to("nowhere")
    result = read_paths([folder])
    assert result.parsed == 1 and result.read == 1


def test_a_gbk_file_name_is_read_and_shown(tmp_path):
    import os
    name = "千牛记录.jsonl".encode("gbk")
    with open(os.path.join(os.fsencode(tmp_path), name), "w", encoding="utf-8") as f:
        f.write(GOOD + "\n")
    [t] = read_paths([tmp_path]).transcripts
    assert t.source_file.endswith("千牛记录.jsonl")
    t.source_file.encode("utf-8")  # storable


def test_undecodable_file_name_is_shown_escaped(tmp_path):
    import os
    with open(os.path.join(os.fsencode(tmp_path), b"\xff\xfe.jsonl"), "w", encoding="utf-8") as f:
        f.write(GOOD + "\n")
    [t] = read_paths([tmp_path]).transcripts
    assert t.source_file.endswith("\\xff\\xfe.jsonl")
