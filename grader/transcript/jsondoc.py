"""JSON documents: a whole file that is one JSON value, pretty-printed or not.

- one chat in the canonical form (`{"id": …, "messages": […]}`, as in JSONL) or an array of them;
- a browser exporter's per-buyer document: `{"user": "tb123", "chats": [{"date": "2023-03-08",
  "time": "20:11:05", "sender": "…", "text": "…", "imgUrl": ""}, …]}` (also `messages`/`records`
  for the list, `content` for the text, `time` holding the date too). These records are read like
  Qianniu text: notices, roles (the `user` is the buyer, every other sender the shop), chats split
  at an idle gap.

Anything else is set aside once, with a reason naming what the document holds.
"""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Iterator

from grader.transcript.encoding import UNDECODABLE
from grader.transcript.jsonl import _Bad, transcript_from_dict
from grader.transcript.model import Transcript
from grader.transcript.parsing import BadTime, join_date_time, parse_time, time_resolution
from grader.transcript.permessage import envelope_records, group_records
from grader.transcript.qianniu import chats_from_records
from grader.transcript.reader_types import SetAside

MAX_BYTES = 256 * 1024 * 1024
_RECORD_LISTS = ("chats", "records", "messages", "msgs", "list", "data")  # jsonl.RECORD_LISTS on one line
_BUYER_KEYS = ("user", "buyer", "customer", "nick", "buyerNick")


def parse_json_document(path: Path, file: str, encoding: str, session_gap: timedelta | None = None
                        ) -> Iterator[Transcript | SetAside]:
    """Transcripts and set-asides of a JSON document file."""
    if path.stat().st_size > MAX_BYTES:
        yield SetAside(file=file, line=None, reason=f"JSON 文档超过 {MAX_BYTES // 2**20} MB，请改用每行一条会话的 "
                                                    "JSONL (JSON document too large)")
        return
    text = path.read_text(encoding=encoding, errors="grader-undecodable").lstrip("\ufeff")
    if UNDECODABLE in text:
        yield SetAside(file=file, line=None, reason="文件里有无法解码的字节（文件编码不一致？）(undecodable bytes)")
        return
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        yield SetAside(file=file, line=exc.lineno, span=(1, text.count("\n") + 1),
                       reason=f"JSON 文档格式错误，第 {exc.lineno} 行第 {exc.colno} 个字符附近：{exc.msg} (broken JSON)")
        return
    except RecursionError:
        yield SetAside(file=file, line=None, reason="JSON 嵌套层数太深，不是聊天记录 (JSON nested too deep)")
        return
    envelope = envelope_records(doc)
    if envelope is not None:  # a per-message export: records grouped into chats
        yield from group_records(envelope[0], ((None, r) for r in envelope[1]), file, session_gap)
        return
    if isinstance(doc, list) and doc and not any(_chat_like(x) for x in doc):
        yield SetAside(file=file, line=None, reason=_not_understood(doc))
        return
    chats = doc if isinstance(doc, list) else [doc]
    for position, chat in enumerate(chats, 1):
        where = f"第 {position} 个会话：" if isinstance(doc, list) else ""
        try:
            items = list(_chat(chat, file, session_gap))
        except _Bad as bad:
            items = [SetAside(file=file, line=None, reason=where + bad.reason, transcript_id=bad.transcript_id)]
        except Exception as exc:  # noqa: BLE001 — one odd chat never stops the document
            items = [SetAside(file=file, line=None,
                              reason=f"{where}读不懂：{type(exc).__name__}: {str(exc)[:200]} (unreadable chat)")]
        yield from items


def _chat_like(item: object) -> bool:
    """Whether an array element can be a chat: a canonical one or an exporter's per-buyer document."""
    return isinstance(item, dict) and (isinstance(item.get("messages"), list) or isinstance(item.get("turns"), list)
                                       or any(isinstance(item.get(k), list) for k in _RECORD_LISTS))


def _not_understood(doc: list) -> str:
    """The reason an array of objects that are neither chats nor known records is set aside once."""
    first = next((x for x in doc if isinstance(x, dict)), None)
    what = (f"字段：{'、'.join(sorted(map(str, first))[:8])}" if first is not None
            else f"元素是 {type(doc[0]).__name__}")
    return (f"JSON 数组里的 {len(doc)} 个元素不是会话，也不是认得的逐条消息（{what}；认得：企业微信会话存档、"
            "微信客服 sync_msg、抖店飞鸽、拼多多 chat/list、京麦 queryChatLog），整个文件搁置 (unknown JSON layout)")


def document_chats(doc: dict, file: str, line: int | None = None, session_gap: timedelta | None = None
                   ) -> Iterator[Transcript | SetAside]:
    """The chats of one parsed document (a dict), or one set-aside (at `line`) saying why not."""
    try:
        yield from _chat(doc, file, session_gap)
    except _Bad as bad:
        yield SetAside(file=file, line=line, reason=bad.reason, transcript_id=bad.transcript_id)


def _chat(chat: object, file: str, session_gap: timedelta | None) -> Iterator[Transcript | SetAside]:
    if not isinstance(chat, dict):
        raise _Bad(f"不是 JSON 对象，而是 {type(chat).__name__} (unknown JSON layout)")
    records = next((chat[k] for k in _RECORD_LISTS if isinstance(chat.get(k), list)), None)
    if isinstance(chat.get("messages"), list) and all(isinstance(m, dict) and "role" in m for m in chat["messages"]):
        yield transcript_from_dict(chat, file, None)
        return
    if records is None or not records:
        keys = "、".join(list(chat)[:8]) or "（空）"
        raise _Bad(f"JSON 文档的结构看不懂：没有消息列表（顶层字段：{keys}）(unknown JSON layout)")
    buyer = next((str(chat[k]) for k in _BUYER_KEYS if isinstance(chat.get(k), (str, int)) and chat.get(k) != ""),
                 None)
    yield from chats_from_records(_records(records), file, buyer, session_gap)


def _records(records: list) -> Iterator[tuple[str, object, int, str]]:
    for position, raw in enumerate(records, 1):
        where = f"第 {position} 条消息"
        if not isinstance(raw, dict):
            raise _Bad(f"{where}不是 JSON 对象 (message is not an object)")
        raw_time = raw.get("time", raw.get("timestamp"))
        if raw.get("date") not in (None, ""):
            raw_time = join_date_time(raw["date"], raw_time)
        try:
            time = parse_time(raw_time)
        except BadTime as exc:
            raise _Bad(f"{where}{exc}") from None
        sender = raw.get("sender", raw.get("from", raw.get("nick")))
        if sender in (None, ""):
            raise _Bad(f"{where}没有发送人 (no sender)")
        text = raw.get("text", raw.get("content"))
        text = "" if text is None else str(text)
        if raw.get("imgUrl") or raw.get("image"):
            text = (text + "\n[图片]").strip()
        yield str(sender), time, time_resolution(raw_time), text
