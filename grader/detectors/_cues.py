"""Small shared helpers for the pre-sale / after-sale / attitude detectors (not a detector).

* `clause`: the clause around a match (punctuation-delimited), with its closing mark;
* `is_question`: whether a clause asks something (question mark or question particle);
* `order_index`: where the first order was placed in the chat (system order notice or words);
* `case_question`: an agent question about the customer's case (after-sale clarifying);
* `situation_question`: an agent question about the customer's own situation, preference or use;
* `deflections`: the agent's deflections and dismissals, read once for every item that uses them.

Vocabulary lives in lexicons; what stays here is structure: clause ends, question particles, digits.
"""
from __future__ import annotations

import re

from grader.detectors.chat import Chat
from grader.detectors.lexicon import Lexicon, Match, Term
from grader.transcript.model import Message

# Clause ends; a question mark is kept with its clause so `is_question` sees it.
_CLAUSE_END = re.compile(r"[，,。.!！?？；;~～\n]|\s{1,}")
QUESTION = re.compile(r"[?？]|吗|么|呢|多少|多大|什么|啥|哪|几|还是|是否|有没有|要不要|能不能|可不可以|是不是|如何|怎么")
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
    scope = [m for m in chat.messages if m.role == "customer" or m.is_human_agent or
             (m.role == "system" and m.kind != "order")]
    for msg, match in chat.find(order_lex, scope):
        if best[0] is None or msg.index < best[0]:
            best = (msg.index, msg, match.text)
        break  # matches come in message order: the first is the earliest
    return best


def numbers(text: str) -> set[str]:
    return set(DIGITS.findall(text))


# Clauses of an agent message, and what makes one a question.
CLAUSES = re.compile(r"[^，,。.!！?？；;~～\n\s]+[?？]?")
# A real question: a question mark, 吗/么 at the end, a wh-word, or "A还是B" closed by 呢/?.
# A plain 呢 is not enough: agents close statements with 的呢/哦呢 ("暂时是未更新的呢").
ASKS = re.compile(r"[?？]$|[吗么嘛]$|多大|几|多少|哪|什么|啥|还是(?!很|挺|比较|会|要|需要|可以|不|没|有点|得|建议|推荐)[^，。]*(?:呢|[?？])$")
SITUATION_TERM = Term(raw="（问句：顾客的情况、喜好或用途）", regex=ASKS, line=0, tag="situation")


CASE_QUESTION_TERM = Term(raw="（客服问句）", regex=ASKS, line=0, tag="question")


def case_question(text: str, not_asks: Lexicon) -> Match | None:
    """The first clause of `text` that asks the customer about their case (a question by `ASKS`:
    "是这个订单吗", "您是什么支付方式呢") holding no term of `not_asks` (``not_clarify.txt``: generic
    offers and closings, contact details, permission asks), or None."""
    for c in CLAUSES.finditer(text):
        clause_ = c.group(0)
        if ASKS.search(clause_) and not_asks.search(clause_) is None:
            return Match(CASE_QUESTION_TERM, c.start(), c.end(), clause_)
    return None


def situation_question(text: str, lexicon: Lexicon, said: set[str] = frozenset()) -> Match | None:
    """The first clause of `text` asking about the customer's situation, preference or use, if any:
    a question (`ASKS`) holding `lexicon` terms of tags subject and situation and none of tag service
    (``lexicons/situation.txt``).

    `said`: numbers the customer already gave (a clause repeating one is an echo, not a question).
    """
    for c in CLAUSES.finditer(text):
        clause_ = c.group(0)
        if not ASKS.search(clause_) or lexicon.search(clause_, "service") or numbers(clause_) & said:
            continue
        if not lexicon.search(clause_, "subject") or not lexicon.search(clause_, "situation"):
            continue
        return Match(SITUATION_TERM, c.start(), c.end(), clause_)
    return None


def deflections(chat: Chat, deflection: Lexicon, context: Lexicon) -> list[tuple[Message, Match, str]]:
    """The human agent's deflections (message, match, kind), in message order; kind is "deflect",
    "self_service" or "dismiss" (``deflection.txt`` tags). Who said what in answer to what decides:

    * a dismissal ("属于正常现象", "不是质量问题") denies the customer's complaint only when it is no
      answer to a question of theirs (whole last customer message: "白霜是怎么回事" asks) and the
      agent's message gives no explanation beside it (``attitude_context.txt`` tag=explains:
      "是正常的霜，不影响饮用" explains, it does not deny);
    * sending the buyer to do it alone ("那你申请退货吧") deflects only when the agent's message
      offers no help of their own (tag=agent_acts: 我帮您, 给您, 我这边 …) and it is no question
      about what the customer did ("您自行申请过修改是吗").
    Source: the service_attitude convention (0 推脱: 不归我们管, 你自己找快递, refuses with no way forward).
    """
    out = []
    for msg, match in chat.find(deflection, chat.human_agent_words):
        kind = match.term.tag or "deflect"
        if kind == "dismiss":
            prev = next((m for m in reversed(chat.messages[:msg.index]) if m.role == "customer"), None)
            if prev is None or is_question(prev.text) or context.search(msg.text[match.end:], "explains"):
                continue
        elif kind == "self_service" and (context.search(msg.text, "agent_acts")
                                          or is_question(clause_text(msg.text, match.start, match.end))):
            continue  # "您自行在前台申请过修改是吗" asks what the customer did, it sends them nowhere
        out.append((msg, match, kind))
    return out
