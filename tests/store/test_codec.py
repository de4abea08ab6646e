"""Compact storage gives back exactly what was stored: transcripts, scorecards, findings, views."""
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from grader.pipeline import Grader
from grader.scorecard.view import card_view, view_json
from grader.store import Store, versions_key
from grader.store.codec import Packer, decode_transcript, dumps, encode_transcript, pack, train, unpack
from grader.transcript.model import Message, Transcript
from grader.transcript.reader import read_paths
from tests.builders import transcript

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
CST = timezone(timedelta(hours=8))


def _msg(i, time, role="customer", **kw):
    return Message(index=i, time=time, sender=kw.pop("sender", "tb1" if role == "customer" else "店:小美"),
                   role=role, text=kw.pop("text", f"消息{i}"), **kw)


T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=CST)
TRICKY = {
    "plain": [_msg(0, T0), _msg(1, T0 + timedelta(seconds=5), "agent")],
    "microseconds": [_msg(0, T0.replace(microsecond=123456)), _msg(1, T0 + timedelta(seconds=1, microseconds=7), "agent")],
    "mixed offsets": [_msg(0, T0), _msg(1, (T0 + timedelta(seconds=9)).astimezone(timezone.utc), "agent")],
    "no times": [_msg(0, None), _msg(1, None, "agent")],
    "some times": [_msg(0, None), _msg(1, T0, "agent"), _msg(2, T0 - timedelta(seconds=30, microseconds=5))],
    "system kinds and auto": [_msg(0, T0, "system", kind="transfer", sender="system"),
                              _msg(1, T0, "agent", auto_reply=True)],
    "sources per message": [_msg(0, T0, source_file="a.csv", source_line=3),
                            _msg(1, T0, "agent", source_file="b.csv", source_line=None)],
    "index gaps": [_msg(4, T0), _msg(9, T0, "agent")],
    "empty text and emoji": [_msg(0, T0, text=""), _msg(1, T0, "agent", text="好的😀\n第二行\t")],
}


@pytest.mark.parametrize("name", list(TRICKY), ids=list(TRICKY))
def test_transcript_round_trip(name):
    t = Transcript(id="x", platform="jd", shop="店", agent="店:小美", agents=["店:小美"], customer="tb1",
                   messages=TRICKY[name], source_file="a.csv", source_line=2, notes=["已排序"])
    back = decode_transcript("x", json.loads(dumps(encode_transcript(t))))
    assert back.model_dump_json() == t.model_dump_json()


@pytest.mark.parametrize("fields", [
    pytest.param({"time_resolution": 60}, id="minute-precise"),
    pytest.param({"next_chat_at": T0 + timedelta(hours=19)}, id="buyer-came-back"),
])
def test_what_the_reader_knew_round_trips(fields):
    t = Transcript(id="x", platform="taobao", messages=TRICKY["plain"], **fields)
    back = decode_transcript("x", json.loads(dumps(encode_transcript(t))))
    assert back.model_dump_json() == t.model_dump_json()


def test_bundled_samples_and_corpus_round_trip():
    paths = [ROOT / "transcripts"] + ([CORPUS] if CORPUS.is_dir() else [])
    chats = read_paths(paths).transcripts
    assert chats
    for t in chats:
        back = decode_transcript(t.id, json.loads(dumps(encode_transcript(t))))
        assert back.model_dump_json() == t.model_dump_json(), t.id


@pytest.mark.parametrize("zdict", [None, b"", train([b'{"a":"the usual words"}'] * 3)], ids=["none", "empty", "trained"])
def test_pack_unpack(zdict):
    doc = dumps({"a": "the usual words", "b": "顾客说少发了"})
    assert unpack(pack(doc, zdict or None), zdict or None) == doc


def test_a_stored_scorecard_comes_back_exactly(db_url):
    store, grader = Store(db_url), Grader()
    chats = read_paths([ROOT / "transcripts"]).transcripts[:8]
    cards = {t.id: grader.grade(t) for t in chats}
    store.save([(t, cards[t.id]) for t in chats])
    with_findings = store.current_scorecards(list(cards), findings=True)
    without = store.current_scorecards(list(cards))
    views = store.current_views(list(cards))
    for tid, card in cards.items():
        assert with_findings[tid].model_dump() == card.model_dump()
        assert without[tid].model_dump() == card.model_copy(
            update={"items": [i.model_copy(update={"findings": []}) for i in card.items]}).model_dump()
        assert json.loads(views[tid]) == card_view(card, versions_key(card.versions))
    assert store.transcripts([chats[0].id])[chats[0].id].model_dump() == chats[0].model_dump()


def test_the_view_leaves_out_findings_and_defaults_only():
    card = Grader().grade(transcript("c 10:00:00 有优惠吗", "a 10:00:05 您好，现在满300减30哦"))
    view = card_view(card, "k")
    assert "findings" not in view_json(view) and view["versions_key"] == "k"
    assert all(set(i) >= {"id", "label", "max", "levels", "score", "confidence", "needs_review", "evidence", "reason"}
               for i in view["items"])


def test_a_dictionary_trained_in_a_rolled_back_batch_is_stored_with_the_next(db_url):
    """Tricky: the packer remembers a dictionary it trained; rows packed with it carry it until stored."""
    store, grader = Store(db_url), Grader()
    t = transcript("c 10:00:00 在吗", "a 10:00:05 您好")
    store.packer = Packer(store._known_dictionary)
    from grader.store import chat_rows
    rows = chat_rows([(t, grader.grade(t))], store.packer)
    assert rows[0].dictionaries  # trained here: carried
    again = chat_rows([(t, grader.grade(t))], store.packer)  # the first batch never stored
    assert set(again[0].dictionaries) == set(rows[0].dictionaries)
    store.save_rows(again)
    assert store.current_scorecards(["t1"])["t1"].transcript_id == "t1"


@pytest.mark.parametrize("first, then, retrained", [
    (1, 60, True),    # trained on one chat: a later batch of many trains a richer one
    (60, 60, False),  # a full dictionary stays
    (1, 1, False),    # no richer material
], ids=["few-then-many", "full", "few-then-few"])
def test_a_dictionary_trained_on_few_chats_is_replaced_by_a_richer_one(first, then, retrained):
    packer = Packer()
    docs = [dumps({"n": n, "text": "您好，很高兴为您服务，请问有什么可以帮您" * 3}) for n in range(60)]
    a = packer.dictionary("card", "k", docs[:first])
    b = packer.dictionary("card", "k", docs[:then])
    assert (a != b) is retrained
    assert all(unpack(pack(d, b[1]), b[1]) == d for d in docs[:3])
