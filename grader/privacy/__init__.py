"""Masking personal information (PIPL) in what leaves the database: exports, reports, calibration.

The patterns are data (`pii.toml` beside this module, or a shop's own file); this module only
applies them. Masking is on by default (`--no-mask-pii` turns it off); order numbers are masked
only on request (`--mask-order-numbers`). Characters are replaced one for one with "*", so a
masked text has the same length and evidence spans still point at the same words.

    masker = load_masker()                       # the bundled patterns, order numbers left alone
    masker.mask("电话13800138000")               # -> "电话138****8000"
    masker.mask_json_line(card_json)             # every string inside a JSON document
"""
from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from grader.errors import GraderError

DEFAULT_PATTERNS = Path(__file__).with_name("pii.toml")
MASK = "*"
SEPARATORS = "-－"  # kept, like spaces, so "138-****-8000" still reads as a phone number
_JSON_ESCAPE = re.compile(r'\\(?:u[0-9a-fA-F]{4}|.)')
_RARE_ESCAPES = re.compile(r'\\[bfu]')  # escapes a line filter may not foresee: such lines take the slow path


class PatternError(GraderError):
    """The PII pattern file cannot be used (the message says which pattern and why, in Chinese)."""


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card_ok(digits: str) -> bool:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of an 18-character ID number is right."""
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == digits[17].upper()


def luhn_ok(digits: str) -> bool:
    """The Luhn check of a card number (digits only)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


CHECKS: dict[str, Callable[[str], bool]] = {"id_card": id_card_ok, "luhn": luhn_ok}


@dataclass(frozen=True)
class Pattern:
    kind: str
    label: str
    regex: re.Pattern
    keep_head: int = 0
    keep_tail: int = 0
    check: Callable[[str], bool] | None = None
    unless_before: re.Pattern | None = None
    needs: re.Pattern | None = None  # a cheap regex every match implies: the pattern runs only if it is found

    def may_match(self, text: str) -> bool:
        """True if the pattern matches somewhere (validators and exceptions not applied)."""
        return (self.needs is None or self.needs.search(text) is not None) and self.regex.search(text) is not None

    def _masked(self, text: str, m: re.Match) -> tuple[int, str] | None:
        if self.check and not self.check("".join(ch for ch in m.group(0) if ch.isalnum())):
            return None
        if self.unless_before and self.unless_before.search(text[max(0, m.start() - 12):m.start()]):
            return None
        group = "mask" if "mask" in self.regex.groupindex and m.group("mask") is not None else 0
        start, end = m.span(group)
        part = list(text[start:end])
        positions = [i for i, ch in enumerate(part) if not (ch.isspace() or ch in SEPARATORS)]
        hidden = positions[self.keep_head:len(positions) - self.keep_tail if self.keep_tail else None]
        for i in hidden:
            part[i] = MASK
        return start, "".join(part)

    def apply(self, text: str) -> tuple[str, int]:
        """The text with this pattern masked, and how many matches were masked."""
        text, spans = self.apply_spans(text)
        return text, len(spans)

    def apply_spans(self, text: str) -> tuple[str, list[tuple[int, int]]]:
        """The text with this pattern masked, and the (start, end) of each whole match masked."""
        if self.needs is not None and not self.needs.search(text):
            return text, []
        pieces, last, spans = [], 0, []
        for m in self.regex.finditer(text):
            done = self._masked(text, m)
            if done is None:
                continue
            start, masked = done
            pieces += [text[last:start], masked]
            last = start + len(masked)
            spans.append(m.span())
        if not spans:
            return text, []
        pieces.append(text[last:])
        return "".join(pieces), spans


