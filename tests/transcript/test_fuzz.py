"""Seeded fuzzing: a few hundred mutations of the bundled sample exports (and of the field cases in
../shared/cases when present) are read and graded.

Whatever the damage — lines dropped, doubled, swapped or cut, junk and extreme values inserted,
bytes flipped, files truncated — reading never raises, never hangs, and every run reconciles:
read = graded + unchanged + out of range + set aside, with one scorecard or set-aside line each.
"""
import json
import random
from pathlib import Path

import pytest

from grader.batch import GradeSettings, Run
from grader.dates import DayRange
from grader.store import Store
from grader.transcript import SetAside, Transcript, read_file, read_paths
from grader.transcript.encoding import detect_encoding
from grader.transcript.reader import walk
from tests.transcript.conftest import Hang
from tests.transcript.mutations import mutate_line

SAMPLES = Path(__file__).resolve().parents[2] / "transcripts"
CASES = SAMPLES.parent.parent / "shared" / "cases"  # field cases, mutated too when present
SEED = 20261130
MUTANTS = 300
JUNK = [
    "", "{", "[[[[[[[[", "{" * 3000 + "}" * 3000, "tb1 2099-13-45 25:61:61", "tb1 2026-11-22 10:00",
    "-----", "【即将超时】您已超过20分钟未回复买家", "当前用户来自 手机淘宝", "\x00\x00", "9999-12-31 23:59:59",
    "暖宝生活馆:阿静", "2026-11-22 10:00:01", "客户已下单，订单号 3600112233，付款成功", "会话已结束",
    "/:^_^ [图片] 😊", "亲" * 30000, "0001-01-01T00:00:00+14:00", '{"id": 1, "messages": [{"time": 1e300}]}',
    "会话ID,时间,发送人,角色,内容", "x,2026-11-22 10:00:00+25:00,tb1,客户,在吗", "\ufeff", "\r", "由 A 转交给 B",
]


def _mutate_lines(lines: list[str], rng: random.Random) -> list[str]:
    lines = list(lines) or [""]
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        op = rng.choice(["drop", "double", "swap", "cut", "digit", "junk", "junk", "colon", "offset"])
        if mutate_line(op, lines, i, rng, JUNK):
            continue
        if op == "colon":
            lines[i] = lines[i].replace(":", "：", 1) if rng.random() < 0.5 else lines[i].replace(":", "", 1)
        elif op == "offset":
            lines[i] = lines[i].replace(":00\"", ":00+25:00\"", 1)
    return lines


def _mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    op = rng.choice(["truncate", "flip", "nul"])
    if op == "truncate":
        return bytes(data[: rng.randint(0, len(data))])
    for _ in range(rng.randint(1, 8)):
        k = rng.randrange(len(data))
        data[k] = rng.randrange(256) if op == "flip" else 0
    return bytes(data)


def _with_own_ids(lines: list[str], n: int) -> list[str]:
    """Table rows get their own chat ids per mutant, so the run grades them instead of setting
    them aside as the same chats again (Qianniu ids come from the mutated content anyway)."""
    if lines and ("会话ID" in lines[0] or "transcript_id" in lines[0]):
        return [lines[0]] + [f"m{n}-{line}" if line.strip() else line for line in lines[1:]]
    return lines


def mutants(folder: Path, count: int = MUTANTS, seed: int = SEED) -> list[Path]:
    """`count` mutated copies of the bundled samples, written to `folder`."""
    rng = random.Random(seed)
    sources = [p for p in walk(SAMPLES) if p.name != "hand_scores.csv"]
    if CASES.is_dir():
        sources += [p for p in walk(CASES) if p.suffix != ".md"]
    written = []
    for n in range(count):
        source = rng.choice(sources)
        data = source.read_bytes()
        encoding = detect_encoding(data[:65536])
        if encoding is None or rng.random() < 0.2:
            data = _mutate_bytes(data, rng)
        else:
            text = data.decode(encoding).replace('"id": "', f'"id": "m{n}-')  # chats of their own
            text = "\n".join(_with_own_ids(text.split("\n"), n))
            data = "\n".join(_mutate_lines(text.split("\n"), rng)).encode(
                "utf-16" if encoding.startswith("utf-16") else encoding, errors="replace")
        path = folder / f"{n:03d}_{source.name}"
        path.write_bytes(data)
        written.append(path)
    return written


def test_fuzzed_samples_never_crash_hang_or_lose_a_chat(tmp_path, deadline):
    folder = tmp_path / "mutants"
    folder.mkdir()
    files = mutants(folder)
    total = 0
    for path in files:
        deadline(5)
        try:
            items = read_file(path)
        except Hang:
            pytest.fail(f"reading {path.name} took more than 5 s")
        deadline(0)
        assert items, path.name  # every file gives at least one transcript or set-aside
        for item in items:
            assert isinstance(item, (Transcript, SetAside)), (path.name, item)
            if isinstance(item, SetAside):
                assert item.reason and path.name in item.file
            else:
                assert item.messages and path.name in item.source_file
        total += len(items)
    assert read_paths([folder]).read == total

    deadline(50)
    store = Store(str(tmp_path / "g.db"))
    counts = Run(store, GradeSettings(), DayRange(), tmp_path / "out", progress=False).execute([folder])
    deadline(0)
    assert counts.reconciles and counts.read == total
    out = tmp_path / "out"
    cards = (out / "scorecards.jsonl").read_text(encoding="utf-8").splitlines()
    aside = (out / "set_aside.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(cards) == counts.graded + counts.unchanged and len(aside) == counts.set_aside
    assert all(json.loads(line)["reason"] for line in aside)
    assert counts.graded > 0 and counts.set_aside > 0  # the mutations hit both ways
