"""A transcript prepared for detectors: lexicon matches and jieba word boundaries, computed once
per chat and only where needed."""
from __future__ import annotations

import logging
import warnings
from functools import cached_property, partial

with warnings.catch_warnings():  # jieba imports the deprecated pkg_resources
    warnings.simplefilter("ignore")
    import jieba

from grader.detectors.findings import Evidence, new_evidence
from grader.detectors.lexicon import Lexicon, LiteralIndex, Match, Term
from grader.transcript.model import Message, Transcript

jieba.setLogLevel(logging.WARNING)

# jieba segments each run of these characters on its own and makes every other character a word
# by itself (but "\r\n"), so the word boundaries around a span need only the runs it touches.
SEGMENTED_RUN = jieba.re_han_default


def words(text: str) -> list[tuple[str, int, int]]:
    """jieba words of `text` with their character offsets."""
    return list(jieba.tokenize(text))


_WORD_ENDS: dict[str, tuple[int, ...]] = {}
WORD_ENDS_KEPT = 50_000  # runs remembered per process (under 20 MB)


def _word_ends(run: str) -> tuple[int, ...]:
    """Where jieba's words of `run` end. Runs repeat across chats (您好, 亲, 请稍等, quick replies)
    and jieba's answer depends on the run alone, so it is remembered."""
    ends = _WORD_ENDS.get(run)
    if ends is None:
        if len(_WORD_ENDS) >= WORD_ENDS_KEPT:
            _WORD_ENDS.clear()
        ends = _WORD_ENDS[run] = tuple(end for _, _, end in jieba.tokenize(run))
    return ends


class Chat:
    def __init__(self, transcript: Transcript):
        self.transcript = transcript
        self.messages: list[Message] = transcript.messages
        self._runs: dict[int, list[tuple[int, int]]] = {}  # message index -> (start, end) of its runs
        self._matches: dict[int, dict[int, list[Match]]] = {}  # id(lexicon) -> message index -> matches
        self._scans: dict[int, tuple] = {}  # by id(literal index)
        self._worth: dict[int, dict[int, list[Term]]] = {}  # by id(lexicon)
        self._found: dict[tuple[int, bool], list] = {}  # find's answers for a lexicon's scope
        self.measured: dict = {}  # item -> Measurement, filled as detectors run (`base.measure`)

    def is_words(self, index: int, start: int, end: int) -> bool:
        """Whether `start` and `end` in message `index` are jieba word boundaries: the same answer
        as segmenting the whole message, from segmenting only the runs around them."""
        return self._boundary(index, start) and self._boundary(index, end)

    def _boundary(self, index: int, pos: int) -> bool:
        if index not in self._runs:
            self._runs[index] = [m.span() for m in SEGMENTED_RUN.finditer(self.messages[index].text)]
        for run_start, run_end in self._runs[index]:
            if run_start < pos < run_end:
                return pos - run_start in _word_ends(self.messages[index].text[run_start:run_end])
            if run_start >= pos:
                break
        return pos == 0 or self.messages[index].text[pos - 1:pos + 1] != "\r\n"

    @cached_property
    def human_agent(self) -> list[Message]:
        return [m for m in self.messages if m.is_human_agent]

    @cached_property
    def human_agent_words(self) -> list[Message]:
        """Human agent messages with words (not a bare link, image, card or emoji codes)."""
        return [m for m in self.human_agent if m.has_words]

    @cached_property
    def customer(self) -> list[Message]:
        return [m for m in self.messages if m.role == "customer"]

    def scope(self, lexicon: Lexicon) -> list[Message]:
        """The messages a lexicon applies to: human agent messages, customer messages, or both."""
        if lexicon.role == "agent":
            return self.human_agent
        if lexicon.role == "customer":
            return self.customer
        return [m for m in self.messages if m.role == "customer" or m.is_human_agent]

    def find(self, lexicon: Lexicon, messages: list[Message] | None = None,
             include_excluded: bool = False) -> list[tuple[Message, Match]]:
        """Lexicon matches in the lexicon's scope (or the given messages), in message order.
        Each message is matched once per chat, however many detectors ask; the answer for the
        lexicon's scope is kept per chat (several detectors ask for the same lexicon)."""
        if messages is not None:
            return self._find(lexicon, messages, include_excluded)
        key = (id(lexicon), include_excluded)
        hits = self._found.get(key)
        if hits is None:
            hits = self._found[key] = self._find(lexicon, self.scope(lexicon), include_excluded)
        return list(hits)

    def _find(self, lexicon: Lexicon, messages: list[Message], include_excluded: bool) -> list[tuple[Message, Match]]:
        hits = []
        worth = self.worth_matching(lexicon)
        if not worth:
            return hits
        done = self._matches.setdefault(id(lexicon), {})
        scans = self._scan(lexicon.index)[0]
        for m in messages:
            terms = worth.get(m.index)
            if terms is None:
                continue
            found = done.get(m.index)
            if found is None:
                strings_found = scans[m.index][0]
                found = done[m.index] = lexicon.find(m.text, partial(self.is_words, m.index), strings_found, terms)
            for match in found:
                if include_excluded or match.excluded_by is None:
                    hits.append((m, match))
        return hits

    def worth_matching(self, lexicon: Lexicon) -> dict[int, list[Term]]:
        """The messages the lexicon might match (from the literal scan), each with the terms to try."""
        key = id(lexicon)
        worth = self._worth.get(key)
        if worth is None:
            scans, held = self._scan(lexicon.index)
            if lexicon.always_tried:
                masks = [(i, scan[1].get(lexicon.name, 0)) for i, scan in enumerate(scans)]
            else:
                masks = held.get(lexicon.name, ())
            known, candidates = lexicon._candidates, lexicon.candidates  # the cache first: ~400 lookups a chat
            worth = self._worth[key] = {}
            for i, mask in masks:
                terms = known.get(mask)
                if terms is None:
                    terms = candidates(mask)
                if terms:
                    worth[i] = terms
        return worth

    def _scan(self, index: LiteralIndex) -> tuple[list[tuple[dict, dict]], dict[str, list[tuple[int, int]]]]:
        """Per message what `index.scan` finds in it, and per lexicon the (message index, mask of
        strings held) of the messages holding any of its strings: one pass per message, shared by
        all lexicons of a set."""
        key = id(index)
        if key not in self._scans:
            scans = [index.scan(m.text) for m in self.messages]
            held: dict[str, list[tuple[int, int]]] = {}
            for i, (_, masks) in enumerate(scans):
                for name, mask in masks.items():
                    held.setdefault(name, []).append((i, mask))
            self._scans[key] = (scans, held)
        return self._scans[key]


def evidence(message: Message, match: Match | None = None) -> Evidence:
    """Evidence for a match, or for a whole message when there is no match."""
    if match is None:
        return new_evidence({"message_index": message.index, "start": 0, "end": len(message.text),
                             "quote": message.text})
    return new_evidence({"message_index": message.index, "start": match.start, "end": match.end,
                         "quote": match.text})
