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
