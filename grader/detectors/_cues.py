"""Small shared helpers for the pre-sale / after-sale / attitude detectors (not a detector).

* `clause`: the clause around a match (punctuation-delimited), with its closing mark;
* `is_question`: whether a clause asks something (question mark or question particle);
* `REQUEST`: request wording (麻烦/请/提供/发一下 …) that turns a noun like 订单号 into an ask;
* `order_index`: where the first order was placed in the chat (system order notice or words).
"""
from __future__ import annotations

import re

from grader.detectors.chat import Chat
from grader.detectors.lexicon import Lexicon
from grader.transcript.model import Message

# Clause ends; a question mark is kept with its clause so `is_question` sees it.
_CLAUSE_END = re.compile(r"[，,。.!！?？；;~～\n]|\s{1,}")
QUESTION = re.compile(r"[?？]|吗|么|呢|多少|多大|什么|啥|哪|几|还是|是否|有没有|要不要|能不能|可不可以|是不是|如何|怎么")
REQUEST = re.compile(r"麻烦|请|提供|发(?:一?下|给|个|张|过来|我)|告诉|说(?:一?下|明)|描述|拍(?:一?下|个|张)|上传|看(?:一?下|看)")
DIGITS = re.compile(r"\d+(?:\.\d+)?")


def clause(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the clause holding text[start:end]; the end includes a closing ?/？ if any."""
    left = 0
    for m in _CLAUSE_END.finditer(text, 0, start):
        left = m.end()
    m = _CLAUSE_END.search(text, end)
    right = len(text) if m is None else (m.end() if m.group(0) in "?？" else m.start())
    # A question mark may follow a short tail after a space: "身高多少 ?"
    return left, right


def clause_text(text: str, start: int, end: int) -> str:
    a, b = clause(text, start, end)
    return text[a:b]


def is_question(text: str) -> bool:
    return bool(QUESTION.search(text))


def order_index(chat: Chat, order_lex: Lexicon) -> tuple[int | None, Message | None, str | None]:
    """(index, message, how) of the first sign that an order was placed, or (None, None, None).

    Signs: a system message of kind "order"; a system message whose text reads like an order
    notice; a customer or human agent message matching `order_lex` (拍了/已下单/订单已收到 …).
    """
    best: tuple[int | None, Message | None, str | None] = (None, None, None)
    for m in chat.messages:
        if m.role == "system" and m.kind == "order":
            best = (m.index, m, m.text)
            break
    system_text = [m for m in chat.messages if m.role == "system" and m.kind != "order"]
    scope = [m for m in chat.messages if m.role == "customer" or m.is_human_agent or
             (m.role == "system" and m.kind != "order")]
    for msg, match in chat.find(order_lex, scope):
        if best[0] is None or msg.index < best[0]:
            best = (msg.index, msg, match.text)
        break  # matches come in message order: the first is the earliest
    return best


def numbers(text: str) -> set[str]:
    return set(DIGITS.findall(text))