class Masker:
    """Masks the enabled patterns in texts, rows and JSON documents. `enabled=False` masks nothing."""

    def __init__(self, patterns: list[Pattern], enabled: bool = True, version: str = "",
                 line_filter: re.Pattern | None = None):
        self.patterns = patterns if enabled else []
        self.enabled = enabled
        self.version = version
        self.line_filter = line_filter  # see `line_filter` in pii.toml

    def mask(self, text: str) -> str:
        """`text` with every enabled pattern masked (same length)."""
        if not self.patterns or not isinstance(text, str):
            return text
        if self.line_filter is not None and not self.line_filter.search(text):
            return text  # no pattern can match here (the filter holds for texts as for JSON lines)
        for p in self.patterns:
            text, _ = p.apply(text)
        return text

    def found(self, text: str) -> dict[str, int]:
        """How many matches of each kind would be masked in `text` (for reports and tests)."""
        counts: dict[str, int] = {}
        for p in self.patterns:
            text, n = p.apply(text)
            if n:
                counts[p.kind] = counts.get(p.kind, 0) + n
        return counts

    def pairs(self, texts) -> list[tuple[str, str]]:
        """(clear, masked) of every whole match in `texts`, JSON-escaped, longest first.

        A scorecard's strings are its chat's fields and messages or pieces of them (evidence
        quotes, reasons quoting a message), so replacing these pairs in its JSON line masks it
        without parsing it (see apply_pairs): workers compute them from the transcript.
        """
        found: dict[str, str] = {}
        if not self.patterns:
            return []
        for text in texts:
            if not isinstance(text, str) or (self.line_filter is not None and not self.line_filter.search(text)):
                continue
            masked, spans = text, []
            for p in self.patterns:
                masked, more = p.apply_spans(masked)
                spans += more
            for start, end in spans:
                clear = text[start:end]
                found[_json_inner(clear)] = _json_inner(masked[start:end])
        return sorted(found.items(), key=lambda pair: -len(pair[0]))

    def apply_pairs(self, line: str, pairs: list[tuple[str, str]]) -> str:
        """A JSON line with `pairs` replaced (see pairs); parsed and masked in full if that breaks it."""
        if not pairs:
            return line
        out = line
        for clear, masked in pairs:
            out = out.replace(clear, masked)
        try:
            json.loads(out)
        except ValueError:  # a pair inside a number or a key: never seen, but never write a broken line
            return self.mask_json_line(line)
        return out

    def mask_value(self, value: Any) -> Any:
        """Strings masked inside any structure of dicts, lists and tuples; other values unchanged."""
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {k: self.mask_value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.mask_value(v) for v in value)
        return value

    def mask_row(self, row: list) -> list:
        return [self.mask(v) if isinstance(v, str) else v for v in row]

    def mask_json_line(self, line: str) -> str:
        """A JSON document (one line, as written by pydantic or json.dumps) with its strings masked.

        Parsed and written again only when a pattern matches the raw line (JSON escapes blanked
        out first), so keys, numbers and hashes are never touched and a line without personal
        information is returned as it came, after a few regular-expression scans.
        """
        if not self.patterns:
            return line
        if self.line_filter is not None and not _RARE_ESCAPES.search(line):
            if not self.line_filter.search(line):
                return line
        else:
            probe = _JSON_ESCAPE.sub(lambda m: " " * len(m.group(0)), line) if "\\" in line else line
            if not any(p.may_match(probe) for p in self.patterns):
                return line
        doc = json.loads(line)
        masked = self.mask_value(doc)
        if masked == doc:
            return line
        return json.dumps(masked, ensure_ascii=False, separators=(",", ":"))


def _json_inner(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def load_masker(path: str | Path | None = None, enabled: bool = True, orders: bool = False) -> Masker:
    """The masker of a pattern file (default: the bundled pii.toml).

    `enabled=False` gives a masker that changes nothing; `orders=True` also masks kind "order".
    Raises PatternError for an unreadable file, a bad regex or an unknown check.
    """
    path = Path(path) if path else DEFAULT_PATTERNS
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PatternError(f"无法读取个人信息规则文件 {path}：{exc}") from exc
    patterns = []
    for n, spec in enumerate(data.get("pattern", []), 1):
        kind = spec.get("kind") or f"#{n}"
        if not (spec.get("enabled", True) or (orders and kind == "order")):
            continue
        try:
            check = CHECKS[spec["check"]] if spec.get("check") else None
            patterns.append(Pattern(
                kind=kind, label=spec.get("label", kind), regex=re.compile(spec["regex"]),
                keep_head=int(spec.get("keep_head", 0)), keep_tail=int(spec.get("keep_tail", 0)), check=check,
                unless_before=re.compile(spec["unless_before"]) if spec.get("unless_before") else None,
                needs=re.compile(spec["needs"]) if spec.get("needs") else None))
        except KeyError as exc:
            raise PatternError(f"{path} 第 {n} 条规则（{kind}）缺少或写错了 {exc}") from exc
        except re.error as exc:
            raise PatternError(f"{path} 第 {n} 条规则（{kind}）的正则表达式有误：{exc}") from exc
    try:
        line_filter = re.compile(data["line_filter"]) if data.get("line_filter") else None
    except re.error as exc:
        raise PatternError(f"{path} 的 line_filter 正则表达式有误：{exc}") from exc
    return Masker(patterns, enabled, version=str(data.get("version", "")), line_filter=line_filter)


def add_masking_arguments(parser) -> None:
    """--no-mask-pii, --mask-order-numbers, --pii-patterns on a command that writes files."""
    parser.add_argument("--no-mask-pii", action="store_true",
                        help="手机号、身份证号、银行卡号、地址和邮箱不打码（默认打码，如 138****8000）")
    parser.add_argument("--mask-order-numbers", action="store_true", help="订单号也打码")
    parser.add_argument("--pii-patterns", help="个人信息规则文件（默认：自带的 grader/privacy/pii.toml）")


def masker_from_args(args) -> Masker:
    """The masker the command line asks for (see add_masking_arguments)."""
    return load_masker(getattr(args, "pii_patterns", None), enabled=not getattr(args, "no_mask_pii", False),
                       orders=getattr(args, "mask_order_numbers", False))
