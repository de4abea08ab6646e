"""SetAside: a transcript (or file) the reader could not read, with where and why.

Lives apart from reader.py so the format parsers can use it without importing the reader.
"""
from __future__ import annotations

from pydantic import BaseModel


class SetAside(BaseModel):
    """Something that could not be read. `reason` is written for the supervisor (Chinese first)."""

    file: str
    line: int | None
    reason: str
    transcript_id: str | None = None
    # The first and last line of what was set aside, when it spans lines (a chat of a per-message
    # export, a batch of records of one layout not understood); `line` is where the trouble is.
    span: tuple[int, int] | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        who = f" [{self.transcript_id}]" if self.transcript_id else ""
        return f"{where}{who}: {self.reason}"
