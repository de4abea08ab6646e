"""The lexicon rule vocabulary and the quick filter in front of it."""
from re import _parser as sre_parse

import pytest

from grader.detectors.lexicon import LexiconSet, _required, _required_groups, parse_lexicon
from grader.errors import ConfigError
from tests.builders import chat

HEADER = "# name: t\n# version: 1\n# role: agent\n"


@pytest.mark.parametrize("pattern, required", [
    ("(?:给|为)?您推荐", {"您推荐"}),               # an optional part needs nothing
    (r"满\d+减\d+", {"满"}),
    ("(?:推荐|建议)(?:您|亲)?(?:拍|选)", {"推荐", "建议"}),  # the most selective set wins
    ("吗[~～]*$", {"吗"}),
    ("(?<!不)包邮", {"包邮"}),                       # look-behinds need nothing
    ("(?:a|)b", {"b"}),                              # an empty branch makes the group need nothing
    (r"\d+折", {"折"}),
    ("(?:有|还有)货", {"有", "还有"}),             # both groups are needed; this one is the most selective
])
def test_required_strings(pattern, required):
    assert _required(sre_parse.parse(pattern)) == required


@pytest.mark.parametrize("pattern, groups", [
    ("(?:有|还有)货", [{"有", "还有"}, {"货"}]),
    (r"满\d+减\d+", [{"满"}, {"减"}]),
    ("(?:我|小妹)?(?:帮|给)(?:您|你)(?:申请|补发)", [{"帮", "给"}, {"您", "你"}, {"申请", "补发"}]),
    ("(?:a|)b", [{"b"}]),
    ("(?:退|换)+货", [{"退", "换"}, {"货"}]),
])
def test_required_groups(pattern, groups):
    assert _required_groups(sre_parse.parse(pattern)) == groups


@pytest.mark.parametrize("text, tried", [
    ("还有货吗", True),
    ("有的，亲", False),     # 有 without 货: the term cannot match, not even tried
    ("货到了", False),
])
def test_a_term_is_tried_only_on_texts_holding_a_string_of_each_group(text, tried):
    lex = parse_lexicon(HEADER + "re:(?:有|还有)货\n")
    assert lex.might_match(text) == tried == bool(lex.find(text))


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
    assert lex.find(text, lambda start, end: True)  # every span whole words
    assert lex.might_match(text) and not lex.might_match("你好")


@pytest.mark.parametrize("text", ["哈哈哈哈哈", "哈，哈哈", "好的哈哈好的", "没有哈"])
def test_plain_terms_and_regex_terms_find_the_same_spans(text):
    plain = parse_lexicon(HEADER + "哈哈\n好的\n")
    regex = parse_lexicon(HEADER + "re:(哈)哈\nre:(好)的\n")  # not a plain string: matched by regex
    assert plain.terms[0].literal == "哈哈" and regex.terms[0].literal is None
    assert [m[1:] for m in plain.find(text)] == [m[1:] for m in regex.find(text)]


@pytest.mark.parametrize("pattern", ["re:(?i)vip", "re:(?i:vip)", "re:(?i:v)ip"])
@pytest.mark.parametrize("text", ["升级VIP会员", "升级vip", "Vip", "vİp"])  # İ: re matches it for i
def test_case_insensitive_patterns_are_found_in_every_spelling(pattern, text):
    lex = parse_lexicon(HEADER + pattern + "\n")
    expected = [m.group(0) for m in lex.terms[0].regex.finditer(text)]
    assert [m.text for m in lex.find(text)] == expected and (lex.might_match(text) or not expected)
    assert not lex.always_tried and not lex.might_match("升级会员")


def test_too_many_spellings_filter_nothing():
    lex = parse_lexicon(HEADER + "re:(?i)abcdefghij\n")  # 2**10 spellings
    assert lex.always_tried and [m.text for m in lex.find("xAbCdEfGhIj")] == ["AbCdEfGhIj"]


def test_a_shared_literal_index_finds_what_each_lexicon_finds_alone():
    texts = ("c 10:00:00 有满减吗", "a 10:00:05 您好，满300减30，记得领券", "a 10:00:09 亲，谢谢您")
    alone = LexiconSet({"promotion": parse_lexicon(HEADER.replace("t\n", "promotion\n", 1)
                                                   + "re:满\\d+减\\d+\n领券\n"),
                        "polite": parse_lexicon(HEADER.replace("t\n", "polite\n", 1) + "谢谢\n您好\n亲\n")})
    separate = {name: [(m.index, x.text) for m, x in chat(*texts).find(lex)] for name, lex in alone.items()}
    alone.share_index()
    assert len({id(lex.index) for lex in alone.values()}) == 1
    shared = {name: [(m.index, x.text) for m, x in chat(*texts).find(lex)] for name, lex in alone.items()}
    assert shared == separate == {"promotion": [(1, "满300减30"), (1, "领券")],
                                  "polite": [(1, "您好"), (2, "亲"), (2, "谢谢")]}


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
