"""Lexicons: supervisor-editable term lists with a small rule vocabulary.

File format (UTF-8 text, one term per line, `#` starts a comment)::

    # name: promotion
    # version: 3
    # role: agent            (agent | customer | any: whose messages the terms are looked for in)
    满减
    re:满\\d+减\\d+                       a regular expression
    请 ; word                            must be a whole jieba word (申请/请假 do not count)
    优惠 ; unless_before=没有,没,不参加   not counted when one of these stands just before it
    优惠 ; unless_after=结束了           ... or just after it (same clause, a few characters)
    亲 ; tag=greeting ; window=2          tag: a label the detector may use; window: chars looked at

A ` # ` after a term starts a comment (calibration notes its evidence there).
Exclusion values are regular expressions separated by commas; they are looked for in the same
clause as the term, at most `window` characters (default 8) before or after it.

Speed: each term knows groups of plain strings such that every match of it contains one string of
each group (read from its parsed pattern: {您推荐} for `(?:给|为)?您推荐`, {有, 还有} and {货} for
`(?:有|还有)货`). One Aho-Corasick pass over a message finds which of those strings it holds (as a
bit mask per lexicon), and only the terms with a string of each group held are then matched.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
import string
from re import _constants as sre, _parser as sre_parse  # to read the plain strings a pattern needs
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

import ahocorasick

from grader.detectors.lexicon_files import SHIPPED
from grader.errors import ConfigError

DEFAULT_WINDOW = 8
# Where one clause ends and the next begins, for exclusion windows: punctuation and the
# contrastive words after which an earlier negation no longer applies (没有满减，但有优惠券).
CLAUSE_BREAK = re.compile(r"[，,。.!！?？；;~～\n\s]|但是|但|不过|可是|只是")
ROLES = {"agent", "customer", "any"}
TRAILING_COMMENT = re.compile(r"\s+#\s.*$")  # "优惠 ; word  # added 2026-11 ..." keeps only the term


@dataclass(frozen=True)
class Term:
    raw: str
    regex: re.Pattern
    line: int
    word: bool = False
    unless_before: re.Pattern | None = None
    unless_after: re.Pattern | None = None
    window: int = DEFAULT_WINDOW
    tag: str | None = None
    # Groups of plain strings: every match contains one string of each group (None: unknown).
    needs: tuple[frozenset[str], ...] | None = None
    literal: str | None = None  # the plain string the whole pattern is, if it is one


class Match(NamedTuple):  # a tuple: built hundreds of times per chat
    term: Term
    start: int
    end: int
    text: str
    excluded_by: str | None = None  # the exclusion text that cancelled this match, if any


@dataclass
class Lexicon:
    name: str
    version: str
    role: str
    terms: list[Term]
    path: str | None = None
    digest: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.bits: dict[str, int] = {}  # plain string -> its bit in a text's mask of held strings
        self._groups: list[tuple[Term, tuple[int, ...] | None]] = []  # per term, a mask per group
        for term in self.terms:
            masks = None
            if term.needs is not None:
                masks = tuple(sum(self.bits.setdefault(s, 1 << len(self.bits)) for s in sorted(group))
                              for group in term.needs)
            self._groups.append((term, masks))
        # Some term has no plain string to look for first: every text must be matched.
        self.always_tried = any(masks is None for _, masks in self._groups)
        self._candidates: dict[int, list[Term]] = {}  # by the mask of strings held: texts repeat them
        self.index = LiteralIndex([self])  # LexiconSet.share_index swaps in a shared one

    def candidates(self, held: int) -> list[Term]:
        """The terms that can match a text holding the plain strings of mask `held` (the
        `LiteralIndex.scan` of the text gives it), in file order."""
        terms = self._candidates.get(held)
        if terms is None:
            terms = [term for term, masks in self._groups if masks is None or all(held & m for m in masks)]
            if len(self._candidates) > 10_000:  # a bound for pathological lexicons; real ones stay far below
                self._candidates.clear()
            self._candidates[held] = terms
        return terms

    def might_match(self, text: str) -> bool:
        return bool(self.candidates(self.index.scan(text)[1].get(self.name, 0)))

    @functools.cached_property
    def version_tag(self) -> str:
        """Version plus a short content hash, so an edit without a version bump still shows."""
        return f"{self.version}+{self.digest[:8]}"

    def search(self, text: str, tag: str | None = None) -> Match | None:
        """The first term (of `tag`, if given; in file order) whose pattern occurs in `text` and is
        not cancelled by its exclusions, or None: for tests of a clause or message such as "is this
        a request" or "did the customer describe themselves". `word` terms never match here."""
        for term in self.terms:
            if (tag is not None and term.tag != tag) or term.word:
                continue
            for m in term.regex.finditer(text):
                start, end = m.span()
                if end > start and not (
                        (term.unless_before or term.unless_after) and _exclusion(term, text, start, end)):
                    return Match(term, start, end, text[start:end])
        return None

    def find(self, text: str, words: Words = None, present: dict[str, list[int]] | None = None,
             terms: list[Term] | None = None) -> list[Match]:
        """All matches in `text`, left to right, overlapping terms resolved longest-first.

        Matches cancelled by an exclusion are returned with `excluded_by` set, so a detector can
        show them as evidence of what did *not* count. `words(start, end)` tells terms marked `word`
        whether a span is whole jieba words (without it they never match). `present`, `terms`: the
        strings `self.index.scan(text)` finds and the candidate terms for them, if already known.
        """
        if present is None or terms is None:
            present, held = self.index.scan(text)
            terms = self.candidates(held.get(self.name, 0))
        hits = []  # (start, -length, position in terms, term): sorted leftmost, then longest, then file order
        for k, term in enumerate(terms):
            if term.literal is not None:  # its occurrences are known from the scan: no regex
                size, after = len(term.literal), 0
                for last in present[term.literal]:
                    start = last + 1 - size
                    if start >= after:  # non-overlapping, like finditer
                        hits.append((start, -size, k, term))
                        after = last + 1
            else:
                for m in term.regex.finditer(text):
                    start, end = m.span()
                    if end > start:
                        hits.append((start, start - end, k, term))
        if len(hits) > 1:
            hits.sort()
        found: list[Match] = []
        taken_until = 0
        for start, negative_length, _, term in hits:
            end = start - negative_length
            if start < taken_until:
                continue
            if term.word and not (words is not None and words(start, end)):
                continue
            excluded = _exclusion(term, text, start, end) if term.unless_before or term.unless_after else None
            found.append(Match(term, start, end, text[start:end], excluded))
            taken_until = end
        return found


