"""A graded chat as database rows (compact, `grader.store.codec`) and back.

`chat_rows` turns (transcript, scorecard) pairs into `ChatRows` — made where the chats are graded
(in worker processes), so the writing process only inserts; `card_from_row` and
`transcript_from_row` read either layout (version 2's packed documents, or version 1's JSON).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from grader.dates import day_of
from grader.scorecard.facts import FACTS_VERSION, chat_facts
from grader.scorecard.model import Scorecard, Versions, versions_key
from grader.scorecard.view import card_from_view, card_view, decode_findings, encode_findings, view_json
from grader.store.codec import Packer, dumps, encode_transcript, pack
from grader.store.queue import queue_row
from grader.store.search import search_text
from grader.transcript.model import SHANGHAI, Transcript

# The scorecard fields kept in `scorecards` columns, not in its body.
CARD_COLUMNS = ("transcript_id", "agent", "scenario", "total", "band", "needs_review", "versions_key")


@dataclass
class ChatRows:
    """The rows of one graded chat, and its line of scorecards.jsonl (`view`)."""

    transcript: dict
    card: dict
    items: list[dict]
    view: str
    versions: tuple[str, str]  # (versions key, Versions JSON)
    dictionaries: dict = field(default_factory=dict)  # id -> (kind, vkey, bytes) trained for these rows
    queue: dict = field(default_factory=dict)  # its review_queue row (`grader.store.queue.queue_row`)
    search: str = ""  # the text the review search looks in (`grader.store.search.search_text`)
    facts: dict | None = None  # its `chat_facts` row (`facts_row`), when graded with the lexicons at hand

    @property
    def transcript_id(self) -> str:
        return self.transcript["id"]


def content_hash(transcript: Transcript) -> str:
    payload = [(m.time.isoformat() if m.time else None, m.sender, m.role, m.text, m.auto_reply)
               + ((m.robot or "", m.colleague) if m.robot or m.colleague else ())  # old hashes hold otherwise
               for m in transcript.messages]
    head = [transcript.platform, transcript.shop, transcript.agent, transcript.customer]
    # 128 bits are plenty to tell contents of one chat apart (version 1 stored all 256; see migrate)
    return hashlib.sha256(json.dumps([head, payload], ensure_ascii=False).encode()).hexdigest()[:32]


TRANSCRIPT_KEY = "-"  # transcripts are packed alike whatever graded them: one dictionary key


def card_docs(card: Scorecard, vkey: str) -> tuple[str, bytes, bytes | None]:
    """(scorecards.jsonl line, body document, findings document or None) of a scorecard."""
    view = card_view(card, vkey)
    body = view_json({k: v for k, v in view.items() if k not in CARD_COLUMNS})
    found = encode_findings(card)
    return _line(view, body), body.encode("utf-8"), dumps(found) if found is not None else None


def _line(view: dict, body: str) -> str:
    """The view's JSON line: its columns, then the body's fields (one serialization of the body)."""
    head = view_json({k: view[k] for k in CARD_COLUMNS})
    return head[:-1] + "," + body[1:] if body != "{}" else head


def pack_cards(docs: list[tuple[str, bytes, bytes | None]], packer: Packer) -> list[dict]:
    """The packed columns (body, findings, dict ids) of (versions key, body, findings) documents."""
    dicts = {}
    for vkey in dict.fromkeys(d[0] for d in docs):
        same = [d for d in docs if d[0] == vkey]
        dicts[vkey] = (packer.dictionary("card", vkey, [d[1] for d in same]),
                       packer.dictionary("findings", vkey, [d[2] for d in same if d[2]]))
    out = []
    for vkey, body, findings in docs:
        (cid, cdict), (fid, fdict) = dicts[vkey]
        out.append(dict(body=pack(body, cdict), findings=pack(findings, fdict) if findings is not None else None,
                        dict_id=cid, findings_dict_id=fid if findings is not None else None))
    return out


def pack_transcripts(transcripts: list[Transcript], packer: Packer) -> list[dict]:
    """The packed columns (body, dict_id) of transcripts."""
    docs = [dumps(encode_transcript(t)) for t in transcripts]
    if not docs:
        return []
    tid, tdict = packer.dictionary("transcript", TRANSCRIPT_KEY, docs)
    return [dict(body=pack(d, tdict), dict_id=tid) for d in docs]


def chat_rows(pairs: list[tuple[Transcript, Scorecard]], packer: Packer, tz=SHANGHAI,
              hashes: list[str] | None = None, lexicons=None) -> list[ChatRows]:
    """Rows of each (transcript, scorecard), packed with dictionaries `packer` gives (trained on these
    chats when there is none yet for their versions key). `tz` names "the day" stored. With the
    `lexicons` the chats were graded with, their month facts too (`facts_row`)."""
    if not pairs:
        return []
    vkeys: dict[int, str] = {}
    dumped: dict[int, str] = {}  # Versions JSON by id: a batch's cards share one Versions
    docs = []
    for t, card in pairs:
        vkey = vkeys.setdefault(id(card.versions), versions_key(card.versions))
        docs.append((vkey, *card_docs(card, vkey)))
    packed = pack_cards([(vkey, body, found) for vkey, _, body, found in docs], packer)
    packed_t = pack_transcripts([t for t, _ in pairs], packer)
    out = []
    for n, ((t, card), (vkey, view, _, _)) in enumerate(zip(pairs, docs)):
        found_day = day_of(card.started_at, tz)
        day = found_day.isoformat() if found_day else None
        chash = hashes[n] if hashes else content_hash(t)
        transcript_row = dict(id=t.id, platform=t.platform, shop=t.shop, agent=card.agent, customer=t.customer,
                              started_at=card.started_at.isoformat() if card.started_at else None, day=day,
                              source_file=t.source_file, content_hash=chash, content=None, **packed_t[n])
        card_row = dict(transcript_id=t.id, content_hash=chash, versions_key=vkey, current=True, day=day,
                        agent=card.agent, scenario=card.scenario, total=card.total, band=card.band,
                        needs_review=card.needs_review, json="", **packed[n])
        items = [dict(item_id=i.id, score=i.score, max=i.max, confidence=i.confidence, needs_review=i.needs_review,
                      not_applicable=i.not_applicable) for i in card.items]
        if id(card.versions) not in dumped:
            dumped[id(card.versions)] = card.versions.model_dump_json()
        out.append(ChatRows(transcript_row, card_row, items, view, (vkey, dumped[id(card.versions)]),
                            queue=queue_row(card), search=search_text(t),
                            facts=facts_row(t, card, lexicons, tz) if lexicons is not None else None))
    used = [r.card["dict_id"] for r in out] + [r.card["findings_dict_id"] for r in out] + [out[0].transcript["dict_id"]]
    out[0].dictionaries = packer.trained_for(used)
    return out


def facts_row(transcript: Transcript, card: Scorecard, lexicons, tz=SHANGHAI, scorecard_id: int | None = None) -> dict:
    """The `chat_facts` row of a graded chat (`grader.scorecard.facts.chat_facts`, graded with
    `lexicons`), its month the local one in `tz`; `scorecard_id` None: set when its card is stored."""
    doc = chat_facts(transcript, card, lexicons)
    local = card.started_at.astimezone(tz) if card.started_at else None
    return dict(transcript_id=card.transcript_id, month=local.strftime("%Y-%m") if local else "",
                agent=card.agent or "（未知）", scorecard_id=scorecard_id, revision=0, basis=FACTS_VERSION,
                facts=json.dumps(doc, ensure_ascii=False, separators=(",", ":")))


def card_from_parts(columns: dict, body: dict, versions: Versions, findings: list | None) -> Scorecard:
    """A Scorecard from its row's columns, unpacked body, versions and (optionally) findings rows."""
    view = {**{k: columns[k] for k in CARD_COLUMNS}, **body}
    found = decode_findings(findings, view, versions) if findings is not None else None
    return card_from_view(_ordered(view), versions, found)


def view_from_parts(columns: dict, body: bytes) -> str:
    """The scorecards.jsonl line of a stored card, from its columns and unpacked body."""
    return _line({k: columns[k] for k in CARD_COLUMNS}, body.decode("utf-8"))


_ORDER = ("transcript_id", "platform", "shop", "agent", "customer", "started_at", "scenario", "scenario_label",
          "scenario_confidence", "total", "band", "needs_review", "items", "metrics", "notes", "source_file",
          "learned", "red_lines", "versions_key")


def _ordered(view: dict) -> dict:
    return {k: view[k] for k in _ORDER if k in view}
