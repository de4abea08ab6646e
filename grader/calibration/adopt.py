"""Adoption: write the accepted proposals into new versions of the lexicon files."""
from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

from grader.calibration.proposals import Proposal, modify_lexicon_text
from grader.detectors.lexicon import LexiconSet, parse_lexicon
from grader.detectors.lexicon_files import check_writable
from grader.errors import ConfigError

VERSION_LINE = re.compile(r"^(#\s*version\s*:\s*)(\S+)\s*$", re.M)
KIND_LABELS = {"add": "新增", "remove": "删除", "exclude": "加排除"}


def bump(version: str) -> str:
    m = re.match(r"^(.*?)(\d+)$", version)
    return f"{m.group(1)}{int(m.group(2)) + 1}" if m else f"{version}.1"


def read_accept_file(path: str | Path) -> list[str]:
    """Proposal ids, one a line; blank lines and # comments are skipped."""
    ids = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            ids.append(line)
    return ids


def _evidence(p: Proposal) -> str:
    ev = p.evaluation or {}
    measured = ""
    if ev.get("before_agreement") is not None:
        measured = (f"；交叉验证（留出会话）一致率 {ev['before_agreement']:.1%} → {ev['after_agreement']:.1%}"
                    f"，{ev.get('folds_chosen', 0)}/{ev.get('folds', 0)} 折选中")
    return f"支持 {p.support} 个会话，反例 {p.against} 个{measured}"


def apply(proposals: list[Proposal], lexicon_dir: str | Path, accepted_ids, today: date | None = None,
          by: str = "calibrate") -> list[Path]:
    """Write accepted proposals into the lexicon files of `lexicon_dir`; returns the files written.

    For each lexicon touched: the old file is kept as ``history/<name>.v<old>.txt``, the
    ``# version:`` header is bumped, every new or changed line gets a comment line above it with
    the date and support, and ``CHANGELOG.md`` gets an entry.

    Raises ConfigError for unknown ids, and when `lexicon_dir` is inside an installed package
    (`grader.detectors.lexicon_files.check_writable`: copy the lexicons first).
    """
    lexicon_dir = Path(lexicon_dir)
    accepted = list(dict.fromkeys(accepted_ids))
    known = {p.id: p for p in proposals}
    unknown = [i for i in accepted if i not in known]
    if unknown:
        raise ConfigError(f"unknown proposal ids: {', '.join(unknown)}; known: {', '.join(known) or 'none'}")
    chosen = [known[i] for i in accepted]
    if not chosen:
        return []
    check_writable(lexicon_dir)
    stamp = (today or date.today()).isoformat()
    lexicons = LexiconSet.load(lexicon_dir)
    written: list[Path] = []
    log: list[str] = []
    for name in dict.fromkeys(p.lexicon for p in chosen):
        props = [p for p in chosen if p.lexicon == name]
        lex = lexicons.get_or_fail(name)
        path = Path(lex.path)
        text = path.read_text(encoding="utf-8")
        new_version = bump(lex.version)
        history = lexicon_dir / "history"
        history.mkdir(exist_ok=True)
        keep = history / f"{name}.v{lex.version}.txt"
        n = 1
        while keep.exists():  # never overwrite an older copy
            n += 1
            keep = history / f"{name}.v{lex.version}.{n}.txt"
        shutil.copyfile(path, keep)
        new_text = modify_lexicon_text(
            text, props, note=lambda p: f"{stamp} {by}：{KIND_LABELS[p.kind]} {p.id}（{_evidence(p)}）")
        new_text = VERSION_LINE.sub(lambda m: f"{m.group(1)}{new_version}", new_text, count=1)
        parse_lexicon(new_text, str(path))  # refuse to write a file the grader could not read
        path.write_text(new_text, encoding="utf-8")
        written.append(path)
        log.append(f"\n## {stamp} · {name} v{lex.version} → v{new_version}\n")
        log.append(f"旧版本保存在 `history/{keep.name}`。\n")
        for p in props:
            what = {"add": f"新增词 `{p.term}`", "remove": f"删除词 `{p.term}`",
                    "exclude": f"`{p.term}` 加排除：前面是 `{p.exclusion}` 时不算"}[p.kind]
            log.append(f"- `{p.id}`：{what}；{_evidence(p)}。{p.note}")
            for q in p.examples[:2]:
                log.append(f"  - 例（{q.transcript_id}）：{q.text}")
    changelog = lexicon_dir / "CHANGELOG.md"
    head = "" if changelog.exists() else "# 词典变更记录（grader calibrate）\n"
    with changelog.open("a", encoding="utf-8") as fh:
        fh.write(head + "\n".join(log) + "\n")
    written.append(changelog)
    return written
