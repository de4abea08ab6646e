"""Scorecard files a supervisor opens: JSON lines for tools, CSV (UTF-8 with BOM) for Excel.

Personal information is masked in all three files unless the caller passes a disabled masker
(grader.privacy); every CSV text cell is neutralised against formula injection (grader.spreadsheet).
"""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from grader.display import NOT_APPLICABLE, platform_label, yes_no
from grader.privacy import Masker, load_masker
from grader.rubric import Rubric
from grader.scorecard.model import Scorecard, Versions, versions_key
from grader.scorecard.view import card_view, view_json
from grader.spreadsheet import csv_safe_row

METRIC_LABELS = {
    "first_response_seconds": "首次响应(秒)",
    "avg_response_seconds": "平均响应(秒)",
    "max_wait_seconds": "最长等待(秒)",
    "replied_within_30s_share": "30秒内回复占比",
    "unanswered_turns": "未回复轮次",
    "polite_coverage": "礼貌用语覆盖率",
}
HEAD_LABELS = ["会话ID", "平台", "店铺", "客服", "顾客", "开始时间", "场景", "总分", "等级", "需复核", "需复核项目",
               "不适用项目", "红线（一票否决）"]


def csv_header(rubric: Rubric) -> list[str]:
    """The CSV's header: the card's columns, one per rubric item ("首次响应时间(10)"), the metrics."""
    return HEAD_LABELS + [f"{i.label}({i.max})" for i in rubric.items] + list(METRIC_LABELS.values())


def local_start(card: Scorecard, tz: ZoneInfo) -> str:
    """The chat's start on the shop's clock, "YYYY-MM-DD HH:MM:SS" (Excel reads it as a date and time)."""
    return card.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if card.started_at else ""


def csv_row(card: Scorecard, rubric: Rubric, tz: ZoneInfo) -> list:
    """One CSV row: platform in Chinese, start time local in `tz` (the run's --tz), 不适用 in the cell
    of an item whose occasion never arose (so a column's average leaves it out)."""
    scores = {i.id: NOT_APPLICABLE if i.not_applicable else i.score for i in card.items}
    flagged = "、".join(i.label for i in card.items if i.needs_review)
    row = [card.transcript_id, platform_label(card.platform), card.shop or "", card.agent or "",
           card.customer or "", local_start(card, tz), card.scenario_label, card.total,
           card.band, yes_no(card.needs_review), flagged,
           "、".join(i.label for i in card.items if i.not_applicable), "、".join(r.label for r in card.red_lines)]
    row += [scores.get(i.id, "") for i in rubric.items]  # the other scenario's items stay empty
    row += ["" if card.metrics.get(k) is None else card.metrics[k] for k in METRIC_LABELS]
    return row


class ScorecardFiles:
    """Writes DIR/scorecards.jsonl (supervisor views, `grader.scorecard.view`), DIR/scorecards.csv,
    DIR/set_aside.jsonl and DIR/scorecards.versions.json (versions key -> versions) as a run goes.

    The files are written under temporary names (`.part`) and put in place only by
    `close(commit=True)`: a run that fails half-way (a full disk, an interrupt) leaves the previous
    files as they were and no half-written line behind."""

    NAMES = ("scorecards.jsonl", "scorecards.csv", "set_aside.jsonl")

    def __init__(self, out_dir: str | Path, rubric: Rubric, tz: ZoneInfo, versions: Versions | None = None,
                 masker: Masker | None = None):
        self.masker = masker if masker is not None else load_masker()  # personal information (grader.privacy)
        self.dir = Path(out_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rubric = rubric
        self.tz = tz  # the run's --tz: start times on the shop's clock
        self.versions: dict[str, dict] = {}
        if versions is not None:
            self.versions[versions_key(versions)] = versions.model_dump()
        self._parts = [self.dir / f".{name}.part" for name in self.NAMES]
        self._jsonl: IO = open(self._parts[0], "w", encoding="utf-8")
        self._csv_file: IO = open(self._parts[1], "w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(csv_safe_row(csv_header(rubric)))
        self._aside: IO = open(self._parts[2], "w", encoding="utf-8")
        self._closed = False

    def write(self, cards: list[Scorecard]) -> None:
        rows = []
        for card in cards:
            key = versions_key(card.versions)
            self.versions.setdefault(key, card.versions.model_dump())
            rows.append((view_json(card_view(card, key)), csv_row(card, self.rubric, self.tz)))
        self.write_serialized(rows)

    def write_serialized(self, rows: list[tuple[str, list]], json_masked: bool = False) -> None:
        """Scorecards already serialized (by workers): (JSON line, CSV row) each.

        `json_masked`: the caller masked the JSON lines already (grader.batch does, from pairs the
        workers found); CSV rows are always masked here.
        """
        mask = self.masker
        for card_json, row in rows:
            self._jsonl.write((card_json if json_masked else mask.mask_json_line(card_json)) + "\n")
            self._csv.writerow(csv_safe_row(mask.mask_row(row)))  # every text cell, whoever built the row

    def write_set_aside(self, items: list) -> None:
        for s in items:
            doc = s.model_dump(exclude={"span"} if s.span is None else None)
            self._aside.write(json.dumps(self.masker.mask_value(doc), ensure_ascii=False) + "\n")

    def close(self, commit: bool = True) -> None:
        """Finish the files: put them in place (`commit`), or drop them and keep the old ones."""
        if self._closed:
            return
        self._closed = True
        files = (self._jsonl, self._csv_file, self._aside)
        error: OSError | None = None
        if commit:
            try:
                for f in files:
                    f.flush()
                    os.fsync(f.fileno())
            except OSError as exc:  # e.g. the disk is full
                error, commit = exc, False
        for f in files:
            try:
                f.close()
            except OSError as exc:
                error, commit = error or exc, False
        for part, name in zip(self._parts, self.NAMES):
            if commit:
                os.replace(part, self.dir / name)
            else:
                part.unlink(missing_ok=True)
        if error is not None:
            raise error
        if commit:
            versions_file = self.dir / ".scorecards.versions.json.part"
            versions_file.write_text(json.dumps(self.versions, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(versions_file, self.dir / "scorecards.versions.json")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.close(commit=exc_type is None)
