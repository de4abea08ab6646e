"""Read chat exports (files or folders) into normalized transcripts, setting aside what fails.

    result = read_paths(["transcripts/"])
    print(result.summary())          # read = parsed + set aside, messages, reasons

`iter_read` streams: one file at a time, each transcript as soon as it is parsed, files in
sorted order. A bad file or line never stops a batch: it becomes a `SetAside` with file, line
and a reason. Folders are walked recursively; hidden files and folders are skipped, and so are
files matched by a `.graderignore` (glob patterns, one per line, relative to the folder holding
it) — e.g. the README beside sample chats. Every other file is sniffed by content; one of
unknown format is set aside, never silently ignored.
"""
from __future__ import annotations

import fnmatch
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Iterable, Iterator

from grader.errors import ReadError
from grader.transcript.encoding import numbered_lines, open_text
from grader.transcript.jsondoc import parse_json_document
from grader.transcript.jsonl import parse_jsonl
from grader.transcript.model import Transcript
from grader.transcript.qianniu import parse_qianniu
from grader.transcript.reader_types import SetAside
from grader.transcript.screen import screen
from grader.transcript.sniff import sniff
from grader.transcript.table import parse_csv, parse_xlsx
from grader.transcript.transfers import served_parts

__all__ = ["ReadResult", "SetAside", "check_paths", "iter_read", "read_file", "read_paths"]

IGNORE_FILE = ".graderignore"


@dataclass
class ReadResult:
    transcripts: list[Transcript] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)

    @property
    def parsed(self) -> int:
        return len(self.transcripts)

    @property
    def read(self) -> int:
        """Everything the reader met: parsed + set aside."""
        return self.parsed + len(self.set_aside)

    @property
    def messages(self) -> int:
        return sum(len(t.messages) for t in self.transcripts)

    def add(self, item: Transcript | SetAside) -> None:
        (self.set_aside if isinstance(item, SetAside) else self.transcripts).append(item)

    def summary(self, examples: int = 3) -> str:
        repaired = sum(1 for t in self.transcripts if t.notes)
        lines = [
            f"读取 read {self.read} = 解析 parsed {self.parsed} + 搁置 set aside {len(self.set_aside)}",
            f"消息 messages {self.messages}；有修复记录的会话 transcripts with repair notes {repaired}",
        ]
        if self.set_aside:
            lines.append("搁置原因 set aside by reason:")
            groups: dict[str, list[SetAside]] = {}
            for item in self.set_aside:
                groups.setdefault(reason_category(item.reason), []).append(item)
            for category, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
                shown = "; ".join(
                    f"{i.file}" + (f":{i.line}" if i.line is not None else "") for i in items[:examples])
                more = " …" if len(items) > examples else ""
                lines.append(f"  {len(items)} × {category}  ({shown}{more})")
        return "\n".join(lines)


_TAG = re.compile(r"\(([^()]*)\)\s*$")


def chinese_reason(reason: str) -> str:
    """The reason as the supervisor reads it: whole, without the English tag it ends with."""
    return _TAG.sub("", reason).strip() or reason


def reason_category(reason: str) -> str:
    """The short English tag a reason ends with, e.g. "(broken JSON)", else the reason itself."""
    m = _TAG.search(reason)
    return m.group(1) if m else reason


def read_paths(paths: Iterable[str | Path] | str | Path, session_gap: timedelta | None = None) -> ReadResult:
    """Everything `iter_read` gives, collected."""
    result = ReadResult()
    for item in iter_read(paths, session_gap):
        result.add(item)
    return result


def read_file(path: str | Path, session_gap: timedelta | None = None) -> list[Transcript | SetAside]:
    return list(_read_one(Path(path), session_gap))


def iter_read(paths: Iterable[str | Path] | str | Path, session_gap: timedelta | None = None
              ) -> Iterator[Transcript | SetAside]:
    """Transcripts and set-asides from files and folders, streamed one file at a time.

    `session_gap`: the idle time that ends a chat in exports without chat ids (Qianniu text,
    exporter JSON); default `qianniu.SESSION_GAP`."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in walk(path):
                yield from _read_one(file, session_gap)
        elif path.is_file():
            yield from _read_one(path, session_gap)
        else:
            yield SetAside(file=display_name(path), line=None, reason="文件或文件夹不存在 (no such file)")


def check_paths(paths: Iterable[str | Path]) -> None:
    """Raise ReadError (a Chinese message naming them) when an input path does not exist: a
    mistyped path is the user's error to fix, not a chat to set aside."""
    missing = [str(p) for p in paths if not Path(p).exists() and not Path(p).is_symlink()]
    if missing:
        shown = "、".join(display_name(p) for p in missing[:5]) + (" …" if len(missing) > 5 else "")
        raise ReadError(f"输入路径不存在：{shown}（请检查路径拼写；文件夹请写到文件夹本身）")


def walk(folder: Path) -> Iterator[Path]:
    """Files under `folder`, recursively, in sorted order; hidden and .graderignore'd ones skipped.

    Symbolic links to folders are followed, but a folder already being walked (a link loop such
    as `d/self -> .`) is not entered again, so every file is met once and the walk ends."""
    yield from _walk(folder, [], set())


