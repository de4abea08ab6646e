"""Reading zip archives member by member."""
import json
import zipfile

import pytest

from grader.transcript import Transcript, read_paths

CHAT = {"id": "z1", "shop": "小店", "messages": [
    {"time": "2026-11-22 10:00:00", "sender": "tb1", "role": "customer", "text": "在吗"},
    {"time": "2026-11-22 10:00:05", "sender": "小店:小美", "role": "agent", "text": "在的"}]}
QIANNIU = "tb2 2026-11-22 11:00:00\n发货了吗\n小店:小美 2026-11-22 11:00:09\n今天发\n"


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def make_windows_zip(path, name, data):
    """A zip whose member name is GBK bytes without the UTF-8 flag, as Windows tools write it."""
    raw = name.encode("gbk")
    placeholder = "x" * len(raw)
    make_zip(path, {placeholder: data})
    path.write_bytes(path.read_bytes().replace(placeholder.encode("ascii"), raw))
    return path


def test_zip_members_are_read_one_by_one(tmp_path):
    inner = make_zip(tmp_path / "inner.zip", {"a.jsonl": "{}"})
    path = make_zip(tmp_path / "exports.zip", {
        "2026-11-22/chats.jsonl": json.dumps(CHAT, ensure_ascii=False) + "\n",
        "2026-11-22/千牛.txt": QIANNIU.encode("gbk"),
        "__MACOSX/._chats.jsonl": b"\x00\x05\x16\x07",
        ".DS_Store": b"\x00\x00",
        "nested.zip": inner.read_bytes(),
        "readme.pdf": b"%PDF-1.4 binary\x00\x01",
    })
    result = read_paths([path])
    assert sorted("qn" if t.id.startswith("qn-") else t.id for t in result.transcripts) == ["qn", "z1"]
    assert {a.file.split("/")[-1]: a.reason.split("(")[-1] for a in result.set_aside} == {
        "nested.zip": "zip inside zip)", "readme.pdf": "unknown format)"}
    assert all(t.source_file.startswith(str(path) + "/2026-11-22/") for t in result.transcripts)


def test_gbk_member_names_are_decoded(tmp_path):
    path = make_windows_zip(tmp_path / "w.zip", "千牛聊天记录.txt", QIANNIU.encode("utf-8"))
    [t] = read_paths([path]).transcripts
    assert t.source_file.endswith("w.zip/千牛聊天记录.txt")


@pytest.mark.parametrize("data, reason", [
    pytest.param(b"PK\x03\x04garbage", "broken zip", id="truncated-zip"),
])
def test_broken_zip_is_set_aside_once(tmp_path, data, reason):
    path = tmp_path / "bad.zip"
    path.write_bytes(data)
    result = read_paths([path])
    assert result.read == 1 and reason in result.set_aside[0].reason


def test_the_same_zip_read_twice_gives_the_same_ids(tmp_path):
    path = make_zip(tmp_path / "e.zip", {"c.txt": QIANNIU})
    assert [t.id for t in read_paths([path]).transcripts] == [t.id for t in read_paths([path]).transcripts]
    assert isinstance(read_paths([path]).transcripts[0], Transcript) and not read_paths([path]).set_aside
