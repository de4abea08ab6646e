"""Running the daily grading on one core, on all cores, or on a Dask cluster — the same code.

The input is split into parts: one per file, and a large JSONL file into slices of about
`SPLIT_BYTES` each (cut at line ends, so they are read independently with the right line
numbers). Each part is read and graded where it runs (`work.grade_part`) and comes back as
serialized batches, which the run stores in one transaction each (`Store.save_rows`) and
writes to the scorecard files in input order.

Qianniu text and CSV files are not split: a Qianniu chat may borrow the shop name from an
earlier chat of the file, and the rows of one CSV chat need not be adjacent.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Iterable, Iterator

from grader.transcript.encoding import numbered_lines
from grader.transcript.jsonl import parse_jsonl
from grader.transcript.reader import SetAside, display_name, iter_read, screened, walk
from grader.transcript.sniff import sniff

SPLIT_BYTES = 8 * 1024 * 1024
# Encodings in which the bytes of \r and \n never occur inside another character.
_SPLITTABLE = ("utf-8", "utf-8-sig", "gb18030")


@dataclass(frozen=True)
class Slice:
    """Bytes start..stop of a JSONL file, whose first line is line `first_line` of the file."""

    file: str
    encoding: str
    start: int
    stop: int
    first_line: int


Part = str | Slice  # a whole file (or a missing path, which reading sets aside), or a slice


def parts_of(paths: Iterable[str | Path], split_bytes: int | None = None) -> Iterator[Part]:
    """The parts of `paths`, in the order the reader reads them."""
    split_bytes = split_bytes or SPLIT_BYTES
    for raw in paths:
        path = Path(raw)
        files = walk(path) if path.is_dir() else [path]
        for file in files:
            yield from _split(file, split_bytes)


def _split(file: Path, split_bytes: int) -> Iterator[Part]:
    try:
        size = file.stat().st_size
    except OSError:
        size = 0
    if size <= split_bytes:
        yield str(file)
        return
    sniffed = sniff(file)
    if sniffed.format != "jsonl" or sniffed.encoding not in _SPLITTABLE or _per_message(file, sniffed.encoding):
        yield str(file)
        return
    with open(file, "rb") as f:
        start, line = 0, 1
        while start < size:
            f.seek(start + split_bytes)
            f.readline()  # on to the end of the line
            stop = min(f.tell(), size)
            f.seek(start)
            block = f.read(stop - start)
            yield Slice(str(file), sniffed.encoding, start, stop, line)
            # line ends as the reader counts them: \n, \r\n and a lone \r
            line += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
            start = stop


def _per_message(file: Path, encoding: str) -> bool:
    """Whether a JSONL file holds per-message records (one chat's records may be anywhere in the
    file, so it is read whole)."""
    import json

    from grader.transcript.encoding import read_head
    from grader.transcript.permessage import envelope_records, record_layout
    first = next((line for line in read_head(file).decode(encoding, "replace").splitlines() if line.strip()), "")
    try:
        data = json.loads(first)
    except ValueError:
        return False
    return record_layout(data) is not None or envelope_records(data) is not None


def read_part(part: Part, session_gap: timedelta | None = None) -> Iterator:
    """Transcripts and set-asides of a part, as `iter_read` gives them for the whole file."""
    if isinstance(part, str):
        yield from iter_read([part], session_gap)
        return
    try:
        with open(part.file, "rb") as f:
            f.seek(part.start)
            data = f.read(part.stop - part.start)
        text = data.decode(part.encoding, errors="grader-undecodable")
        lines = ((n + part.first_line - 1, line) for n, line in numbered_lines(io.StringIO(text, newline="")))
        yield from screened(parse_jsonl(lines, display_name(part.file), session_gap))
    except OSError as exc:
        yield SetAside(file=display_name(part.file), line=None, reason=f"文件打不开：{exc.strerror or exc} (cannot open file)")
    except Exception as exc:  # noqa: BLE001 — a worker never dies on one slice
        yield SetAside(file=display_name(part.file), line=part.first_line,
                       reason=f"读取中途出错，这一段其余部分未读：{type(exc).__name__}: {exc} (reader error)")