Words = Callable[[int, int], bool] | None  # whether text[start:end] is whole jieba words


class LiteralIndex:
    """Which plain strings of some lexicons a text holds, found in one pass (an Aho-Corasick
    automaton), with a mask per lexicon of the strings held."""

    def __init__(self, lexicons: Iterable[Lexicon]):
        owners: dict[str, list[tuple[str, int]]] = {}
        for lex in lexicons:
            for literal, bit in lex.bits.items():
                owners.setdefault(literal, []).append((lex.name, bit))
        self._automaton = ahocorasick.Automaton()
        for literal, where in owners.items():
            self._automaton.add_word(literal, (literal, tuple(where)))
        if len(self._automaton):
            self._automaton.make_automaton()

    def scan(self, text: str) -> tuple[dict[str, list[int]], dict[str, int]]:
        """The strings found in `text`, each with the positions of its last characters, and by
        lexicon name the mask of its strings found."""
        found: dict[str, list[int]] = {}
        held: dict[str, int] = {}
        if len(self._automaton):
            for last, (literal, where) in self._automaton.iter(text):
                if literal in found:
                    found[literal].append(last)
                    continue
                found[literal] = [last]
                for name, bit in where:
                    held[name] = held.get(name, 0) | bit
        return found, held


def _needs(regex: re.Pattern) -> tuple[tuple[frozenset[str], ...] | None, str | None]:
    """Groups of plain strings such that every match of `regex` contains a string of each group,
    and the plain string the whole pattern is (if it is one)."""
    try:
        parsed = sre_parse.parse(regex.pattern)
    except (re.error, TypeError, ValueError):
        return None, None
    ignore_case = bool(parsed.state.flags & re.IGNORECASE)
    groups = tuple(dict.fromkeys(frozenset(g) for g in _required_groups(parsed, ignore_case)))
    whole = None
    if not ignore_case and all(op is sre.LITERAL for op, _ in parsed):
        whole = "".join(chr(av) for _, av in parsed) or None
    return groups or None, whole


