"""The lexicon rule vocabulary and the quick filter in front of it."""
from re import _parser as sre_parse

import pytest

from grader.detectors.lexicon import _required, parse_lexicon
from grader.errors import ConfigError

HEADER = "# name: t\n# version: 1\n# role: agent\n"


@pytest.mark.parametrize("pattern, required", [
    ("(?:给|为)?您推荐", {"您推荐"}),               # an optional part needs nothing
    (r"满\d+减\d+", {"满"}),
    ("(?:推荐|建议)(?:您|亲)?(?:拍|选)", {"推荐", "建议"}),  # the most selective set wins
    ("吗[~～]*$", {"吗"}),
    ("(?<!不)包邮", {"包邮"}),                       # look-behinds need nothing
    ("(?:a|)b", {"b"}),                              # an empty branch makes the group need nothing
    (r"\d+折", {"折"}),
])
def test_required_strings(pattern, required):
    assert _required(sre_parse.parse(pattern)) == required


def test_a_pattern_with_no_required_string_is_tried_on_every_text():
    lex = parse_lexicon(HEADER + "re:\\d{3}\n优惠\n")
    assert lex.always_tried and lex.might_match("你好")
    assert [m.text for m in lex.find("编号123有优惠")] == ["123", "优惠"]


def test_without_such_patterns_texts_lacking_every_required_string_are_skipped():
    lex = parse_lexicon(HEADER + "re:满\\d+减\\d+\n优惠\n")
    assert lex.might_match("满300减30") and lex.might_match("有优惠") and not lex.might_match("你好，减价")


@pytest.mark.parametrize("text, found", [
    ("哈哈哈", ["哈哈"]),                       # repeats do not overlap, as with re.finditer
    ("好的好的", ["好的", "好的"]),
    ("您好，请问", ["您好", "请问"]),             # the longest term at a position wins (您好 over 您)
])
def test_plain_terms_found_from_the_scan_match_like_regexes(text, found):
    lex = parse_lexicon(HEADER + "哈哈\n好的\n您\n您好\n请问\n")
    assert all(t.literal for t in lex.terms)
    assert [m.text for m in lex.find(text)] == found


@pytest.mark.parametrize("text", ["满300减30", "现在满199减20哦", "这款没有优惠", "领券下单", "请问"])
def test_the_filter_never_hides_a_match(text):
    lex = parse_lexicon(HEADER + "re:满\\d+减\\d+\n优惠 ; unless_before=没有\n领券\n请 ; word\n")
    assert lex.find(text, frozenset(range(len(text) + 1)))
    assert lex.might_match(text) and not lex.might_match("你好")


@pytest.mark.parametrize("line, message", [
    ("re:满(\\d+", "bad regular expression"),
    ("优惠 ; maybe", "unknown option"),
    ("优惠 ; unless_before=(", "bad exclusion"),
])
def test_broken_lexicon_lines_say_where_and_how_to_fix(line, message):
    with pytest.raises(ConfigError, match=message):
        parse_lexicon(HEADER + line + "\n", "x.txt")


def test_missing_header_is_refused():
    with pytest.raises(ConfigError, match="# version"):
        parse_lexicon("# name: t\n# role: agent\n优惠\n")
