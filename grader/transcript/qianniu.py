"""Qianniu (千牛) client chat records, plain text (exported, or copied out of the chat window).

    店铺:小美 2026-11-22 10:00:02            a one-line header: nickname, then the time
    【自动回复】您好，欢迎光临
    已读
    tb12345678                              a two-line header: the nickname on its own line,
    2026-11-22 10:00:09                     the time on the next (copied out of the window)
    在吗
    第二行也属于这条消息
    由 服务助手 转交给 店铺:小王
    --------------------------------

Headers: `昵称 YYYY-M-D H:MM[:SS]` (leading zeros optional, the space before the date optional,
- / . or 年月日 between date parts), `昵称(YYYY-MM-DD HH:MM:SS):` with round brackets, and the
two-line form; these may be mixed in one file. A file whose first header puts the time first
(`YYYY-MM-DD HH:MM:SS 昵称`, as QQ-style copy tools write) is read with time-first headers only. A time without seconds is minute-precise
(`Transcript.time_resolution` 60). Status lines (已读/未读/发送中) are dropped.

Notices: a line matching a pattern of qianniu_notices.txt becomes a system message of that kind,
timed like the message before it (or the next message when it opens a chat); under a header of
its own it keeps that header's time and is not credited to the header's speaker. The lines that
follow a notice before the next header (the product card a "当前用户来自…" notice brings: title,
¥ price, link) become a system message of kind "card", never part of the previous message.

Where a chat ends: at a separator line (dashes or =); when nobody writes for longer than the
session gap (default SESSION_GAP, 2 h) while no customer message waits for a human reply (Qianniu
closes idle sessions, and a buyer who comes back later starts a new one; a night message answered
next morning stays one chat); and always after MAX_GAP (24 h) of silence. Only the buyer's return
starts a chat: the shop's follow-up after a gap (a promised call-back) stays in the chat it follows
up. Opening notices and cards just before the returning buyer's message go with the new chat.

Roles come from who the speaker is in the chat, not from a colon alone (a buyer's nickname may
hold one too): the shop is the name before the colon of the shop's sub-accounts "店铺名:子账号",
recognised by the shop already seen in the file, auto-replies 【自动回复】, accounts named in
transfer notices, several sub-accounts sharing it, and — all else equal — by not being the one who
opened the chat. Its sub-accounts, the bare shop name and transferred-to accounts are agents;
`系统消息` is the system; everyone else is a buyer. Buyers one after another without a separator
are chats of their own; a chat where the shop stays ambiguous, or where two buyers' messages
interleave (an agent account not recognised), is set aside with the reason.

The transcript id is stable: "qn-" + a hash of shop, buyer and first message time.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Iterable, Iterator

from grader.transcript.encoding import UNDECODABLE
from grader.transcript.model import SHANGHAI, Message, Transcript
from grader.transcript.parsing import AUTO_PREFIX, BadTime, check_time, match_notice, message
from grader.transcript.reader_types import SetAside
from grader.transcript.robots import robot_marker, robot_sender

_STAMP = (r"(?P<y>20\d\d)\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?\s+"
          r"(?P<h>\d{1,2}):(?P<mi>\d{1,2})(?::(?P<s>\d{1,2}))?")
HEADER = re.compile(rf"^(?P<nick>\S.*?)\s*{_STAMP}\s*$")
HEADER_BRACKETED = re.compile(rf"^(?P<nick>\S.*?)\s*[(（]\s*{_STAMP}\s*[)）]\s*[:：]?\s*$")
BARE_TIME = re.compile(rf"^\s*{_STAMP}\s*$")
TIME_FIRST = re.compile(rf"^\s*{_STAMP}\s+(?P<nick>\S.*?)\s*$")  # QQ-style copies: time, then nickname
# Not our headers, but shaped like them: a date in another order or another century (see _doubtful_header).
DOUBTFUL_HEADER = re.compile(r"^(?P<nick>\S.*?)?\s*[(（]?\s*(?P<date>\d{1,4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,4}日?)"
                             r"\s+\d{1,2}:\d{2}(?::\d{2})?\s*[)）]?\s*[:：]?\s*$")
# A date on its own line (a copy out of the chat window puts one above each day's messages).
DATE_LINE = re.compile(r"^\s*[-—=\s]*(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
                       r"(?:\s*(?:星期|周)[一二三四五六日天])?[-—=\s]*$")
CLOCK_ONLY = re.compile(r"^(?P<nick>\S.*?)\s*[(（]?\s*(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})\s*[)）]?\s*[:：]?\s*$")
# "发送人 --> 接收人" in a header: the sender speaks (店:阿静 --> tb123 is 店:阿静's message).
_ARROW = re.compile(r"\s*(?:-->|->|→|=>|——>)\s*")
SEPARATOR = re.compile(r"^\s*(?:-{3,}|={3,}|—{3,}).*$")
STATUS = re.compile(r"^\s*[\[【(（]?(?:已读|未读|发送中|发送失败|对方已读)[\]】)）]?\s*$")
SYSTEM_NICKS = {"系统消息", "系统", "system", "系统通知"}
SESSION_GAP = timedelta(hours=2)
MAX_GAP = timedelta(hours=24)  # longer than this always ends a chat, answered or not
# A line that can be the nickname half of a two-line header: short, one line of a name.
_NICK = re.compile(r"^\S(?:.{0,38}\S)?$")
_NAME_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z]")  # digits alone are an order number, not a name
_SENTENCE_END = re.compile(r"[。！？!?，,；;~～…]$|https?://")


def sender_of(nick: str) -> str:
    """The sender of a header's nickname: "店:阿静 --> tb123" → "店:阿静"."""
    head = _ARROW.split(nick, 1)[0].strip() if (">" in nick or "→" in nick) else nick
    return head or nick


