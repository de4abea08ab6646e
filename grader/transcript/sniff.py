"""Tell a file's format from its content (the extension is not trusted).

jsonl    the first non-blank line is a JSON object on its own
json     a JSON document over several lines (pretty-printed), or a JSON array
zip      a zip archive that is not an Excel workbook: its members are read one by one
csv      the first non-blank line is a header with the message-table columns (comma or tab)
qianniu  a Qianniu header among the first lines: `昵称 2026-11-22 10:00:01`, or the nickname and
         the time on two lines
xlsx     a zip holding xl/workbook.xml
Anything else is set aside with a reason a person understands.
"""
from __future__ import annotations

import csv
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.transcript import table
from grader.transcript.encoding import HEAD_BYTES, UNDECODABLE, decode_bytes, detect_encoding, read_head
from grader.transcript.qianniu import looks_like_qianniu

FORMATS = ("jsonl", "json", "qianniu", "csv", "xlsx", "zip")
_LOOK_AT = 60  # non-blank lines searched for a Qianniu header
_TIME_ONLY_HEADER = re.compile(r"^\S.{0,40}?\s*[(（]?\d{1,2}:\d{2}:\d{2}[)）]?\s*[:：]?\s*$")


@dataclass(frozen=True)
class Sniffed:
    format: str | None  # one of FORMATS, or None when the file is set aside
    encoding: str | None = None
    reason: str | None = None  # why it is set aside


def sniff(path: Path) -> Sniffed:
    head = read_head(path)
    if not head.strip():
        return Sniffed(None, reason="文件是空的 (empty file)")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
                if "xl/workbook.xml" in names:
                    return Sniffed("xlsx")
                if "[Content_Types].xml" in names or any(n.startswith(("xl/", "word/", "ppt/")) for n in names):
                    return Sniffed(None, reason="Office 文件已损坏或不是 Excel 表格，请重新导出为 .xlsx 或 CSV "
                                                "(broken workbook)")
                return Sniffed("zip")
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            return Sniffed(None, reason=f"压缩包（zip）损坏，打不开：{exc} (broken zip)")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return Sniffed(None, reason="旧版 Office 文件（.xls/.doc），请在 Excel 里另存为 .xlsx 或 CSV "
                                    "(unknown format: legacy .xls)")
    encoding = detect_encoding(head)
    if encoding is None:
        return Sniffed(None, reason="无法解码：不是 UTF-8、GB18030/GBK 或 UTF-16 文本，可能是二进制文件 "
                                    "(undecodable bytes)")
    text = head.decode(encoding, errors="grader-undecodable").lstrip("\ufeff")
    lines = text.splitlines()
    if len(head) == HEAD_BYTES and len(lines) > 1:
        lines.pop()  # may be cut in the middle
    nonblank = [line for line in lines if line.strip()]
    if not nonblank:
        return Sniffed(None, reason="文件是空的 (empty file)")
    fmt = sniff_text(nonblank)
    if fmt is None and sum(1 for line in nonblank[:_LOOK_AT] if _TIME_ONLY_HEADER.match(line)) >= 2:
        return Sniffed(None, encoding, "像是千牛聊天记录，但消息头只有时间没有日期（从聊天窗口复制的当天记录？），"
                                       "无法确定是哪一天；请用千牛“导出聊天记录”导出 (no date in headers)")
    if fmt is None:
        return Sniffed(None, encoding, "无法识别的文件格式：不是 JSONL、千牛聊天记录，也不是带表头的 CSV "
                                       "(unknown format)")
    return Sniffed(fmt, encoding)


def sniff_text(nonblank: list[str]) -> str | None:
    """The format of text whose first non-blank lines are `nonblank`."""
    first = nonblank[0].lstrip("\ufeff").strip()
    if first.startswith("["):
        return "json"
    if first.startswith("{"):
        return "jsonl" if _whole_object(first) or len(nonblank) == 1 else "json"
    delimiter = table.sniff_delimiter(first)
    try:
        cells = next(csv.reader([first], delimiter=delimiter))
    except csv.Error:
        cells = []
    if table.looks_like_header(cells):
        return "csv"
    if looks_like_qianniu(nonblank[:_LOOK_AT]):
        return "qianniu"
    return None


def _whole_object(line: str) -> bool:
    """Whether `line` reads as one JSONL line rather than the opening line of a pretty-printed
    document ("{", or a line ending in "{", "[" or ","). A broken JSONL line stays JSONL, so it
    is set aside alone and the lines after it are still read."""
    return not (line == "{" or line.endswith(("{", "[", ",")))


def sniff_bytes(data: bytes) -> str | None:
    """The format of an in-memory text export (for tests and pasted input)."""
    text, _ = decode_bytes(data)
    nonblank = [line for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    return sniff_text(nonblank) if nonblank and UNDECODABLE not in text else None
