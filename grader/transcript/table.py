"""CSV and Excel (.xlsx) exports: one row per message, a header row first.

Columns (English or the Chinese a shop's own export uses; header case, spaces and a
parenthesised hint such as "角色(客户/客服/系统)" are ignored):

    required  transcript_id 会话ID · time 时间 · sender 发送人 · role 角色 · text 内容
    optional  auto_reply 自动回复 · agent 客服 · shop 店铺 · customer 客户 · platform 平台 · kind ·
              date 日期 (when the time column holds only the time of day: the two are combined)

A time without seconds ("2023/1/5 9:03", as Excel writes when it re-saves a CSV) makes the chat
minute-precise (`Transcript.time_resolution` 60).

Role words: 客户/买家 → customer, 客服/卖家 → agent, 系统 → system (English too); 机器人/智能客服/
店小蜜 (robots.txt) → an agent's robot reply, an auto-reply for the rubric (a 机器人 column, 是/否/辅助,
says so too); an empty role is
taken from the agent/customer columns when the sender matches. 自动回复: 是/否/true/false/1/0.
Rows are grouped by transcript id (rows of one chat need not be adjacent); a chat with one bad
row is set aside with that row's line number.
"""
from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable, Iterator

from grader.transcript.encoding import UNDECODABLE
from grader.transcript.model import Transcript
from grader.transcript.parsing import (BadTime, join_date_time, message, parse_time, role_word, shop_of,
                                      system_kind, time_resolution, yes_no)
from grader.transcript.platforms import platform_of
from grader.transcript.reader_types import SetAside
from grader.transcript.robots import robot_role, robot_value

COLUMNS = {
    "transcript_id": ("transcript_id", "transcriptid", "conversation_id", "chat_id", "会话id",
                      "会话编号", "会话", "对话id"),
    "time": ("time", "timestamp", "时间", "发送时间", "消息时间"),
    "date": ("date", "日期", "发送日期", "消息日期"),
    "sender": ("sender", "from", "发送人", "发送者", "发送方", "昵称"),
    "role": ("role", "角色", "身份"),
    "text": ("text", "content", "message", "内容", "消息内容", "消息"),
    "auto_reply": ("auto_reply", "autoreply", "auto", "自动回复", "是否自动回复"),
    "agent": ("agent", "客服", "客服账号", "接待客服"),
    "shop": ("shop", "store", "店铺", "店铺名"),
    "customer": ("customer", "buyer", "客户", "买家", "顾客"),
    "platform": ("platform", "平台"),
    "kind": ("kind", "类型"),
    "robot": ("robot", "机器人", "是否机器人", "机器人回复", "接待模式"),
}
REQUIRED = ("transcript_id", "time", "sender", "role", "text")
LABELS = {"transcript_id": "会话ID", "time": "时间", "sender": "发送人", "role": "角色", "text": "内容"}
EXCEL_EPOCH = datetime(1899, 12, 30)
_ALIASES = {alias: field for field, aliases in COLUMNS.items() for alias in aliases}
_HINT = re.compile(r"[（(].*?[)）]")


def normalize_header(cell: object) -> str:
    text = _HINT.sub("", str(cell or "")).strip().lower().lstrip("\ufeff")
    return re.sub(r"[\s\-]+", "_", text)


def header_fields(cells: list) -> dict[str, int]:
    """Field name → column index for a header row (first column wins on repeats)."""
    fields: dict[str, int] = {}
    for i, cell in enumerate(cells):
        field = _ALIASES.get(normalize_header(cell))
        if field and field not in fields:
            fields[field] = i
    return fields


def looks_like_header(cells: list) -> bool:
    """Enough known columns to be a message table (so a missing column is reported, not guessed)."""
    fields = header_fields(cells)
    return sum(1 for f in REQUIRED if f in fields) >= 3


def sniff_delimiter(first_line: str) -> str:
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def parse_csv(lines: Iterable[str], file: str) -> Iterator[Transcript | SetAside]:
    """`lines`: the file's text lines with their line ends (as from open(newline=""))."""
    lines = iter(lines)
    first = next(lines, "")
    reader = csv.reader(_chain(first, lines), delimiter=sniff_delimiter(first))
    yield from parse_rows(_numbered(reader), file)


# A cell as long as a whole pasted document is read (and the chat then set aside as too long by
# the screen), rather than stopping the file at the csv module's default 128 KB limit.
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))


class RowError(Exception):
    """A row the csv module could not read; the rows after it are still read."""


def _numbered(reader) -> Iterator[tuple[int, list[str] | RowError]]:
    """Rows with the line each starts on (a quoted cell may span lines); a row the csv module
    rejects comes as a RowError in its place."""
    end = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row = RowError(str(exc))
        yield end + 1, row
        end = reader.line_num


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def parse_xlsx(path: Path, file: str) -> Iterator[Transcript | SetAside]:
    import openpyxl  # only when an Excel file is read

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a damaged or encrypted workbook: openpyxl raises many kinds
        yield SetAside(file=file, line=None, reason=f"Excel 文件打不开 (cannot open workbook): {exc}")
        return
    try:
        found = False
        for sheet in book.worksheets:
            rows = ((n, list(r)) for n, r in enumerate(sheet.iter_rows(values_only=True), 1))
            for item in parse_rows(rows, file, sheet=sheet.title if len(book.worksheets) > 1 else None):
                found = True
                yield item
        if not found:
            yield SetAside(file=file, line=None, reason="Excel 文件里没有数据 (empty workbook)")
    finally:
        book.close()