def _header(line: str) -> re.Match | None:
    return HEADER.match(line) or HEADER_BRACKETED.match(line)


def is_header(line: str) -> bool:
    """Whether `line` is a one-line message header (nickname and time)."""
    return _header(line) is not None


def could_be_nick(line: str) -> bool:
    """Whether `line` can be the nickname line of a two-line header."""
    text = line.strip()
    return bool(_NICK.match(text)) and bool(_NAME_CHAR.search(text)) and not _SENTENCE_END.search(text) \
        and not is_header(text) and match_notice(text) is None and not STATUS.match(text)


def _time_first(line: str) -> re.Match | None:
    """A time-first header "2023-01-05 09:03:02 昵称" (the rest must read as a nickname)."""
    m = TIME_FIRST.match(line)
    return m if m and could_be_nick(m["nick"]) else None


def looks_like_qianniu(nonblank: list[str]) -> bool:
    """Whether these first non-blank lines of a file hold a header of any form (time-first
    headers count from the second one on: one line starting with a time proves little)."""
    time_first = 0
    for i, line in enumerate(nonblank):
        if is_header(line) or (i and BARE_TIME.match(line) and could_be_nick(nonblank[i - 1])):
            return True
        if i and DATE_LINE.match(nonblank[i - 1]) and (m := CLOCK_ONLY.match(line)) and could_be_nick(m["nick"]):
            return True  # a date line, then a time-only header
        time_first += _time_first(line) is not None
        if time_first >= 2:
            return True
    return False


def _time(m: re.Match) -> tuple[datetime, int]:
    """The header's time and its resolution in seconds. Raises ValueError for an impossible date."""
    seconds = m["s"]
    moment = datetime(int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"]), int(m["mi"]),
                      int(seconds or 0), tzinfo=SHANGHAI)
    return moment, 1 if seconds is not None else 60


class _Item:
    """A message or a notice while a chat is being collected."""

    __slots__ = ("nick", "time", "line", "lines", "notice_kind", "names", "resolution")

    def __init__(self, nick, time, line, lines, notice_kind=None, names=(), resolution=1):
        self.nick = nick
        self.time = time
        self.line = line
        self.lines = lines
        self.notice_kind = notice_kind
        self.names = names
        self.resolution = resolution


class _Chat:
    def __init__(self, line: int | None, buyer: str | None = None):
        self.line = line
        self.last = line  # the last line read into this chat (a set-aside spans line..last)
        self.buyer = buyer  # when the export names the buyer (exporter JSON), roles follow from it
        self.items: list[_Item] = []
        self.error: tuple[int, str] | None = None
        self.preamble: list[tuple[int, str]] = []
        self.current: _Item | None = None  # the message or notice whose content lines we are reading
        self.last_content: tuple[int, list] | None = None  # (line number, the list it went into)

    def fail(self, line: int, reason: str) -> None:
        if self.error is None:
            self.error = (line, reason)


