"""The README shows what the commands print: its sample card is `grader show`'s output on the samples."""
import re
from pathlib import Path

from grader.cli import main

REPO = Path(__file__).resolve().parents[1]
SHOW = "grader show jd-xinghe-102 --db out/grader.db"


def readme_block(after: str) -> str:
    """The first fenced block after the line that mentions `after`."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(after)
    m = re.compile(r"```[a-z]*\n(.*?)```", re.S).search(text, start)
    return m.group(1).rstrip("\n")


def test_the_readme_sample_card_is_what_grader_show_prints(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)  # the README's command, on the bundled samples, its paths relative to the repository
    db = str(tmp_path / "grader.db")
    assert main(["grade", "transcripts/", "--date", "2026-11-22", "--db", db, "--out", str(tmp_path / "out"),
                 "--quiet", "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["show", "jd-xinghe-102", "--db", db]) == 0
    printed = capsys.readouterr().out.rstrip("\n")
    assert printed == readme_block(SHOW), "update the README's sample card: run the first command, then " + SHOW
