"""The adopted model file beside the lexicons: adopt a candidate, roll back, load for grading.

``<lexicons>/learned_model.joblib`` holds the adopted `learned.Bundle`; adopting bumps its version
(1, 2, …), keeps the file it replaces as ``history/learned_model.v<N>.joblib`` and writes an entry in
``CHANGELOG.md``; rolling back restores the newest older version (or removes the file: rules only)
and keeps the rolled-back file in history too. The file is read only from the lexicon folder a shop
trusts (joblib files are pickles). Its version is part of every card's versions, so adopting or
rolling back re-grades on the next daily run.
"""
from __future__ import annotations

import re
import shutil
import sys
from datetime import date
from pathlib import Path

from grader.detectors.lexicon_files import check_writable
from grader.errors import ConfigError

NAME = "learned_model.joblib"
KEPT = re.compile(r"^learned_model\.v(\d+)\.joblib$")


def path_in(lexicon_dir) -> Path:
    return Path(lexicon_dir) / NAME


def save_candidate(bundle, path) -> Path:
    """Write a candidate (not adopted: no version) for `adopt` to take."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bundle.version = None
    joblib.dump(bundle, path)
    return path


def read(path):
    """The Bundle in `path`; ConfigError when it is not one."""
    import joblib

    from grader.learned import model
    from grader.learned.model import FORMAT, Bundle

    sys.modules.setdefault("grader.calibration.learned", model)  # files saved before the move name it so
    try:
        bundle = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 — any unreadable file is refused with its reason
        raise ConfigError(f"模型文件 {path} 无法读取：{exc}") from exc
    if not isinstance(bundle, Bundle) or getattr(bundle, "format", None) != FORMAT:
        raise ConfigError(f"模型文件 {path} 不是本工具的模型（格式 {FORMAT}）")
    return bundle


def load_adopted(lexicon_dir):
    """The adopted Bundle of `lexicon_dir`, or None when there is none (rules only)."""
    path = path_in(lexicon_dir)
    return read(path) if path.exists() else None


def _log(lexicon_dir: Path, text: str) -> None:
    changelog = lexicon_dir / "CHANGELOG.md"
    head = "" if changelog.exists() else "# 词典变更记录（grader calibrate）\n"
    with changelog.open("a", encoding="utf-8") as fh:
        fh.write(head + text + "\n")


def _kept(history: Path) -> dict[int, Path]:
    return {int(m.group(1)): p for p in history.glob("learned_model.v*.joblib") if (m := KEPT.match(p.name))}


def adopt(candidate, lexicon_dir, by: str = "calibrate", today: date | None = None) -> Path:
    """Make the candidate file the adopted model of `lexicon_dir` with the next version; returns its path.
    Raises ConfigError when the candidate is not a model file of this tool, or `lexicon_dir` is inside
    an installed package."""
    import joblib

    lexicon_dir = check_writable(lexicon_dir)
    bundle = read(candidate)
    if not bundle.models:
        raise ConfigError("候选模型里没有任何被推荐的模型（标签太少或没有胜过规则），不能采纳")
    current = load_adopted(lexicon_dir)
    history = lexicon_dir / "history"
    history.mkdir(exist_ok=True)
    versions = [int(current.version)] if current else []
    versions += list(_kept(history))
    new_version = max(versions, default=0) + 1
    if current:
        shutil.copyfile(path_in(lexicon_dir), history / f"learned_model.v{current.version}.joblib")
    bundle.version = str(new_version)
    joblib.dump(bundle, path_in(lexicon_dir))
    models = "，".join(f"{shop or '（全部）'}：{'、'.join(sorted(items))}" for shop, items in bundle.models.items())
    figures = "；".join(f"{e.shop or '（全部）'}/{e.item} 一致率 {e.rules:.1%} → {e.model:.1%}（差值 95% 区间 "
                       f"{e.difference_ci[0]:+.1%}～{e.difference_ci[1]:+.1%}，{e.n} 个标签）"
                       for e in bundle.evaluations if e.offered)
    _log(lexicon_dir, f"\n## {(today or date.today()).isoformat()} · 学习模型 v{new_version}（{by} 采纳）\n"
                      f"- 模型：{models}；训练期间 {bundle.period}\n- 交叉验证：{figures}")
    return path_in(lexicon_dir)


def rollback(lexicon_dir, by: str = "calibrate", today: date | None = None) -> str | None:
    """Go back one model version: the newest kept version below the adopted one, or rules only.
    Returns the version now adopted (None: rules only). Raises ConfigError when no model is adopted,
    or `lexicon_dir` is inside an installed package."""
    import joblib

    lexicon_dir = check_writable(lexicon_dir)
    current = load_adopted(lexicon_dir)
    if current is None:
        raise ConfigError("没有已采纳的模型，无需回退")
    history = lexicon_dir / "history"
    history.mkdir(exist_ok=True)
    shutil.copyfile(path_in(lexicon_dir), history / f"learned_model.v{current.version}.joblib")
    older = {v: p for v, p in _kept(history).items() if v < int(current.version)}
    stamp = (today or date.today()).isoformat()
    if older:
        back = max(older)
        bundle = read(older[back])
        joblib.dump(bundle, path_in(lexicon_dir))
        _log(lexicon_dir, f"\n## {stamp} · 学习模型回退 v{current.version} → v{back}（{by}）\n")
        return str(back)
    path_in(lexicon_dir).unlink()
    _log(lexicon_dir, f"\n## {stamp} · 学习模型回退 v{current.version} → 只用规则（{by}）\n")
    return None