def parse_qianniu(lines: Iterable[tuple[int, str]], file: str, session_gap: timedelta | None = None
                  ) -> Iterator[Transcript | SetAside]:
    """Transcripts and set-asides of a Qianniu text export, in file order.

    `lines`: (line number, text without line end). `session_gap`: idle time that ends a chat
    (default SESSION_GAP)."""
    gap = session_gap or SESSION_GAP
    chat: _Chat | None = None
    shops: list[str] = []  # the shop seen so far in this file, for chats where only the buyer speaks
    order = _Order()
    for number, line in lines:
        if chat is None:
            chat = _Chat(number)
        chat.last = number
        if UNDECODABLE in line:
            chat.fail(number, "这一行有无法解码的字节（文件编码不一致？）(undecodable bytes)")
            continue
        item = _header_item(chat, order, line, number)
        if item is not None:
            chat.items.append(item)
            chat.current = item
            continue
        if SEPARATOR.match(line):
            yield from _finish(chat, file, shops, gap)
            chat = None
            day = DATE_LINE.match(line)  # "---- 2026-11-22 ----": a day's separator with its date
            order.day = (day, [line], 0) if day else order.day
            continue
        if STATUS.match(line):
            continue
        found = match_notice(line)
        if found:
            notice, groups = found
            names = tuple(v.strip() for k, v in groups.groupdict().items()
                          if v and k in ("source", "target"))
            item = _Item("system", None, number, [line.strip()], notice.kind, names)
            chat.items.append(item)
            chat.current = item
            continue
        if chat.current is not None:
            chat.current.lines.append(line)
            chat.last_content = (number, chat.current.lines)
        elif line.strip():
            chat.preamble.append((number, line))
            chat.last_content = (number, chat.preamble)
        else:
            continue
        day = DATE_LINE.match(line)
        if day:  # "2026-11-22" on its own: the date of the time-only headers after it
            order.day = (day, chat.last_content[1], len(chat.last_content[1]) - 1)
    if chat is not None:
        yield from _finish(chat, file, shops, gap)


class _Order:
    """What a file's headers have shown so far: their order (time first, as QQ-style copies
    write, or nickname first) and the date line before time-only headers (a copy out of the chat
    window: `2026-11-22`, then `tb123 10:00:01`), with the content list it was read into."""

    __slots__ = ("time_first", "day")

    def __init__(self):
        self.time_first: bool | None = None
        self.day: tuple[re.Match, list, int] | None = None


def _header_item(chat: _Chat, order: _Order, line: str, number: int) -> _Item | None:
    """The message `line` opens as a header of any form (one line, two lines, time first, time
    only under a date line), or None. A header-like line with an impossible or implausible date
    (1999, 31/12/2026) fails the chat with the reason instead of being read as text."""
    m = _header(line) if order.time_first is not True else None
    if m is not None:
        order.time_first = False
    elif order.time_first is not False and (m := _time_first(line)) is not None:
        order.time_first = True
    nick = m["nick"].strip() if m else None
    if m is None and (m := BARE_TIME.match(line)) is not None:
        nick = _take_nick(chat, number)
        m = m if nick is not None else None
    if m is None:
        return _clock_only_item(chat, order, line, number) or _doubtful_header(chat, line, number)
    try:
        time, resolution = _time(m)
    except ValueError:
        chat.fail(number, f"时间无法解析：{line.strip()!r} (unparseable time)")
        time, resolution = None, 1
    return _Item(sender_of(nick), time, number, [], resolution=resolution)


def _clock_only_item(chat: _Chat, order: _Order, line: str, number: int) -> _Item | None:
    """A time-only header `昵称 10:00:01` under a date line seen before it; the date line is taken
    back from the content it was read into when only blank lines follow it there."""
    if order.day is None:
        return None
    m = CLOCK_ONLY.match(line)
    if m is None or not could_be_nick(m["nick"]):
        return None
    day, into, at = order.day
    if at < len(into) and not any(_text(x).strip() for x in into[at + 1:]) and DATE_LINE.match(_text(into[at])):
        del into[at:]
        chat.last_content = None
    try:
        time = datetime(int(day["y"]), int(day["mo"]), int(day["d"]), int(m["h"]), int(m["mi"]), int(m["s"]),
                        tzinfo=SHANGHAI)
        check_time(time)
    except (ValueError, BadTime):
        chat.fail(number, f"日期行的日期不合理：{day.group(0).strip()!r} (unparseable time)")
        time = None
    return _Item(sender_of(m["nick"].strip()), time, number, [])


