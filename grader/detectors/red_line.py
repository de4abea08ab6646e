"""Red lines (一票否决): words a human agent must never say, one lexicon per red line.

Every lexicon named `redline_*` in the lexicon folder is read (the rubric's `red_lines` name the
one each red line uses). A match in a human agent message is a hit unless

- a negation stands just before it (the lexicon's `unless_before`: “不能加微信”“请勿私下转账”), or
- the agent is quoting the customer: the matched words (two characters or more) are in an
  earlier customer message of the chat, or stand inside quotation marks (“…”, "…", 「…」).

Both look-alikes are kept as findings that did not count, so the supervisor sees why.
Auto-replies never hit: they are the shop's settings, not the agent's words.
"""
from __future__ import annotations

import re

from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Finding, Measurement
from grader.detectors.lexicon import Lexicon, LexiconSet, Match
from grader.transcript.model import Message

PREFIX = "redline_"
QUOTES = (("“", "”"), ('"', '"'), ("「", "」"), ("『", "』"), ("‘", "’"))
CONFIDENCE = {"hit": 0.8, "number": 0.6}  # a bare number may be the shop's own line: less sure


@register
class RedLineDetector(Detector):
    name = "red_line"
    version = "1"
    items = ()  # one measurement per red-line lexicon, keyed by the lexicon's name

    def __init__(self, lexicons: LexiconSet, options: dict | None = None):
        super().__init__(lexicons, options)
        self.lex: dict[str, Lexicon] = {n: lex for n, lex in sorted(lexicons.items()) if n.startswith(PREFIX)}

    def detect(self, chat: Chat) -> list[Measurement]:
        out = []
        for name, lex in self.lex.items():
            findings = [self._finding(name, lex, chat, msg, match)
                        for msg, match in chat.find(lex, include_excluded=True)]
            hits = [f for f in findings if f.kind == "hit"]
            out.append(Measurement(
                item=name, value=len(hits), findings=findings,
                reason=hits[0].reason if hits else "没有发现",
                confidence=min((f.data["confidence"] for f in hits), default=0.9)))
        return out

    def _finding(self, name: str, lex: Lexicon, chat: Chat, msg: Message, match: Match) -> Finding:
        if match.excluded_by:
            return self.finding(name, "negated", f"“{match.text}”前面有“{match.excluded_by}”，是否定或提醒，不算红线",
                                msg, match, lex, positive=True, confidence=0.0)
        said = quoted_customer(chat, msg, match)
        if said:
            return self.finding(name, "quoted", f"“{match.text}”是引用顾客的话（{said}），不算红线",
                                msg, match, lex, positive=True, confidence=0.0)
        confidence = CONFIDENCE["number" if match.term.tag == "number" else "hit"]
        return self.finding(name, "hit", f"客服说了“{match.text}”（第{msg.index + 1}条）",
                            msg, match, lex, positive=False, confidence=confidence)


def quoted_customer(chat: Chat, msg: Message, match: Match) -> str:
    """Why the agent's words at `match` quote the customer ("" when they do not): inside quotation
    marks, or (two characters or more, spaces ignored) said by the customer earlier in the chat."""
    text = msg.text
    for left, right in QUOTES:
        opened = text.rfind(left, 0, match.start)
        if opened >= 0 and (left != right or text.count(left, 0, match.start) % 2 == 1):
            closed = text.find(right, match.end)
            if closed >= 0 and text.find(right, opened + 1, match.start) < 0:
                return "在引号里"
    words = re.sub(r"\s+", "", match.text)
    if len(words) < 2:
        return ""
    for earlier in chat.customer:
        if earlier.index < msg.index and words in re.sub(r"\s+", "", earlier.text):
            return f"顾客第{earlier.index + 1}条说过"
    return ""
