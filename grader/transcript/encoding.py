"""Guess the text encoding of a chat export and open it as a stream of lines.

Chinese shop exports come as UTF-8 (with or without BOM), GB18030/GBK, or UTF-16 (Windows tools,
with or without BOM). The guess uses, in order: a BOM, the pattern of NUL bytes (UTF-16 without
BOM), then strict UTF-8, then strict GB18030, all on the head of the file.

The file is then opened with an error handler that turns any byte the guessed encoding cannot
decode further down into UNDECODABLE, so a parser can set aside the one line that holds it
instead of the whole file dying.
"""
from __future__ import annotations

import codecs
import io
from pathlib import Path
from typing import BinaryIO, Iterator, TextIO

HEAD_BYTES = 64 * 1024

# A Unicode noncharacter: never found in real text, so it safely marks undecodable bytes.
UNDECODABLE = "\ufdd0"
_ERRORS = "grader-undecodable"


def _mark(exc: UnicodeDecodeError) -> tuple[str, int]:
    return UNDECODABLE, exc.end


codecs.register_error(_ERRORS, _mark)

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, None),  # checked before UTF-16 LE (same first two bytes); unsupported
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decodes(head: bytes, encoding: str) -> bool:
    """Whether `head` decodes strictly, allowing a character cut at the end of the head."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _utf16_by_nuls(head: bytes) -> str | None:
    """UTF-16 without BOM: ASCII characters (digits, spaces, newlines) put NULs on one side."""
    sample = head[:8192]
    if len(sample) < 4:
        return None
    even = sum(1 for i in range(0, len(sample), 2) if sample[i] == 0)
    odd = sum(1 for i in range(1, len(sample), 2) if sample[i] == 0)
    pairs = len(sample) // 2
    # CJK characters rarely hold a zero byte (一 = U+4E00 does), so allow a few on the other side.
    if odd >= 0.05 * pairs and even * 4 < odd:
        return "utf-16-le"
    if even >= 0.05 * pairs and odd * 4 < even:
        return "utf-16-be"
    return None


def detect_encoding(head: bytes) -> str | None:
    """The encoding of a file whose first bytes are `head`, or None if it is not text we read."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if b"\x00" in head:
        encoding = _utf16_by_nuls(head)
        if encoding and _decodes(head[: len(head) - len(head) % 2], encoding):
            return encoding
        return None  # NUL bytes but no UTF-16 pattern: a binary file
    if _decodes(head, "utf-8"):
        return "utf-8"
    if _decodes(head, "gb18030"):
        return "gb18030"
    return None


_BLANK = b" \t\r\n\x00\x0b\x0c"
MAX_BLANK_BYTES = 1 << 30  # blank bytes looked through before a file counts as empty


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The file's first `size` bytes of content: leading blank lines (64 KB of them, say) are
    looked past, so the head shows what the file holds; a byte-order mark stays in front."""
    with open(path, "rb") as f:
        head = f.read(size)
        bom = next((b for b, _ in _BOMS if head.startswith(b)), b"")
        if head[len(bom):].strip(_BLANK) or len(head) < size:
            return head
        offset = len(head)
        while offset < MAX_BLANK_BYTES:
            chunk = f.read(size)
            if not chunk:
                return head  # blank to the end: empty
            found = len(chunk) - len(chunk.lstrip(_BLANK))
            if found < len(chunk):
                start = offset + found
                start -= (start - len(bom)) % 2  # a UTF-16 character starts at an even distance
                f.seek(start)
                return bom + f.read(size)
            offset += len(chunk)
        return head


def open_text(path: Path, encoding: str) -> TextIO:
    """Open `path` for reading lines; undecodable bytes become UNDECODABLE.

    newline="" keeps line ends as they are (the csv module needs that); parsers strip them.
    """
    return open(path, encoding=encoding, errors=_ERRORS, newline="")


def wrap_binary(stream: BinaryIO, encoding: str) -> TextIO:
    return io.TextIOWrapper(stream, encoding=encoding, errors=_ERRORS, newline="")


def numbered_lines(stream: TextIO) -> Iterator[tuple[int, str]]:
    """(line number from 1, line without its line end) for every line of a text stream."""
    for number, line in enumerate(stream, 1):
        yield number, line.rstrip("\r\n")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a whole small input (tests, pasted text). Raises ValueError if it is not text."""
    encoding = detect_encoding(data[:HEAD_BYTES])
    if encoding is None:
        raise ValueError("无法识别文本编码（不是 UTF-8、GB18030/GBK 或 UTF-16）")
    return data.decode(encoding, errors=_ERRORS), encoding