def _text(entry) -> str:
    return entry[1] if isinstance(entry, tuple) else entry


def _doubtful_header(chat: _Chat, line: str, number: int) -> _Item | None:
    """A line shaped like a header whose date is not one we read (year 1999, day first as in
    31/12/2026): the chat is set aside naming it, never folded into the message before it."""
    m = DOUBTFUL_HEADER.match(line)
    if m is None or (m["nick"] and not could_be_nick(m["nick"])) or (not m["nick"] and chat.last_content is None):
        return None
    parts = [int(x) for x in re.split(r"\D+", m["date"]) if x]
    if len(parts) != 3 or 2000 <= parts[0] <= 2099:
        return None  # a date we read (a bare time with no nickname before it is text) or not a date
    if parts[0] >= 1000:
        reason = f"消息头的年份不合理（应在 2000–2099 年之间）：{line.strip()!r} (time out of range)"
    elif parts[2] >= 1000:
        reason = f"消息头的日期不是 年-月-日 顺序（日/月/年？），无法确定日期：{line.strip()!r} (unparseable time)"
    else:
        return None
    chat.fail(number, reason)
    return _Item(sender_of(m["nick"].strip()) if m["nick"] else "?", None, number, [])


def chats_from_records(records: Iterable[tuple[str, datetime, int, str]], file: str, buyer: str | None = None,
                       session_gap: timedelta | None = None) -> Iterator[Transcript | SetAside]:
    """Chats from one buyer's records (nickname, time, resolution in seconds, text) as other
    exporters give them, read like Qianniu text: notices, roles, sessions. `buyer`: the buyer's
    nickname if the export names it."""
    chat = _Chat(None, buyer)
    for nick, time, resolution, text in records:
        found = match_notice(text)
        if found:
            notice, groups = found
            names = tuple(v.strip() for k, v in groups.groupdict().items() if v and k in ("source", "target"))
            chat.items.append(_Item("system", time, None, [text.strip()], notice.kind, names))
        else:
            chat.items.append(_Item(nick, time, None, text.splitlines() or [""], resolution=resolution))
    yield from _finish(chat, file, [], session_gap or SESSION_GAP)


def _take_nick(chat: _Chat, number: int) -> str | None:
    """For a bare time on line `number`: the nickname on the line just before it, taken back
    from the content it was read into; None if that line cannot be a nickname."""
    if chat.last_content is None or chat.last_content[0] != number - 1:
        return None
    into = chat.last_content[1]
    last = into[-1]
    text = last[1] if isinstance(last, tuple) else last
    if not could_be_nick(text):
        return None
    into.pop()
    chat.last_content = None
    return text.strip()


def _finish(chat: _Chat, file: str, shops: list[str], gap: timedelta) -> Iterator[Transcript | SetAside]:
    try:
        yield from _build(chat, file, shops, gap)
    except Exception as exc:  # noqa: BLE001 — one odd chat never stops the file
        yield SetAside(file=file, line=chat.line, span=_span(chat),
                       reason=f"这段会话读不懂：{type(exc).__name__}: {str(exc)[:200]} (unreadable chat)")


def _span(chat: _Chat) -> tuple[int, int] | None:
    return (chat.line, chat.last) if chat.line is not None and chat.last is not None else None