def _walk(folder: Path, ignores: list[tuple[Path, str]], walking: set[tuple[int, int]]) -> Iterator[Path]:
    try:
        info = folder.stat()
    except OSError:  # a dangling link or a loop the system itself refuses
        return
    key = (info.st_dev, info.st_ino)
    if key in walking:
        return
    walking = walking | {key}
    ignore_file = folder / IGNORE_FILE
    if ignore_file.is_file():
        ignores = ignores + [(folder, p) for p in _ignore_patterns(ignore_file)]
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if any(_ignored(path, base, pattern) for base, pattern in ignores):
            continue
        try:
            is_dir, is_file = entry.is_dir(), entry.is_file()
        except OSError:  # e.g. a link in a loop: ELOOP
            continue
        if is_dir:
            yield from _walk(path, ignores, walking)
        elif is_file:
            yield path


def _ignore_patterns(file: Path) -> list[str]:
    text = file.read_text(encoding="utf-8", errors="replace")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _ignored(path: Path, base: Path, pattern: str) -> bool:
    relative = path.relative_to(base).as_posix()
    return fnmatch.fnmatch(relative, pattern.strip("/")) or fnmatch.fnmatch(path.name, pattern)


def display_name(path: str | Path) -> str:
    """The path as text that can be stored and shown: a file name in GBK bytes (from a Windows
    zip) is decoded as GBK, other undecodable bytes are shown as \\xNN escapes."""
    raw = os.fsencode(path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="backslashreplace")


def screened(items: Iterable[Transcript | SetAside]) -> Iterator[Transcript | SetAside]:
    """Each transcript checked by `screen` (set aside if it fails) and, when agents handed it over,
    one part per agent (`transfers.served_parts`); set-asides as they are."""
    for item in items:
        if isinstance(item, SetAside):
            yield item
            continue
        checked = screen(item)
        yield from served_parts(checked) if isinstance(checked, Transcript) else [checked]


def _read_one(path: Path, session_gap: timedelta | None = None, shown: str | None = None
              ) -> Iterator[Transcript | SetAside]:
    """Everything in one file; an unexpected failure sets aside the rest of the file.
    `shown`: the name to report instead of the path (a zip member's)."""
    file = shown or display_name(path)
    count = 0
    try:
        sniffed = sniff(path)
        if sniffed.format is None:
            count += 1
            yield SetAside(file=file, line=None, reason=sniffed.reason or "无法读取 (unreadable)")
            return
        for item in screened(_parse(path, file, sniffed.format, sniffed.encoding, session_gap)):
            count += 1
            yield item
    except OSError as exc:
        count += 1
        yield SetAside(file=file, line=None, reason=f"文件打不开：{exc.strerror or exc} (cannot open file)")
    except Exception as exc:  # noqa: BLE001 — a batch never dies on one file
        count += 1
        yield SetAside(file=file, line=None,
                       reason=f"读取中途出错，文件其余部分未读：{type(exc).__name__}: {exc} (reader error)")
    if count == 0:
        yield SetAside(file=file, line=None, reason="文件里没有任何会话 (no transcripts in file)")


def _parse(path: Path, file: str, fmt: str, encoding: str | None, session_gap: timedelta | None
           ) -> Iterator[Transcript | SetAside]:
    if fmt == "xlsx":
        yield from parse_xlsx(path, file)
        return
    if fmt == "zip":
        yield from _read_zip(path, file, session_gap)
        return
    if fmt == "json":
        yield from parse_json_document(path, file, encoding or "utf-8", session_gap)
        return
    with open_text(path, encoding or "utf-8") as stream:
        if fmt == "jsonl":
            yield from parse_jsonl(numbered_lines(stream), file, session_gap)
        elif fmt == "qianniu":
            yield from parse_qianniu(numbered_lines(stream), file, session_gap)
        else:
            yield from parse_csv(stream, file)



MAX_MEMBER_BYTES = 512 * 1024 * 1024  # a zip member larger than this unpacked is set aside (zip bomb)


def _read_zip(path: Path, file: str, session_gap: timedelta | None) -> Iterator[Transcript | SetAside]:
    """Every member of a zip archive, read like a file of its own and named "archive.zip/member".

    Folders, hidden members and macOS resource forks are skipped; a zip inside the zip, an
    encrypted member or one too large unpacked is set aside with the reason."""
    with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory(prefix="grader-zip-") as tmp:
        members = sorted(archive.infolist(), key=lambda i: member_name(i))
        for info in members:
            name = member_name(info)
            parts = name.split("/")
            if info.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts):
                continue
            shown = f"{file}/{name}"
            if info.flag_bits & 0x1:
                yield SetAside(file=shown, line=None, reason="压缩包里的文件有密码，无法读取 (encrypted zip member)")
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                yield SetAside(file=shown, line=None,
                               reason=f"压缩包里的文件解压后超过 {MAX_MEMBER_BYTES // 2**20} MB (zip member too large)")
                continue
            target = Path(tmp) / f"member{len(name)}-{abs(hash(name))}"
            try:
                with archive.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
                yield SetAside(file=shown, line=None, reason=f"压缩包里的文件解压失败：{exc} (broken zip member)")
                continue
            try:
                if zipfile.is_zipfile(target) and sniff(target).format == "zip":
                    yield SetAside(file=shown, line=None,
                                   reason="压缩包里又是压缩包，请先解压外层 (zip inside zip)")
                    continue
                yield from _read_one(target, session_gap, shown)
            finally:
                target.unlink(missing_ok=True)


def member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name as its author wrote it: names from Windows zips are GBK bytes
    without the UTF-8 flag (zipfile decodes those as cp437)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename
