"""Canonical JSONL: one transcript per line.

    {"id": "...", "platform": "taobao", "shop": "...", "agent": "店铺:小美", "customer": "tb123",
     "messages": [{"time": "2026-11-22 10:00:01", "sender": "tb123", "role": "customer",
                   "text": "在吗", "auto_reply": false}, ...]}

`role` may be left out when `sender` is the transcript's `customer` or `agent` (or "system").
`auto_reply` defaults to false; a robot's message (店小蜜, 智能客服) has `role` "robot"/机器人 or
`robot` true/"full"/"assist" (it is an agent's auto-reply, see robots.py); a system message's `kind` is derived from its text unless given.
A line that cannot be read becomes a SetAside with its line number and a reason.
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Iterable, Iterator

from grader.transcript.encoding import UNDECODABLE
from grader.transcript.model import Transcript
from grader.transcript.parsing import (BadTime, join_date_time, message, parse_time, role_word, shop_of,
                                      system_kind, time_resolution, yes_no)
from grader.transcript.platforms import platform_of
from grader.transcript.reader_types import SetAside
from grader.transcript.robots import robot_role, robot_value

_loads = json.loads


class _Bad(Exception):
    def __init__(self, reason: str, transcript_id: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.transcript_id = transcript_id


# Where an exporter's per-buyer document keeps its records (see jsondoc).
RECORD_LISTS = ("chats", "records", "msgs")


class _Records(Exception):
    """The line is an exporter's per-buyer document, not a canonical transcript."""

    def __init__(self, data: dict):
        super().__init__("records")
        self.data = data


def parse_jsonl(lines: Iterable[tuple[int, str]], file: str, session_gap: timedelta | None = None
                ) -> Iterator[Transcript | SetAside]:
    """Transcripts and set-asides, one per non-blank line, in file order (an exporter's per-buyer
    document on a line may give several chats, split at `session_gap`)."""
    for number, line in lines:
        if not line.strip():
            continue
        try:
            item = transcript_from_json(line, file, number)
        except _Records as records:  # an exporter's per-buyer document on one line
            from grader.transcript.jsondoc import document_chats
            yield from document_chats(records.data, file, number, session_gap)
            continue
        except _Bad as bad:
            item = SetAside(file=file, line=number, reason=bad.reason, transcript_id=bad.transcript_id)
        except Exception as exc:  # noqa: BLE001 — one odd line never stops the file
            item = SetAside(file=file, line=number,
                            reason=f"这一行读不懂：{type(exc).__name__}: {str(exc)[:200]} (unreadable line)")
        yield item


def transcript_from_json(line: str, file: str, number: int) -> Transcript:
    if UNDECODABLE in line:
        raise _Bad("这一行有无法解码的字节（文件编码不一致？）(undecodable bytes)")
    try:
        data = _loads(line)
    except json.JSONDecodeError as exc:
        raise _Bad(f"JSON 格式错误，第 {exc.colno} 个字符附近：{exc.msg} (broken JSON)") from None
    except RecursionError:
        raise _Bad("JSON 嵌套层数太深，不是一条会话 (JSON nested too deep)") from None
    if not isinstance(data, dict):
        raise _Bad("这一行不是一个 JSON 对象（应为一条会话）(not a JSON object)")
    return transcript_from_dict(data, file, number)


def transcript_from_dict(data: dict, file: str, number: int | None) -> Transcript:
    raw_id = data.get("id", data.get("transcript_id"))
    tid = str(raw_id) if raw_id not in (None, "") else None
    raw_messages = data.get("messages")
    if raw_messages is None:
        raw_messages = data.get("turns")  # JDDC-style corpora call them turns
    if raw_messages is None:
        if any(isinstance(data.get(k), list) for k in RECORD_LISTS):
            raise _Records(data)
        raise _Bad("缺少 messages 字段 (no messages)", tid)
    if not isinstance(raw_messages, list):
        raise _Bad("messages 不是列表 (messages must be a list)", tid)
    if not raw_messages:
        raise _Bad("会话没有任何消息 (no messages)", tid)
    customer = _text_or_none(data.get("customer"))
    agent = _text_or_none(data.get("agent"))
    messages = []
    resolution = 1
    for position, raw in enumerate(raw_messages, 1):
        where = f"第 {position} 条消息"
        if not isinstance(raw, dict):
            raise _Bad(f"{where}不是 JSON 对象 (message is not an object)", tid)
        raw_time = join_date_time(raw["date"], raw.get("time")) if "date" in raw else raw.get("time")
        resolution = max(resolution, time_resolution(raw_time))
        try:
            time = parse_time(raw_time)
        except BadTime as exc:
            raise _Bad(f"{where}{exc}", tid) from None
        text = raw.get("text")
        if text is None:
            text = raw.get("content")
        if not isinstance(text, str):
            raise _Bad(f"{where}没有文字内容 text (no text)", tid)
        sender = raw.get("sender")
        sender = str(sender) if sender not in (None, "") else None
        role = role_word(raw.get("role"))
        if role is None and raw.get("role") not in (None, ""):
            raise _Bad(f"{where}的角色看不懂：{raw.get('role')!r}（应为 customer/agent/system）", tid)
        if role is None:
            if sender is not None and sender == customer:
                role = "customer"
            elif sender is not None and sender == agent:
                role = "agent"
            elif sender in ("system", "系统"):
                role = "system"
            else:
                raise _Bad(f"{where}缺少 role，发送人也不是会话的 customer/agent (no role)", tid)
        if sender is None:
            sender = {"customer": customer, "agent": agent}.get(role) or role
        try:
            auto = yes_no(raw.get("auto_reply"))
            robot = robot_value(raw.get("robot")) or robot_role(str(raw.get("role") or ""))
        except ValueError as exc:
            raise _Bad(f"{where}{exc}", tid) from None
        kind = raw.get("kind") or (system_kind(text) if role == "system" else "text")
        messages.append(message(time=time, sender=sender, role=role, text=text, auto_reply=auto,
                                kind=str(kind), source_file=file, source_line=number, robot=robot))
    if tid is None:
        tid = f"{file}:{number}"
    notes = data.get("notes")
    transcript = Transcript.model_construct(
        id=tid, platform=platform_of(str(data.get("platform") or ""), file, [customer]), shop=_text_or_none(data.get("shop")),
        agent=agent, agents=[], customer=customer, messages=messages, source_file=file,
        source_line=number, notes=[str(n) for n in notes] if isinstance(notes, list) else [],
        time_resolution=resolution)
    if raw_id in (None, ""):
        transcript.notes.append("原文件没有会话 id，已用文件名和行号代替")
    transcript.normalize()
    if not transcript.shop:  # no shop field: take it from a sub-account "店铺名:子账号"
        transcript.shop = shop_of(transcript.agent, *transcript.agents)
    return transcript


def _text_or_none(value: object) -> str | None:
    return None if value in (None, "") else str(value)
