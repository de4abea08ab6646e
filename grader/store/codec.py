"""How chats and scorecards are stored compactly: short JSON documents, zlib with a preset dictionary.

A transcript becomes one document (messages as rows: seconds since the first timed message, sender
number, role letter, text, auto-reply flag, and only the fields that are not the usual); a scorecard
becomes its supervisor view less what the row's columns hold (`grader.scorecard.view`), and its
findings a second document decoded only when asked for.

Documents are deflated with a preset dictionary trained from the first documents a process stores
for a versions key (the same phrases, terms and field names recur in every chat, so each chat costs
only what is its own); dictionaries live in the `dictionaries` table under the hash of their bytes,
and a stored value names the one it was packed with.
"""
from __future__ import annotations

import hashlib
import json
import zlib
from datetime import datetime, timedelta, timezone

from grader.transcript.model import Transcript

ZDICT_BYTES = 32 * 1024  # deflate's window: a longer dictionary is never looked at
TRAIN_DOCS = 48  # documents a dictionary is trained from (fewer when fewer are at hand)
ROLES = {"customer": "c", "agent": "a", "system": "s"}
ROLE_OF = {v: k for k, v in ROLES.items()}


def dumps(doc) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- transcripts --------------------------------------------------------------------------------

def encode_transcript(t: Transcript) -> dict:
    """A compact document of `t`; `decode_transcript` gives it back exactly."""
    timed = [m.time for m in t.messages if m.time is not None]
    base = timed[0] if timed else None
    offset = int(base.utcoffset().total_seconds() // 60) if base else 0
    senders: list[str] = []
    rows = []
    for pos, m in enumerate(t.messages):
        if m.sender not in senders:
            senders.append(m.sender)
        extra = {}
        delta = None
        if m.time is not None:
            d = m.time - base
            delta = d.days * 86400 + d.seconds  # whole seconds (floored); microseconds apart
            if d.microseconds:
                extra["u"] = d.microseconds
            off = int(m.time.utcoffset().total_seconds() // 60)
            if off != offset:
                extra["o"] = off
        if m.index != pos:
            extra["i"] = m.index
        if m.kind != "text":
            extra["k"] = m.kind
        if m.robot is not None:
            extra["r"] = m.robot
        if m.colleague:
            extra["c"] = 1
        if m.source_file != t.source_file:
            extra["f"] = m.source_file
        if m.source_line is not None:
            extra["l"] = m.source_line
        row = [delta, senders.index(m.sender), ROLES[m.role], m.text, int(m.auto_reply)]
        if extra:
            row.append(extra)
        rows.append(row)
    doc = {"p": t.platform, "sh": t.shop, "ag": t.agent, "as": t.agents, "cu": t.customer, "f": t.source_file,
           "l": t.source_line, "n": t.notes, "s": senders, "m": rows}
    if base is not None:
        doc["t0"] = base.astimezone(timezone.utc).replace(tzinfo=None).isoformat()
        doc["o"] = offset
    if t.time_resolution != 1:  # what the reader knew, which grading depends on
        doc["tr"] = t.time_resolution
    if t.next_chat_at is not None:
        doc["nx"] = t.next_chat_at.isoformat()
    if t.part_of is not None:  # one agent's part of a handed-over chat
        doc["po"], doc["sf"], doc["ho"] = t.part_of, t.served_from, t.handed_over_at
    return doc


def decode_transcript(transcript_id: str, doc: dict) -> Transcript:
    base = None
    if "t0" in doc:
        base = datetime.fromisoformat(doc["t0"]).replace(tzinfo=timezone.utc)
    messages = []
    for pos, row in enumerate(doc["m"]):
        delta, sender, role, text, auto = row[:5]
        extra = row[5] if len(row) > 5 else {}
        time = None
        if delta is not None:
            moment = base + timedelta(seconds=delta, microseconds=extra.get("u", 0))
            time = moment.astimezone(timezone(timedelta(minutes=extra.get("o", doc.get("o", 0)))))
        messages.append({"index": extra.get("i", pos), "time": time, "sender": doc["s"][sender],
                         "role": ROLE_OF[role], "text": text, "auto_reply": bool(auto), "kind": extra.get("k", "text"),
                         "robot": extra.get("r"), "colleague": bool(extra.get("c")),
                         "source_file": extra.get("f", doc["f"]), "source_line": extra.get("l")})
    return Transcript.model_validate({"id": transcript_id, "platform": doc["p"], "shop": doc["sh"], "agent": doc["ag"],
                                      "agents": doc["as"], "customer": doc["cu"], "messages": messages,
                                      "source_file": doc["f"], "source_line": doc["l"], "notes": doc["n"],
                                      "time_resolution": doc.get("tr", 1), "next_chat_at": doc.get("nx"),
                                      "part_of": doc.get("po"), "served_from": doc.get("sf"),
                                      "handed_over_at": doc.get("ho")})


# --- packing ------------------------------------------------------------------------------------

def train(docs: list[bytes]) -> bytes:
    """A preset dictionary from sample documents: the last ZDICT_BYTES of them, commonest matter last."""
    return b"".join(docs[:TRAIN_DOCS])[-ZDICT_BYTES:]


def _richer(docs: list[bytes], zdict: bytes) -> bool:
    """Whether `docs` would train a dictionary at least twice as long as `zdict` (not yet full)."""
    return len(zdict) < ZDICT_BYTES and sum(len(d) for d in docs[:TRAIN_DOCS]) >= 2 * max(len(zdict), 1)


def dict_id(zdict: bytes) -> str:
    return hashlib.sha256(zdict).hexdigest()[:16]


_primed: dict[bytes, object] = {}  # dictionary -> a compressor that has taken it in, to copy


def pack(doc: bytes, zdict: bytes | None) -> bytes:
    """Deflate `doc` (level 6: level 9 packs ~1 % smaller and takes ~60 % longer) with preset `zdict`.

    Taking in a 32 KB dictionary costs about as much as compressing a card, so a compressor primed
    with it is kept and copied for each document."""
    if not zdict:
        return zlib.compress(doc, 6)
    primed = _primed.get(zdict)
    if primed is None:
        if len(_primed) > 16:
            _primed.clear()
        primed = _primed[zdict] = zlib.compressobj(6, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, zdict)
    c = primed.copy()
    return c.compress(doc) + c.flush()


def unpack(blob: bytes, zdict: bytes | None) -> bytes:
    if not zdict:
        return zlib.decompress(bytes(blob))
    d = zlib.decompressobj(15, zdict)
    return d.decompress(bytes(blob)) + d.flush()


class Packer:
    """Packs documents of one process, per kind ("card", "findings", "transcript") and versions key.

    `dictionary(kind, vkey, docs)` gives the (id, bytes) to pack with: one this process chose before,
    else one `known` supplies (from the database), else one trained from `docs`. Rows packed with a
    dictionary this process trained carry it (`trained_for`), and the writer stores it, if missing,
    in the transaction that stores them: a dictionary is never lost with a rolled-back batch.
    """

    def __init__(self, known=None):
        self.known = known  # callable (kind, vkey) -> (id, bytes) | None
        self.mine: dict[tuple[str, str], tuple[str, bytes]] = {}
        self.trained: dict[str, tuple[str, str, bytes]] = {}  # id -> (kind, vkey, bytes)

    def dictionary(self, kind: str, vkey: str, docs: list[bytes]) -> tuple[str, bytes]:
        key = (kind, vkey)
        found = self.mine.get(key)
        if found is None and self.known:
            found = self.known(kind, vkey)
        if found is None or _richer(docs, found[1]):  # none yet, or one trained on a few chats only
            zdict = train(docs)
            found = (dict_id(zdict), zdict)
            self.trained[found[0]] = (kind, vkey, zdict)
        self.mine[key] = found
        return found

    def trained_for(self, ids) -> dict[str, tuple[str, str, bytes]]:
        """Of these dictionary ids, those this process trained: id -> (kind, vkey, bytes)."""
        return {i: self.trained[i] for i in set(ids) if i in self.trained}
