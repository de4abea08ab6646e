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
from grader.transcript.permessage import envelope_records, group_records, record_layout
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


class _PerMessage(Exception):
    """The line holds records of a per-message export (one, or an API response's list)."""

    def __init__(self, layout: str, records: list):
        super().__init__(layout)
        self.layout = layout
        self.records = records


class _Unknown(Exception):
    """The line is a JSON object of a layout not understood; `signature` is its field names."""

    def __init__(self, signature: tuple[str, ...]):
        super().__init__("unknown")
        self.signature = signature


class _Records(Exception):
    """The line is an exporter's per-buyer document, not a canonical transcript."""

    def __init__(self, data: dict):
        super().__init__("records")
        self.data = data


def parse_jsonl(lines: Iterable[tuple[int, str]], file: str, session_gap: timedelta | None = None
                ) -> Iterator[Transcript | SetAside]:
    """Transcripts and set-asides, one per non-blank line, in file order (an exporter's per-buyer
    document on a line may give several chats, split at `session_gap`)."""
    held = _Held()
    for number, line in lines:
        if not line.strip():
            continue
        try:
            items = [transcript_from_json(line, file, number)]
        except _Records as records:  # an exporter's per-buyer document on one line
            items = _document_line(records.data, file, number, session_gap)
        except _PerMessage as record:  # one message of a per-message export: grouped at the end
            held.records.setdefault(record.layout, []).extend((number, r) for r in record.records)
            continue
        except _Unknown as unknown:
            held.unknown.setdefault(unknown.signature, []).append(number)
            continue
        except _Bad as bad:
            items = [SetAside(file=file, line=number, reason=bad.reason, transcript_id=bad.transcript_id)]
        except Exception as exc:  # noqa: BLE001 — one odd line never stops the file
            items = [_unreadable(file, number, exc)]
        yield from items
    yield from held.finish(file, session_gap)


class _Held:
    """Lines read whole only at the end of the file: per-message records (grouped into chats)
    and objects of a layout not understood (set aside once per kind, naming their fields)."""

    def __init__(self):
        self.records: dict[str, list] = {}
        self.unknown: dict[tuple[str, ...], list[int]] = {}

    def finish(self, file: str, session_gap: timedelta | None) -> Iterator[Transcript | SetAside]:
        for layout, records in self.records.items():
            yield from group_records(layout, records, file, session_gap)
        for signature, numbers in self.unknown.items():
            fields = "、".join(signature) or "（空）"
            if len(numbers) == 1:
                reason = f"缺少 messages 字段，也不是认得的逐条消息记录（字段：{fields}）(no messages)"
            else:
                reason = (f"{len(numbers)} 行是同一种看不懂的记录（字段：{fields}），不是会话也不是认得的逐条消息"
                          "（企业微信、微信客服、飞鸽、拼多多、京麦），整批搁置 (unknown per-message layout)")
            yield SetAside(file=file, line=numbers[0], reason=reason,
                           span=(numbers[0], numbers[-1]) if len(numbers) > 1 else None)


def _unreadable(file: str, number: int, exc: Exception) -> SetAside:
    return SetAside(file=file, line=number,
                    reason=f"这一行读不懂：{type(exc).__name__}: {str(exc)[:200]} (unreadable line)")


def _document_line(data: dict, file: str, number: int, session_gap: timedelta | None) -> list:
    """The chats of an exporter's document on one line, or one set-aside for the line."""
    from grader.transcript.jsondoc import document_chats
    try:
        return list(document_chats(data, file, number, session_gap))
    except Exception as exc:  # noqa: BLE001 — one odd line never stops the file
        return [_unreadable(file, number, exc)]


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
    """One canonical chat object (`id`, `messages` or `turns`, ...) as a Transcript; `file` and line
    `number` say where it was read. Raises _Bad (set aside with the reason) or _Records (a
    per-message export)."""
    raw_id = data.get("id", data.get("transcript_id"))
    tid = str(raw_id) if raw_id not in (None, "") else None
    raw_messages = _raw_messages(data, tid)
    customer = _text_or_none(data.get("customer"))
    agent = _text_or_none(data.get("agent"))
    messages = []
    resolution = 1
    for position, raw in enumerate(raw_messages, 1):
        msg, step = _message_of(raw, f"第 {position} 条消息", customer, agent, file, number, tid)
        messages.append(msg)
        resolution = max(resolution, step)
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


def _raw_messages(data: dict, tid: str | None) -> list:
    """The chat's message objects (`messages`, or `turns` as JDDC-style corpora call them). Raises
    _PerMessage or _Records for a per-message export, _Unknown for a layout not understood, _Bad."""
    raw_messages = data.get("messages")
    if raw_messages is None:
        raw_messages = data.get("turns")
    if raw_messages is None or (isinstance(raw_messages, list) and raw_messages and record_layout(raw_messages[0])):
        layout = record_layout(data)
        if layout is not None:
            raise _PerMessage(layout, [data])
        envelope = envelope_records(data)
        if envelope is not None:
            raise _PerMessage(*envelope)
        if any(isinstance(data.get(k), list) for k in RECORD_LISTS):
            raise _Records(data)
        if tid is None:
            raise _Unknown(tuple(sorted(str(k) for k in data)[:8]))
        raise _Bad("缺少 messages 字段 (no messages)", tid)
    if not isinstance(raw_messages, list):
        raise _Bad("messages 不是列表 (messages must be a list)", tid)
    if not raw_messages:
        raise _Bad("会话没有任何消息 (no messages)", tid)
    return raw_messages


def _message_of(raw, where: str, customer: str | None, agent: str | None, file: str, number: int | None,
                tid: str | None):
    """(Message, time resolution in seconds) of one message object; `where` names it in reasons."""
    if not isinstance(raw, dict):
        raise _Bad(f"{where}不是 JSON 对象 (message is not an object)", tid)
    raw_time = join_date_time(raw["date"], raw.get("time")) if "date" in raw else raw.get("time")
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
    role = _role_of(raw, sender, customer, agent, where, tid)
    if sender is None:
        sender = {"customer": customer, "agent": agent}.get(role) or role
    try:
        auto = yes_no(raw.get("auto_reply"))
        robot = robot_value(raw.get("robot")) or robot_role(str(raw.get("role") or ""))
    except ValueError as exc:
        raise _Bad(f"{where}{exc}", tid) from None
    kind = raw.get("kind") or (system_kind(text) if role == "system" else "text")
    return (message(time=time, sender=sender, role=role, text=text, auto_reply=auto, kind=str(kind),
                    source_file=file, source_line=number, robot=robot), time_resolution(raw_time))


def _role_of(raw: dict, sender: str | None, customer: str | None, agent: str | None, where: str,
             tid: str | None) -> str:
    """The message's role: its `role` word, else who sent it (the chat's customer or agent, 系统)."""
    role = role_word(raw.get("role"))
    if role is None and raw.get("role") not in (None, ""):
        raise _Bad(f"{where}的角色看不懂：{raw.get('role')!r}（应为 customer/agent/system）", tid)
    if role is not None:
        return role
    if sender is not None and sender == customer:
        return "customer"
    if sender is not None and sender == agent:
        return "agent"
    if sender in ("system", "系统"):
        return "system"
    raise _Bad(f"{where}缺少 role，发送人也不是会话的 customer/agent (no role)", tid)


def _text_or_none(value: object) -> str | None:
    return None if value in (None, "") else str(value)
