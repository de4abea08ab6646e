"""Speed work changes how scorecards are computed, never what they say.

The fast path (one literal scan per message, candidate terms by mask, plain-string spans from the
scan, matches cached per chat) is compared with a reference that tries every term's regular
expression on every message in scope and resolves overlaps as `Lexicon.find` documents, on a fixed
sample: seeded bench chats, the bundled transcripts and the held-out chats. Both sides use today's
lexicons, so an edit to a lexicon changes both alike and the test keeps meaning the same thing.
"""
from pathlib import Path

import pytest

from bench.generate import generate
from grader.detectors.chat import Chat
from grader.detectors.lexicon import Lexicon, Match, _exclusion
from grader.pipeline import Grader
from grader.transcript.reader import SetAside, iter_read

ROOT = Path(__file__).resolve().parents[1]


def reference_find(lexicon: Lexicon, text: str, words) -> list[Match]:
    """Every term's regex over the whole text; leftmost first, then longest, then file order;
    overlaps dropped; `word` terms only on whole jieba words; exclusions marked."""
    hits = []
    for k, term in enumerate(lexicon.terms):
        for m in term.regex.finditer(text):
            if m.end() > m.start():
                hits.append((m.start(), m.start() - m.end(), k, term))
    found, taken_until = [], 0
    for start, negative_length, _, term in sorted(hits, key=lambda h: h[:3]):
        end = start - negative_length
        if start < taken_until or (term.word and not words(start, end)):
            continue
        excluded = _exclusion(term, text, start, end) if term.unless_before or term.unless_after else None
        found.append(Match(term, start, end, text[start:end], excluded))
        taken_until = end
    return found


def reference_chat_find(self: Chat, lexicon: Lexicon, messages=None, include_excluded: bool = False):
    hits = []
    for m in self.scope(lexicon) if messages is None else messages:
        for match in reference_find(lexicon, m.text, lambda s, e, i=m.index: self.is_words(i, s, e)):
            if include_excluded or match.excluded_by is None:
                hits.append((m, match))
    return hits


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """About 300 chats: 240 seeded bench chats in all three formats, the bundled and held-out chats."""
    folder = generate(240, tmp_path_factory.mktemp("sample"), seed=20, per_file=40, jobs=1)
    paths = [folder, ROOT / "transcripts", ROOT / "tests" / "data" / "heldout"]
    chats = [t for t in iter_read(paths) if not isinstance(t, SetAside)]
    assert len(chats) > 270
    return chats


def test_the_fast_path_grades_the_sample_like_the_reference(sample, monkeypatch):
    grader = Grader()
    fast = [grader.grade(t).model_dump_json() for t in sample]
    monkeypatch.setattr(Chat, "find", reference_chat_find)
    reference = [grader.grade(t).model_dump_json() for t in sample]
    differing = [t.id for t, a, b in zip(sample, fast, reference) if a != b]
    assert not differing, f"{len(differing)} scorecards differ from the reference path: {differing[:5]}"
    assert sum('"findings":[{' in card for card in fast) > len(sample) // 2  # the sample exercises matching


@pytest.mark.parametrize("text", [
    pytest.param("您好，请稍等，马上帮您查", id="plain-text"),
    pytest.param("满300减30，没有优惠券了，但有赠品", id="exclusions-and-a-break"),
    pytest.param("亲亲，亲自去店里也可以哦", id="word-term-inside-a-word"),
    pytest.param("OK的亲，ok，Ok", id="case-insensitive-spellings"),
])
def test_each_lexicon_finds_what_the_reference_finds(text):
    from grader.detectors.lexicon import LexiconSet
    from grader.transcript.model import Message, Transcript

    lexicons = LexiconSet.load().share_index()
    chat = Chat(Transcript(id="t", platform="taobao", messages=[
        Message(index=0, time=None, sender="a", role="agent", text=text),
        Message(index=1, time=None, sender="c", role="customer", text=text)]))
    for lexicon in lexicons.values():
        fast = chat.find(lexicon, include_excluded=True)
        assert fast == reference_chat_find(chat, lexicon, include_excluded=True), lexicon.name
