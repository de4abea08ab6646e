"""The shop's own lexicon copy: calibration writes there, never into an installed package."""
import json

import pytest

from grader.calibration import apply
from grader.calibration.proposals import Proposal
from grader.cli import EXIT_ERROR, EXIT_OK, main
from grader.detectors.lexicon import LexiconSet
from grader.detectors.lexicon_files import SHIPPED, check_writable, copy_lexicons, is_installed_package
from grader.errors import ConfigError


@pytest.mark.parametrize("parts, installed", [
    (("venv", "lib", "python3.11", "site-packages", "grader", "lexicons"), True),
    (("usr", "lib", "python3", "dist-packages", "grader", "lexicons"), True),
    (("work", "checkout", "grader", "lexicons"), False),
    (("shop", "词库"), False),
    (("shop", "my-site-packages-notes"), False),  # tricky: the word inside a folder name is not the folder
])
def test_installed_package_is_told_by_a_whole_folder_name(tmp_path, parts, installed):
    directory = tmp_path.joinpath(*parts)
    assert is_installed_package(directory) is installed
    if installed:
        with pytest.raises(ConfigError, match="grader lexicons --copy"):
            check_writable(directory)
    else:
        assert check_writable(directory) == directory


def test_the_shipped_lexicons_of_a_checkout_are_writable():
    assert not is_installed_package(SHIPPED)


def test_copy_gives_a_folder_that_loads_the_same_lexicons(tmp_path):
    written = copy_lexicons(tmp_path / "词库")
    assert len(written) == len(list(SHIPPED.glob("*.txt")))
    shipped, copied = LexiconSet.load(SHIPPED), LexiconSet.load(tmp_path / "词库")
    assert {n: lex.version_tag for n, lex in copied.items()} == {n: lex.version_tag for n, lex in shipped.items()}


def test_copy_never_overwrites_a_shops_edits(tmp_path):
    copy_lexicons(tmp_path / "词库")
    edited = tmp_path / "词库" / "promotion.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "店铺自加\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="不会覆盖"):
        copy_lexicons(tmp_path / "词库")
    assert edited.read_text(encoding="utf-8").endswith("店铺自加\n")


def test_copy_into_an_existing_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    assert copy_lexicons(tmp_path / "empty")


def test_apply_refuses_an_installed_package_and_writes_nothing(tmp_path):
    installed = tmp_path / "site-packages" / "grader" / "lexicons"
    copy_lexicons(installed)
    before = (installed / "promotion.txt").read_text(encoding="utf-8")
    proposal = Proposal(id="promotion+立享", kind="add", lexicon="promotion", item="presale.promotion",
                        term="立享", note="", support=5, against=0)
    with pytest.raises(ConfigError, match="安装包"):
        apply([proposal], installed, ["promotion+立享"])
    assert (installed / "promotion.txt").read_text(encoding="utf-8") == before
    assert not (installed / "history").exists()


def test_cli_lists_versions_and_copies(tmp_path, capsys):
    assert main(["lexicons"]) == EXIT_OK
    listing = capsys.readouterr().out
    assert "词库文件夹" in listing and "polite" in listing and "polite_language" in listing
    assert main(["lexicons", "--copy", str(tmp_path / "词库")]) == EXIT_OK
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["copied"] > 30
    assert main(["lexicons", "--copy", str(tmp_path / "词库")]) == EXIT_ERROR
    assert "不会覆盖" in capsys.readouterr().err