def parse_rows(rows: Iterable[tuple[int, list]], file: str, sheet: str | None = None
               ) -> Iterator[Transcript | SetAside]:
    where = f"{file}#{sheet}" if sheet else file
    header = None
    for number, row in rows:
        if isinstance(row, RowError):
            yield SetAside(file=where, line=number, reason=f"这一行读不懂：{row} (unreadable row)")
            continue
        if any(_cell(c) for c in row):
            header = (number, row)
            break
    if header is None:
        return
    header_line, cells = header
    fields = header_fields(cells)
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        names = "、".join(f"{f}（{LABELS[f]}）" for f in missing)
        last = header_line
        for last, _ in rows:  # the rows under a header that cannot be read are set aside with it
            pass
        yield SetAside(file=where, line=header_line, span=(header_line, last),
                       reason=f"表头缺少必需的列：{names} (missing required column)")
        return

    chats: dict[str, dict] = {}
    for number, row in rows:
        if isinstance(row, RowError):
            yield SetAside(file=where, line=number, reason=f"这一行读不懂：{row} (unreadable row)")
            continue
        if not any(_cell(c) for c in row):
            continue
        get = {f: (row[i] if i < len(row) else None) for f, i in fields.items()}
        tid = _cell(get["transcript_id"])
        if not tid:
            yield SetAside(file=where, line=number, reason="这一行没有会话ID (no transcript id)")
            continue
        chat = chats.get(tid)
        if chat is None:
            chat = chats[tid] = {"line": number, "rows": [], "error": None, "meta": {}}
        if chat["error"] is None:
            for f in ("agent", "shop", "customer", "platform"):
                if f in get and _cell(get[f]) and f not in chat["meta"]:
                    chat["meta"][f] = _cell(get[f])
            chat["rows"].append((number, get))

    for tid, chat in chats.items():
        try:
            yield _build(tid, chat, where)
        except _Bad as bad:
            yield SetAside(file=where, line=bad.line, reason=bad.reason, transcript_id=tid, span=_rows_span(chat))
        except Exception as exc:  # noqa: BLE001 — one odd chat never stops the file
            yield SetAside(file=where, line=chat["line"], transcript_id=tid, span=_rows_span(chat),
                           reason=f"这段会话读不懂：{type(exc).__name__}: {str(exc)[:200]} (unreadable chat)")


def _rows_span(chat: dict) -> tuple[int, int] | None:
    """The first and last row of a chat (its rows need not be adjacent)."""
    lines = [number for number, _ in chat["rows"]]
    return (min(lines), max(lines)) if lines else None


class _Bad(Exception):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _build(tid: str, chat: dict, file: str) -> Transcript:
    meta = chat["meta"]
    customer, agent = meta.get("customer"), meta.get("agent")
    messages = []
    resolution = 1
    for number, get in chat["rows"]:
        if any(isinstance(v, str) and UNDECODABLE in v for v in get.values()):
            raise _Bad(number, "这一行有无法解码的字节（文件编码不一致？）(undecodable bytes)")
        raw_time = get["time"]
        if "date" in get:
            raw_time = join_date_time(get["date"], raw_time)
        resolution = max(resolution, time_resolution(raw_time))
        if isinstance(raw_time, (int, float)) and not isinstance(raw_time, bool) and 20000 < raw_time < 100000:
            # an Excel serial date left as a number (rounded to the second, as Excel shows it)
            raw_time = EXCEL_EPOCH + timedelta(seconds=round(raw_time * 86400))
        try:
            time = parse_time(raw_time)
        except BadTime as exc:
            raise _Bad(number, str(exc)) from None
        sender = _cell(get["sender"])
        role = role_word(get["role"])
        if role is None:
            if _cell(get["role"]):
                raise _Bad(number, f"角色看不懂：{_cell(get['role'])!r}（应为 客户/客服/系统）(unknown role)")
            if sender and sender == customer:
                role = "customer"
            elif sender and sender == agent:
                role = "agent"
            elif sender in ("system", "系统"):
                role = "system"
            else:
                raise _Bad(number, "没有角色，发送人也不是会话的客户或客服 (no role)")
        if not sender:
            sender = {"customer": customer, "agent": agent}.get(role) or role
        try:
            auto = yes_no(get.get("auto_reply"))
            robot = robot_value(get.get("robot")) or robot_role(_cell(get["role"]))
        except ValueError as exc:
            raise _Bad(number, str(exc)) from None
        text = _cell(get["text"], strip=False)
        kind = _cell(get.get("kind")) or (system_kind(text) if role == "system" else "text")
        messages.append(message(time=time, sender=sender, role=role, text=text, auto_reply=auto,
                                kind=kind, source_file=file, source_line=number, robot=robot))
    transcript = Transcript.model_construct(
        id=tid, platform=platform_of(meta.get("platform"), file, [customer]), shop=meta.get("shop"), agent=agent,
        agents=[], customer=customer, messages=messages, source_file=file, source_line=chat["line"],
        notes=[], time_resolution=resolution).normalize()
    if not transcript.shop:  # no shop column: take it from a sub-account "店铺名:子账号"
        transcript.shop = shop_of(transcript.agent, *transcript.agents)
    return transcript


def _cell(value: object, strip: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text.strip() if strip else text.strip("\r\n")