def _required_groups(sequence, ignore_case: bool = False) -> list[set[str]]:
    """Every group of strings of which each match of a parsed pattern contains one: its plain runs,
    required parts and character classes (`满\\d+减` gives {满} and {减}). Under `ignore_case`,
    every spelling of those strings (`_case_variants`)."""
    groups: list[set[str]] = []

    def add(group: set[str]) -> None:
        if ignore_case:
            group = _case_variants(group)
        if group:
            groups.append(group)

    run: list[str] = []
    for op, av in sequence:
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        if run:
            add({"".join(run)})
            run = []
        if op is sre.SUBPATTERN:  # (?i:ok) spells out ok, OK, Ok, oK …
            groups.extend(_required_groups(av[3], ignore_case or bool(av[1] & re.IGNORECASE)))
        elif op is sre.BRANCH:
            branches = [_required(b, ignore_case) for b in av[1]]
            if all(branches):
                groups.append(set().union(*branches))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
            groups.extend(_required_groups(av[2], ignore_case))
        elif op is sre.IN and 0 < len(av) <= 8 and all(o is sre.LITERAL for o, _ in av):
            add({chr(a) for _, a in av})
    if run:
        add({"".join(run)})
    return groups


def _required(sequence, ignore_case: bool = False) -> set[str] | None:
    """The most selective of those groups (longest shortest string), or None."""
    groups = _required_groups(sequence, ignore_case)
    return max(groups, key=lambda g: min(map(len, g))) if groups else None


MAX_CASE_VARIANTS = 64


def _case_variants(group: set[str]) -> set[str]:
    """Every string a case-insensitive pattern matches for the strings of `group` (ok: ok, OK, Ok,
    oK and the Kelvin sign K), or an empty set when there are too many or a character's case
    partners are not known (then the group filters nothing)."""
    partners = _case_partners()
    variants: set[str] = set()
    for text in group:
        spellings = [""]
        for char in text:
            if char in partners:
                choices = partners[char]
            elif char.isascii() or "\u4e00" <= char <= "\u9fff":  # no case
                choices = char
            else:
                return set()
            spellings = [s + c for s in spellings for c in choices]
            if len(variants) + len(spellings) > MAX_CASE_VARIANTS:
                return set()
        variants.update(spellings)
    return variants


@functools.cache
def _case_partners() -> dict[str, str]:
    """For each ASCII letter, every character it matches when case is ignored (re's own answer)."""
    every = "".join(map(chr, itertools.chain(range(0xD800), range(0xE000, 0x110000))))
    cased = set(re.findall("(?i)[a-z]", every))
    partners = {}
    for letter in string.ascii_letters:
        partners[letter] = "".join(sorted(c for c in cased if re.fullmatch(letter, c, re.IGNORECASE)))
    return partners


def _clause_window(text: str, start: int, end: int, window: int) -> tuple[str, str]:
    before = text[max(0, start - window):start]
    after = text[end:end + window]
    breaks = list(CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end():]
    cut = CLAUSE_BREAK.search(after)
    if cut:
        after = after[:cut.start()]
    return before, after


def _exclusion(term: Term, text: str, start: int, end: int) -> str | None:
    before, after = _clause_window(text, start, end, term.window)
    if term.unless_before and (m := term.unless_before.search(before)):
        return m.group(0)
    if term.unless_after and (m := term.unless_after.search(after)):
        return m.group(0)
    return None


def parse_lexicon(text: str, path: str | None = None) -> Lexicon:
    """A Lexicon from a file's text (`path` names it in messages). Raises ConfigError for a missing header, an unknown role or a bad term."""
    headers: dict[str, str] = {}
    terms: list[Term] = []
    where = path or "<lexicon>"
    for no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("#"):
            m = re.match(r"#\s*([a-z_]+)\s*:\s*(.+)", stripped)  # name, version, role, item, description, switches
            if m and not terms:
                headers[m.group(1)] = m.group(2).strip()
            continue
        stripped = TRAILING_COMMENT.sub("", stripped)
        if not stripped:
            continue
        terms.append(_parse_term(stripped, no, where))
    for key in ("name", "version", "role"):
        if key not in headers:
            raise ConfigError(f"{where}: missing header line '# {key}: ...' at the top of the file")
    if headers["role"] not in ROLES:
        raise ConfigError(f"{where}: role must be one of {sorted(ROLES)}, got {headers['role']!r}")
    return Lexicon(
        name=headers["name"], version=headers["version"], role=headers["role"], terms=terms,
        path=path, digest=hashlib.sha256(text.encode("utf-8")).hexdigest(), headers=headers,
    )