def _build(chat: _Chat, file: str, shops: list[str], gap: timedelta) -> Iterator[Transcript | SetAside]:
    items = _notices_under_headers(chat.items)
    if not items and chat.error is None:
        if chat.preamble:  # words between separators with no header: whose, and when, is unknown
            first = chat.preamble[0][0]
            yield SetAside(file=file, line=first, span=(first, chat.preamble[-1][0]),
                           reason=f"{len(chat.preamble)} 行文字前面没有消息头（昵称和时间），不知道是谁什么时候说的 "
                                  "(text without a header)")
        return  # blank space between separators
    if chat.error is not None:
        line, reason = chat.error
        yield SetAside(file=file, line=line, reason=reason, span=_span(chat))
        return
    said = [it for it in items if it.notice_kind is None]
    if not said:
        yield SetAside(file=file, line=items[0].line, span=_span(chat),
                       reason="这段会话没有任何带时间的消息，只有系统提示 (no messages)")
        return

    roles = _roles(items, shops, chat.buyer)
    if isinstance(roles, str):
        yield SetAside(file=file, line=items[0].line, reason=roles, span=_span(chat))
        return
    shop, agents = roles
    if shop:
        shops[:] = [shop]

    # Notices take the time of the message before them, or of the next one at the start.
    prev_time = None
    for it in items:
        if it.time is None:
            it.time = prev_time
        prev_time = it.time
    next_time = None
    for it in reversed(items):  # only notices before the first message are still untimed
        if it.time is None:
            it.time = next_time
        next_time = it.time

    chats = [_transcript(session, shop, agents, file) for session in _sessions(items, agents, gap)]
    for number, transcript in enumerate(chats):
        if chat.preamble and number == 0:
            transcript.source_line = min(transcript.source_line or chat.preamble[0][0], chat.preamble[0][0])
            transcript.notes.append(
                f"会话开头有 {len(chat.preamble)} 行不属于任何消息的文字（第 {chat.preamble[0][0]} 行起），未计入")
        transcript.normalize()
        following = chats[number + 1] if number + 1 < len(chats) else None
        if following is not None and following.customer == transcript.customer:
            transcript.next_chat_at = min(m.time for m in following.messages)
        yield transcript


# Notices that open a chat ("当前用户来自…", "顾客正在浏览…", the card they bring): before a
# message that starts a new chat, they go with it.
_OPENING_KINDS = ("notice", "card")


def _sessions(items: list[_Item], agents: set[str], gap: timedelta) -> Iterator[list[_Item]]:
    """The items split where the buyer writes again after nobody wrote for longer than `gap` with
    no customer message waiting for a human reply, or for more than MAX_GAP at all. The shop's own
    follow-up after a gap (a promised call-back) stays in the chat it follows up."""
    session: list[_Item] = []
    waiting = False  # a customer message not yet answered by a person
    last = None
    buyer = None
    for it in items:
        returning = it.notice_kind is None and it.nick not in agents and it.nick not in SYSTEM_NICKS
        if returning and last is not None:  # a chat starts when a buyer writes, never at the shop's follow-up
            idle = it.time - last
            if (buyer is not None and it.nick != buyer) or idle > MAX_GAP or (idle > gap and not waiting):
                opening = len(session)
                while opening and session[opening - 1].notice_kind in _OPENING_KINDS:
                    opening -= 1
                if any(x.notice_kind is None for x in session[:opening]):
                    moved = session[opening:]
                    for x in moved:
                        x.time = it.time
                    yield session[:opening]
                    session = moved
                    waiting = False
        session.append(it)
        if returning:
            buyer = it.nick
        if it.notice_kind is None:
            last = it.time
            if it.nick in agents:
                if not _automatic(it):
                    waiting = False
            elif it.nick not in SYSTEM_NICKS:
                waiting = True
    if session:
        yield session


def _transcript(items: list[_Item], shop: str | None, agents: set[str], file: str) -> Transcript:
    messages: list[Message] = []
    buyer = None
    for it in items:
        if it.notice_kind is not None:
            messages.append(message(time=it.time, sender="system", role="system", text=it.lines[0],
                                    kind=it.notice_kind, source_file=file, source_line=it.line))
            card = "\n".join(line.strip() for line in it.lines[1:] if line.strip())
            if card:
                messages.append(message(time=it.time, sender="system", role="system", text=card, kind="card",
                                        source_file=file, source_line=None if it.line is None else it.line + 1))
            continue
        text = "\n".join(it.lines).strip("\r\n ")
        if it.nick in agents:
            role = "agent"
        elif it.nick in SYSTEM_NICKS:
            role = "system"
        else:
            role = "customer"
            buyer = buyer or it.nick
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
    return Transcript.model_construct(
        id=transcript_id(shop, buyer, first), platform="taobao", shop=shop, agent=None, agents=[],
        customer=buyer, messages=messages, source_file=file, source_line=items[0].line, notes=[],
        time_resolution=max((it.resolution for it in items if it.notice_kind is None), default=1))


