"""Every command's --help is for the supervisor: in Chinese, with an example, stating the real defaults."""
import argparse
import re

import pytest

from grader.cli import build_parser

CJK = re.compile(r"[\u4e00-\u9fff]")


def commands(parser: argparse.ArgumentParser, prefix=("grader",)):
    """(name, parser) of the top command and every sub-command, depth first."""
    yield " ".join(prefix), parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*prefix, name))


ALL = list(commands(build_parser()))


def test_every_command_is_listed():
    names = {name for name, _ in ALL}
    for expected in ("grader grade", "grader read", "grader report", "grader month", "grader review",
                     "grader override", "grader calibrate", "grader user add", "grader audit verify", "grader purge",
                     "grader retention set"):
        assert expected in names


@pytest.mark.parametrize("name, parser", ALL, ids=[name for name, _ in ALL])
def test_help_is_chinese_with_an_example(name, parser):
    text = parser.format_help()
    assert "例：" in text and name in text.split("例：", 1)[1]  # an example of this very command
    assert "用法：" in text and "usage:" not in text and "show this help message" not in text
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            assert CJK.search(action.help), f"{name} {action.option_strings or action.dest}: {action.help!r}"


def test_lexicons_help_states_the_real_default():
    from grader.detectors.lexicon import default_lexicon_dir

    text = dict(ALL)["grader grade"].format_help()
    assert "grader/lexicons" in text and "./lexicons" not in text
    assert default_lexicon_dir().parts[-2:] == ("grader", "lexicons")