def _parse_term(line: str, no: int, where: str) -> Term:
    head, *options = [part.strip() for part in line.split(" ; ")]
    try:
        regex = re.compile(head[3:] if head.startswith("re:") else re.escape(head))
    except re.error as exc:
        raise ConfigError(f"{where}:{no}: bad regular expression {head!r}: {exc}") from exc
    kwargs: dict = {}
    for opt in options:
        key, _, value = opt.partition("=")
        key = key.strip()
        if key == "word" and not value:
            kwargs["word"] = True
        elif key in ("unless_before", "unless_after") and value:
            alts = "|".join(f"(?:{v.strip()})" for v in value.split(",") if v.strip())
            try:
                kwargs[key] = re.compile(alts)
            except re.error as exc:
                raise ConfigError(f"{where}:{no}: bad exclusion {value!r}: {exc}") from exc
        elif key == "window" and value.strip().isdigit():
            kwargs["window"] = int(value)
        elif key == "tag" and value:
            kwargs["tag"] = value.strip()
        else:
            raise ConfigError(
                f"{where}:{no}: unknown option {opt!r}; use word, unless_before=a,b, "
                "unless_after=a,b, window=N or tag=NAME, separated by ' ; '"
            )
    needs, literal = _needs(regex)
    return Term(raw=head, regex=regex, line=no, needs=needs, literal=literal, **kwargs)


def load_lexicon(path: str | Path) -> Lexicon:
    path = Path(path)
    return parse_lexicon(path.read_text(encoding="utf-8"), str(path))


def default_lexicon_dir() -> Path:
    """`$GRADER_LEXICONS`, else the lexicons shipped in the package (`grader/lexicons/`, package data:
    an editable checkout and a wheel install find the same files)."""
    env = os.environ.get("GRADER_LEXICONS")
    return Path(env) if env else SHIPPED


class LexiconSet(dict):
    """Lexicons by name."""

    @classmethod
    def load(cls, directory: str | Path | None = None) -> "LexiconSet":
        """Raises ConfigError when the folder is missing or two files use one name."""
        directory = Path(directory) if directory else default_lexicon_dir()
        if not directory.is_dir():
            raise ConfigError(f"找不到词库文件夹 {directory}：请用 --lexicons 或 GRADER_LEXICONS 指定 (lexicon folder not found)")
        result = cls()
        for path in sorted(directory.glob("*.txt")):
            lex = load_lexicon(path)
            if lex.name in result:
                raise ConfigError(f"{path}: lexicon name {lex.name!r} already used by {result[lex.name].path}")
            result[lex.name] = lex
        return result

    def get_or_fail(self, name: str) -> Lexicon:
        """Raises ConfigError when no file of the folder has that name."""
        if name not in self:
            raise ConfigError(f"lexicon {name!r} not found; expected a file with '# name: {name}' in the lexicon folder")
        return self[name]

    def share_index(self) -> "LexiconSet":
        """Give all lexicons one literal index, so a message is scanned once for all of them."""
        shared = LiteralIndex(self.values())
        for lex in self.values():
            lex.index = shared
        return self

    def versions(self) -> dict[str, str]:
        return {name: lex.version_tag for name, lex in sorted(self.items())}


def lexicon_digest(source) -> str:
    """The lexicon files' contents as 16 hex digits: `source` is a loaded LexiconSet (its files) or a
    folder (None: the default one); the same files give the same digest either way, without loading them."""
    if isinstance(source, LexiconSet):
        paths = [Path(lex.path) for lex in source.values() if lex.path]
    else:
        paths = list((Path(source) if source else default_lexicon_dir()).glob("*.txt"))
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