def _notices_under_headers(items: list[_Item]) -> list[_Item]:
    """A header whose only content is a notice ("tb123 2023-03-08 20:30:00" then "【即将超时】…"):
    the notice keeps the header's time and line, and the header's speaker is not credited."""
    kept: list[_Item] = []
    for i, it in enumerate(items):
        following = items[i + 1] if i + 1 < len(items) else None
        if (it.notice_kind is None and not any(line.strip() for line in it.lines) and following is not None
                and following.notice_kind is not None and it.line is not None and following.line == it.line + 1):
            following.time = it.time
            continue
        kept.append(it)
    return kept


def _automatic(it: _Item) -> bool:
    """Whether a message is an auto-reply 【自动回复】 or a robot's (店小蜜: robots.txt)."""
    text = "\n".join(it.lines).lstrip("\r\n ")
    return bool(AUTO_PREFIX.match(text)) or robot_sender(it.nick) is not None or robot_marker(text) is not None


def _prefix(nick: str) -> str | None:
    head, sep, _ = nick.replace("：", ":").partition(":")
    return head.strip() if sep and head.strip() else None


def _roles(items: list[_Item], shops: list[str], buyer: str | None = None
           ) -> tuple[str | None, set[str]] | str:
    """(shop, agent nicknames) of a chat, or the reason its roles cannot be told. `buyer`: the
    buyer's nickname when the export names it; everyone else then speaks for the shop."""
    said = [it for it in items if it.notice_kind is None and it.nick not in SYSTEM_NICKS]
    speakers = list(dict.fromkeys(it.nick for it in said))
    if buyer:
        agents = {n for n in speakers if n != buyer}
        shop = next((p for p in map(_prefix, agents) if p), shops[0] if shops else None)
        return shop, agents | ({shop} if shop else set())
    named = {name for it in items for name in it.names}
    auto = {it.nick for it in said if _automatic(it)}
    candidates: dict[str, list[str]] = {}
    for nick in speakers:
        head = _prefix(nick)
        if head:
            candidates.setdefault(head, []).append(nick)
    known = shops[0] if shops else None
    if known in candidates or (known and not candidates):
        shop = known
    elif len(candidates) == 1:
        shop = next(iter(candidates))
    elif candidates:
        opener = speakers[0] if speakers else None

        def weight(head: str) -> int:
            nicks = candidates[head]
            return (3 * any(n in auto or n in named for n in nicks) + (len(nicks) > 1)
                    + (opener not in nicks) + 3 * any(n == head for n in speakers))
        ranked = sorted(candidates, key=weight, reverse=True)
        if weight(ranked[0]) == weight(ranked[1]):
            return ("无法判断哪一方是店铺客服：" + "、".join(ranked[:2]) + " 都像店铺子账号 (roles unclear)")
        shop = ranked[0]
    else:
        shop = None
    agents = {n for n in speakers if shop and (n == shop or _prefix(n) == shop)} | named | auto
    if shop:
        agents.add(shop)
    buyers = [n for n in speakers if n not in agents]
    if len(buyers) > 1 and not any(n in agents for n in speakers):
        return (f"会话里有 {len(buyers)} 个发送人（{'、'.join(buyers[:3])}），认不出哪一个是店铺客服 "
                "(roles unclear)")
    if len(buyers) > 1:
        # Several buyers one after another (records of several chats without separators) are
        # several chats; buyers whose messages interleave mean a shop account was not recognised.
        order = [it.nick for it in said if it.nick in buyers]
        runs = [n for i, n in enumerate(order) if i == 0 or order[i - 1] != n]
        if len(runs) != len(set(runs)):
            return (f"会话里有 {len(buyers)} 个不是本店账号的发送人（{'、'.join(buyers[:3])}）交替发言，"
                    "分不清谁是买家、谁是客服 (roles unclear)")
    return shop, agents


def transcript_id(shop: str | None, buyer: str | None, first: datetime) -> str:
    """Stable id of a Qianniu chat: same shop, buyer and first message time → same id."""
    key = f"{shop or ''}|{buyer or ''}|{first.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"
    return "qn-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
