"""Where a shop's lexicons live: the copy shipped in the package, and the shop's own copy.

The lexicons shipped in `grader/lexicons/` are the project's; after a wheel install they sit inside
site-packages, where an upgrade replaces them. A shop that adopts calibration proposals first copies
them to a folder of its own (`grader lexicons --copy 词库/`) and grades with `--lexicons 词库/`
(or `GRADER_LEXICONS`); `grader calibrate --apply` refuses to write into an installed package.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from grader.errors import ConfigError

SHIPPED = Path(__file__).resolve().parents[1] / "lexicons"
INSTALLED_MARKERS = ("site-packages", "dist-packages")


def is_installed_package(directory: str | Path) -> bool:
    """True when `directory` is inside an installed Python package (site-packages / dist-packages),
    where written files are lost at the next upgrade. A source checkout's `grader/lexicons` is not."""
    return any(part in INSTALLED_MARKERS for part in Path(directory).resolve().parts)


def check_writable(directory: str | Path) -> Path:
    """`directory` as a Path when lexicon changes may be written there.

    Raises ConfigError when it is an installed package's folder (copy the lexicons first)."""
    directory = Path(directory)
    if is_installed_package(directory):
        raise ConfigError(f"词库 {directory} 在安装包里，升级时会被覆盖，不能在这里写入修改："
                          "请先运行 grader lexicons --copy 词库/，再用 --lexicons 词库/（或 GRADER_LEXICONS）指向这份副本")
    return directory


def copy_lexicons(dest: str | Path, source: str | Path = SHIPPED) -> list[Path]:
    """Copy every lexicon file (`*.txt`, plus CHANGELOG.md and history/ when present) of `source`
    into the new or empty folder `dest`; returns the lexicon files written, sorted.

    Raises ConfigError when `dest` already holds lexicon files (a shop's edits are never overwritten)."""
    source, dest = Path(source), Path(dest)
    if dest.exists() and any(dest.glob("*.txt")):
        raise ConfigError(f"{dest} 里已经有词库文件，不会覆盖：请换一个空文件夹")
    dest.mkdir(parents=True, exist_ok=True)
    written = [Path(shutil.copy2(path, dest / path.name)) for path in sorted(source.glob("*.txt"))]
    if (source / "CHANGELOG.md").exists():
        shutil.copy2(source / "CHANGELOG.md", dest / "CHANGELOG.md")
    if (source / "history").is_dir():
        shutil.copytree(source / "history", dest / "history", dirs_exist_ok=True)
    return written
