"""A transcript prepared for detectors: jieba words computed once per message, on demand."""
from __future__ import annotations

import logging
import re
import warnings
from functools import cached_property

with warnings.catch_warnings():  # jieba imports the deprecated pkg_resources
    warnings.simplefilter("ignore")
    import jieba

from grader.detectors.findings import Evidence
from grader.detectors.lexicon import Lexicon, Match
from grader.transcript.model import Message, Transcript

jieba.setLogLevel(logging.WARNING)

# Placeholders that carry no words: images, order/product cards, links, emoji codes.
PLACEHOLDER = re.compile(
    r"\[(?:图片|表情|语音|视频|文件|链接\w*|商品快照|商品卡片|订单\w*|卡片|动画表情)\]"
    r"|\[订单编号:[^\]]*\]+|https?://\S+|#E-\w+\d*|\[[^\[\]]{1,8}x\]"
)
WORD_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z]")


def words(text: str) -> list[tuple[str, int, int]]:
    """jieba words of `text` with their character offsets."""
    return list(jieba.tokenize(text))


def has_words(text: str) -> bool:
    """False for a bare link, an image or card placeholder, emoji codes or digits only."""
    return bool(WORD_CHAR.search(PLACEHOLDER.sub("", text)))


class Chat:
    def __init__(self, transcript: Transcript):
        self.transcript = transcript
        self.messages: list[Message] = transcript.messages
        self._words: dict[int, list[tuple[str, int, int]]] = {}
        self._matches: dict[tuple[int, int], list[Match]] = {}  # (id(lexicon), message index)

    def words(self, index: int) -> list[tuple[str, int, int]]:
        if index not in self._words:
            self._words[index] = words(self.messages[index].text)
        return self._words[index]

    def word_bounds(self, index: int) -> frozenset[int]:
        ws = self.words(index)
        return frozenset([s for _, s, _ in ws] + [e for _, _, e in ws])

    @cached_property
    def human_agent(self) -> list[Message]:
        return [m for m in self.messages if m.is_human_agent]

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
        """Lexicon matches in the lexicon's scope (or the given messages), in message order."""
        hits = []
        messages = self.scope(lexicon) if messages is None else messages
        # A few searches over the whole chat find the messages worth matching term by term.
        for i in lexicon.texts_hit([m.text for m in messages]):
            m = messages[i]
            for match in self.matches(lexicon, m):
                if include_excluded or match.excluded_by is None:
                    hits.append((m, match))
        return hits

    def matches(self, lexicon: Lexicon, message: Message) -> list[Match]:
        """All matches of a lexicon in one message (excluded ones too), computed once per chat."""
        key = (id(lexicon), message.index)
        if key not in self._matches:
            # jieba only where a whole-word term could match this text
            needs_words = any(t.word and t.regex.search(message.text) for t in lexicon.terms)
            bounds = self.word_bounds(message.index) if needs_words else None
            self._matches[key] = lexicon.find(message.text, bounds)
        return self._matches[key]


def evidence(message: Message, match: Match | None = None) -> Evidence:
    """Evidence for a match, or for a whole message when there is no match."""
    # model_construct: the values come from the message itself, nothing to validate
    if match is None:
        return Evidence.model_construct(message_index=message.index, start=0, end=len(message.text),
                                        quote=message.text)
    return Evidence.model_construct(message_index=message.index, start=match.start, end=match.end,
                                    quote=match.text)
