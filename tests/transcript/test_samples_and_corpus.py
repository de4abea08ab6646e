"""The bundled sample chats, and the JDDC corpus sample (if present) through the model."""
import csv
import json
from pathlib import Path

import pytest

from grader.transcript import Message, Transcript, read_paths

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "transcripts"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


@pytest.fixture(scope="module")
def samples():
    return read_paths([SAMPLES])


def test_bundled_samples_read_cleanly(samples):
    assert samples.set_aside == [], samples.summary()
    assert samples.parsed >= 20 and samples.read == samples.parsed
    assert len({t.id for t in samples.transcripts}) == samples.parsed
    for t in samples.transcripts:
        assert t.messages and t.customer and t.agent and t.shop
        assert [m.index for m in t.messages] == list(range(len(t.messages)))
        assert all(m.time is not None and m.time.tzinfo is not None for m in t.messages)
        assert all(m.source_file and m.source_line for m in t.messages)
    platforms = {t.platform for t in samples.transcripts}
    assert {"taobao", "jd", "pdd", "douyin"} <= platforms


def test_bundled_samples_cover_every_format(samples):
    files = {Path(t.source_file).relative_to(SAMPLES).parts[0] for t in samples.transcripts}
    assert files == {"jsonl", "qianniu", "table"}
    kinds = {m.kind for t in samples.transcripts for m in t.messages if m.role == "system"}
    assert {"transfer", "recall", "order", "notice"} <= kinds


def test_hand_scores_cover_every_sample(samples):
    with open(SAMPLES / "hand_scores.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["transcript_id"] for r in rows} == {t.id for t in samples.transcripts}
    for r in rows:
        other = "aftersale." if r["scenario"] == "presale" else "presale."
        assert all(v == "" for k, v in r.items() if k.startswith(other))
        assert all(v != "" for k, v in r.items() if not k.startswith(other))


def jddc_transcript(row: dict) -> Transcript:
    messages = [Message(time=turn["time"], sender=turn["role"], role=turn["role"], text=turn["text"])
                for turn in row["turns"]]
    return Transcript(id=row["id"], platform="jd", messages=messages).normalize()


def test_jddc_corpus_sample_through_model():
    path = CORPUS / "jddc2019_sample" / "dialogues.jsonl"
    if not path.exists():
        pytest.skip(f"corpus not present at {path}")
    count = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            t = jddc_transcript(row)
            assert t.messages and all(m.time is None for m in t.messages)
            assert [m.index for m in t.messages] == list(range(len(t.messages)))
            assert t.started_at is None and t.notes == []  # nothing to sort, no duplicates dropped
            count += 1
    assert count > 0


def test_jddc_lines_given_to_our_reader_are_set_aside(tmp_path):
    path = CORPUS / "jddc2019_sample" / "dialogues.jsonl"
    if path.exists():
        with open(path, encoding="utf-8") as f:
            lines = [next(f) for _ in range(5)]
    else:  # same shape as the corpus
        lines = [json.dumps({"id": f"x{i}", "turns": [{"role": "customer", "text": "在吗", "time": None}]}) + "\n"
                 for i in range(5)]
    (tmp_path / "jddc.jsonl").write_text("".join(lines), encoding="utf-8")
    result = read_paths([tmp_path])
    assert result.parsed == 0 and len(result.set_aside) == 5 and result.read == 5
    assert all("没有时间 (no time)" in a.reason and a.line for a in result.set_aside)
