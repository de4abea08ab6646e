"""A wheel install (not editable) carries everything grading needs: lexicons, rubric, templates, notices.

The wheel is built from the working tree, installed with `pip install --no-deps --target` into a
folder of its own, and `grader grade` runs from an unrelated folder (no ./lexicons, the repository
not on the path) on the bundled samples. This is what a user gets from `pip install .`.
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "transcripts"


def _pip(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("setuptools")
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for name in ("pyproject.toml", "README.md"):  # a copy: the build writes build/ and *.egg-info beside it
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "grader", source / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    built = _pip("wheel", "--no-deps", "--no-build-isolation", "--no-cache-dir", "-q", "-w", str(out), str(source))
    if built.returncode != 0 and "invalid command 'bdist_wheel'" in built.stderr:
        pytest.skip("this environment's setuptools cannot build wheels (needs setuptools>=70.1 or wheel)")
    assert built.returncode == 0, built.stderr[-3000:]
    (found,) = out.glob("grader-*.whl")
    return found


def test_the_wheel_holds_the_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("grader/lexicons/polite.txt", "grader/rubric/standard.toml", "grader/report/policy.toml",
                   "grader/review/templates/base.html", "grader/report/templates/report.html",
                   "grader/calibration/templates/calibration_page.html", "grader/transcript/qianniu_notices.txt",
                   "grader/privacy/pii.toml"):
        assert needed in names, needed
    lexicons = {n for n in names if n.startswith("grader/lexicons/") and n.endswith(".txt")}
    assert len(lexicons) == len(list((REPO / "grader" / "lexicons").glob("*.txt")))
    assert not any(n.startswith(("tests/", "bench/", "scripts/")) for n in names)


def test_an_installed_wheel_grades_the_samples(wheel, tmp_path):
    site = tmp_path / "site"
    installed = _pip("install", "--no-deps", "--no-cache-dir", "-q", "--target", str(site), str(wheel))
    assert installed.returncode == 0, installed.stderr[-3000:]
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("GRADER_LEXICONS", "PYTHONPATH", "GRADER_DB")}
    env["PYTHONPATH"] = str(site)
    run = subprocess.run(
        [sys.executable, "-c", "import sys, grader.cli; print(grader.cli.__file__, file=sys.stderr); "
                               "sys.exit(grader.cli.main())",
         "grade", str(SAMPLES), "--date", "2026-11-22", "--db", "g.db", "--out", "out", "--quiet"],
        cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert str(site) in run.stderr.splitlines()[0], run.stderr  # the installed copy, not the repository
    assert run.returncode == 0, run.stderr[-3000:]
    counts = json.loads(run.stdout.strip().splitlines()[-1])
    assert counts["status"] == "ok" and counts["graded"] > 0 and counts["set_aside"] == 0
    cards = (work / "out" / "scorecards.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(cards) == counts["graded"]
