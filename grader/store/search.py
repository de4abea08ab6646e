"""Words of a chat for search, made when it is stored (its text stays packed in `transcripts.body`).

`chat_terms` gives the chat's unique jieba words as one string " w1 w2 … " (order numbers and
other digit or Latin runs are one word each); `query_terms` cuts a search the same way, and a chat
matches when every word of the search is part of one of its words (LIKE '%word%'), so "收到货"
finds "没收到货" and a partial order number finds the whole one.
"""
from __future__ import annotations

import logging
import warnings

with warnings.catch_warnings():  # jieba imports the deprecated pkg_resources
    warnings.simplefilter("ignore")
    import jieba

from grader.transcript.model import Transcript

jieba.setLogLevel(logging.WARNING)
MAX_TERMS_CHARS = 20_000  # a very long chat keeps its first words; search is for finding, not proof


def _words(text: str) -> list[str]:
    return [w.strip().lower() for w in jieba.cut(text) if w.strip() and len(w.strip()) > 0]


def chat_terms(transcript: Transcript) -> str:
    """" w1 w2 … " of every customer and agent message (system notices left out), each word once."""
    seen: dict[str, None] = {}
    for m in transcript.messages:
        if m.role == "system":
            continue
        for w in _words(m.text):
            if w.isalnum() or len(w) > 1 or "\u4e00" <= w <= "\u9fff":
                seen.setdefault(w, None)
    text = " " + " ".join(seen) + " "
    return text[:MAX_TERMS_CHARS]


def query_terms(query: str) -> list[str]:
    """The words of a search box's text (punctuation dropped), at most 8."""
    out: list[str] = []
    for w in _words(query):
        if (w.isalnum() or "\u4e00" <= w[0] <= "\u9fff") and w not in out:
            out.append(w)
    return out[:8]
