"""Qianniu (千牛) client chat-record export, plain text.

    店铺:小美 2026-11-22 10:00:02
    【自动回复】您好，欢迎光临
    已读
    tb12345678 2026-11-22 10:00:09
    在吗
    第二行也属于这条消息
    由 服务助手 转交给 店铺:小王
    --------------------------------

A message is a header line `昵称 YYYY-M-D H:MM:SS` (leading zeros optional, the space before the
date optional) followed by its content lines. Status lines (已读/未读/发送中) are dropped.
Lines matching a pattern of qianniu_notices.txt become system messages, timed like the message
before them, or like the next message when they open a chat. A chat starts at a separator line
(dashes or =) or when more than 24 hours pass between two messages.

Roles: an account `店铺名:子账号` is the shop's (agent), so is the bare shop name and any account
named in a transfer notice; `系统消息` is the system; anyone else is the buyer.
The transcript id is stable: "qn-" + a hash of shop, buyer and first message time.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Iterable, Iterator

from grader.transcript.encoding import UNDECODABLE
from grader.transcript.model import SHANGHAI, Message, Transcript
from grader.transcript.parsing import AUTO_PREFIX, match_notice, message
from grader.transcript.reader_types import SetAside

HEADER = re.compile(
    r"^(?P<nick>\S.*?)\s*(?P<y>20\d\d)[-/](?P<mo>\d{1,2})[-/](?P<d>\d{1,2})\s+"
    r"(?P<h>\d{1,2}):(?P<mi>\d{1,2}):(?P<s>\d{1,2})\s*$"
)
SEPARATOR = re.compile(r"^\s*(?:-{3,}|={3,}|—{3,}).*$")
STATUS = re.compile(r"^\s*[\[【(（]?(?:已读|未读|发送中|发送失败|对方已读)[\]】)）]?\s*$")
SYSTEM_NICKS = {"系统消息", "系统", "system", "系统通知"}
GAP = timedelta(hours=24)


def is_header(line: str) -> bool:
    return HEADER.match(line) is not None


class _Item:
    """A message or a notice while a chat is being collected."""

    __slots__ = ("nick", "time", "line", "lines", "notice_kind", "names")

    def __init__(self, nick, time, line, lines, notice_kind=None, names=()):
        self.nick = nick
        self.time = time
        self.line = line
        self.lines = lines
        self.notice_kind = notice_kind
        self.names = names


class _Chat:
    def __init__(self, line: int):
        self.line = line
        self.items: list[_Item] = []
        self.last_time: datetime | None = None
        self.error: tuple[int, str] | None = None
        self.preamble: list[int] = []
        self.current: _Item | None = None  # the message whose content lines we are reading

    def fail(self, line: int, reason: str) -> None:
        if self.error is None:
            self.error = (line, reason)


def parse_qianniu(lines: Iterable[tuple[int, str]], file: str) -> Iterator[Transcript | SetAside]:
    chat: _Chat | None = None
    shops: list[str] = []  # the shop seen so far in this file, for chats where only the buyer speaks
    for number, line in lines:
        if chat is None:
            chat = _Chat(number)
        if UNDECODABLE in line:
            chat.fail(number, "这一行有无法解码的字节（文件编码不一致？）(undecodable bytes)")
            continue
        m = HEADER.match(line)
        if m:
            try:
                time = datetime(int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"]), int(m["mi"]),
                                int(m["s"]), tzinfo=SHANGHAI)
            except ValueError:
                chat.fail(number, f"时间无法解析：{line.strip()!r} (unparseable time)")
                time = None
            if time is not None and chat.last_time is not None and time - chat.last_time > GAP:
                yield from _finish(chat, file, shops)
                chat = _Chat(number)
            if time is not None:
                chat.last_time = time
            item = _Item(m["nick"].strip(), time, number, [])
            chat.items.append(item)
            chat.current = item
            continue
        if SEPARATOR.match(line):
            yield from _finish(chat, file, shops)
            chat = None
            continue
        if STATUS.match(line):
            continue
        found = match_notice(line)
        if found:
            notice, groups = found
            names = tuple(v.strip() for k, v in groups.groupdict().items()
                          if v and k in ("source", "target"))
            chat.items.append(_Item("system", None, number, [line.strip()], notice.kind, names))
            continue
        if chat.current is not None:
            chat.current.lines.append(line)
        elif line.strip():
            chat.preamble.append(number)
    if chat is not None:
        yield from _finish(chat, file, shops)


def _finish(chat: _Chat, file: str, shops: list[str]) -> Iterator[Transcript | SetAside]:
    messages_items = [it for it in chat.items if it.notice_kind is None]
    if not chat.items and chat.error is None:
        return  # blank space or a title between separators
    if chat.error is not None:
        line, reason = chat.error
        yield SetAside(file=file, line=line, reason=reason)
        return
    if not messages_items:
        yield SetAside(file=file, line=chat.items[0].line,
                       reason="这段会话没有任何带时间的消息，只有系统提示 (no messages)")
        return

    # Who is the shop: sub-accounts "店铺:子账号", their bare shop name, accounts in transfers.
    agents: set[str] = set()
    shop = None
    for it in chat.items:
        if it.notice_kind is None:
            head, sep, _ = it.nick.replace("：", ":").partition(":")
            if sep:
                agents.add(it.nick)
                if shop is None:
                    shop = head
        agents.update(it.names)
    if shop:
        agents.add(shop)
        shops[:] = [shop]
    elif shops:
        shop = shops[0]
        agents.add(shop)

    # Notices take the time of the message before them, or of the next one at the start.
    next_time = None
    for it in reversed(chat.items):
        if it.notice_kind is None:
            next_time = it.time
        elif next_time is not None:
            it.time = next_time
    prev_time = None
    for it in chat.items:
        if it.notice_kind is None:
            prev_time = it.time
        elif prev_time is not None:
            it.time = prev_time

    messages: list[Message] = []
    buyer = None
    for it in chat.items:
        if it.notice_kind is not None:
            messages.append(message(time=it.time, sender="system", role="system", text=it.lines[0],
                                    kind=it.notice_kind, source_file=file, source_line=it.line))
            continue
        text = "\n".join(it.lines).strip("\r\n ")
        if it.nick in agents:
            role = "agent"
        elif it.nick in SYSTEM_NICKS:
            role = "system"
        else:
            role = "customer"
            if buyer is None:
                buyer = it.nick
        auto = False
        if role == "agent":
            prefix = AUTO_PREFIX.match(text)
            if prefix:
                auto = True
                text = text[prefix.end():]
        kind = "notice" if role == "system" else "text"
        messages.append(message(time=it.time, sender=it.nick, role=role, text=text, auto_reply=auto,
                                kind=kind, source_file=file, source_line=it.line))

    first = min(m.time for m in messages)
    transcript = Transcript.model_construct(
        id=transcript_id(shop, buyer, first), platform="taobao", shop=shop, agent=None, agents=[],
        customer=buyer, messages=messages, source_file=file, source_line=chat.items[0].line, notes=[])
    if chat.preamble:
        transcript.notes.append(
            f"会话开头有 {len(chat.preamble)} 行不属于任何消息的文字（第 {chat.preamble[0]} 行起），未计入")
    yield transcript.normalize()


def transcript_id(shop: str | None, buyer: str | None, first: datetime) -> str:
    """Stable id of a Qianniu chat: same shop, buyer and first message time → same id."""
    key = f"{shop or ''}|{buyer or ''}|{first.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"
    return "qn-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
