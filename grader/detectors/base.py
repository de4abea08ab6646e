"""The detector contract and registry."""
from __future__ import annotations

from typing import ClassVar

from grader.detectors.chat import Chat, evidence
from grader.detectors.findings import Finding, Measurement, new_finding
from grader.detectors.lexicon import Lexicon, LexiconSet, Match
from grader.detectors.options import detector_options
from grader.transcript.model import Message

REGISTRY: dict[str, type["Detector"]] = {}


def register(cls: type["Detector"]) -> type["Detector"]:
    """Class decorator: a Detector class into REGISTRY by its name. Raises ValueError for a name taken."""
    if cls.name in REGISTRY:
        raise ValueError(f"detector {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


class Detector:
    """Reads a prepared chat and returns one `Measurement` per rubric item it feeds.

    Subclasses declare `name`, `version` (bumped whenever behaviour changes; written onto every
    scorecard), `items` (rubric ids fed) and `lexicons` (names loaded from the lexicon folder),
    and implement `detect`. Settings come from `options`, declared in `grader.detectors.options`
    (service hours, tz, ...): `self.options[name]` always has a value.

    `consumes`: rubric ids of other detectors' measurements this one reads (`self.consumed`)
    instead of judging the same words again, so one message gets one reading on a card.
    `measure` runs the producers first.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    items: ClassVar[tuple[str, ...]]
    lexicons: ClassVar[tuple[str, ...]] = ()
    consumes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, lexicons: LexiconSet, options: dict | None = None):
        self.lex: dict[str, Lexicon] = {name: lexicons.get_or_fail(name) for name in self.lexicons}
        self.options = detector_options(options)  # every declared option, validated (ConfigError)

    def detect(self, chat: Chat) -> list[Measurement]:
        raise NotImplementedError(f"{type(self).__name__}.detect(chat) -> list[Measurement]")

    def consumed(self, chat: Chat, item: str) -> Measurement | None:
        """Another detector's measurement of `item` on this chat (declared in `consumes`), or None
        when it was not measured. Raises ValueError for an undeclared item (a missing dependency
        would otherwise read as "nothing found")."""
        if item not in self.consumes:
            raise ValueError(f"{self.name} reads {item!r} without declaring it in `consumes`")
        return chat.measured.get(item)

    def finding(self, item: str, kind: str, reason: str, message: Message, match: Match | None = None,
                lexicon: Lexicon | None = None, positive: bool = True, **data) -> Finding:
        return new_finding({
            "detector": self.name, "item": item, "kind": kind, "positive": positive,
            "evidence": [evidence(message, match)], "reason": reason,
            "term": match.term.raw if match else None,
            "lexicon": lexicon.name if lexicon else None,
            "lexicon_version": lexicon.version_tag if lexicon else None,
            "data": data,
        })


def in_order(detectors: list[Detector]) -> list[Detector]:
    """The detectors ordered so each runs after the producers of the items it `consumes` (stable:
    otherwise by name). Raises ValueError on a cycle."""
    producer = {item: d for d in detectors for item in d.items}
    done: dict[str, Detector] = {}
    visiting: set[str] = set()

    def visit(d: Detector) -> None:
        if d.name in done:
            return
        if d.name in visiting:
            raise ValueError(f"detectors consume each other's items in a cycle at {d.name!r}")
        visiting.add(d.name)
        for item in d.consumes:
            if item in producer:
                visit(producer[item])
        visiting.discard(d.name)
        done[d.name] = d

    for d in sorted(detectors, key=lambda d: d.name):
        visit(d)
    return list(done.values())


def measure(detectors: list[Detector], chat: Chat) -> dict[str, Measurement]:
    """Run `detectors` (already `in_order`) on `chat`: {item: measurement}, also left on
    `chat.measured` for the consumers."""
    for detector in detectors:
        for m in detector.detect(chat):
            chat.measured[m.item] = m
    return chat.measured


class LexiconItemDetector(Detector):
    """All-or-nothing items credited when a lexicon term appears in a human agent message.

    Subclasses set `item`, `lexicon_name`, `found_reason` and `missing_reason` (Chinese, with
    `{term}` placeholders). The measurement value is the number of counted mentions; excluded
    mentions (e.g. 没有优惠) are reported as negative findings so the supervisor sees why.
    """

    item: ClassVar[str]
    lexicon_name: ClassVar[str]
    found_reason: ClassVar[str] = "客服提到“{term}”"
    excluded_reason: ClassVar[str] = "“{term}”前后有“{excl}”，不计入"
    missing_reason: ClassVar[str] = "未发现相关表述"

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if hasattr(cls, "item"):
            cls.items = (cls.item,)
            cls.lexicons = (cls.lexicon_name,)

    def detect(self, chat: Chat) -> list[Measurement]:
        lex = self.lex[self.lexicon_name]
        findings = []
        for msg, match in chat.find(lex, include_excluded=True):
            if match.excluded_by:
                findings.append(self.finding(
                    self.item, "excluded", self.excluded_reason.format(term=match.text, excl=match.excluded_by),
                    msg, match, lex, positive=False))
            else:
                findings.append(self.finding(
                    self.item, "mention", self.found_reason.format(term=match.text), msg, match, lex))
        counted = [f for f in findings if f.positive]
        reason = counted[0].reason if counted else self.missing_reason
        return [Measurement(item=self.item, value=len(counted), reason=reason, findings=findings,
                            confidence=0.85 if counted else 0.7)]
