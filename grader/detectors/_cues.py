"""Small shared helpers for the pre-sale / after-sale / attitude detectors (not a detector).

* `clause`: the clause around a match (punctuation-delimited), with its closing mark;
* `is_question`: whether a clause asks something (question mark or question particle);
* `REQUEST`: request wording (麻烦/请/提供/发一下 …) that turns a noun like 订单号 into an ask;
* `order_index`: where the first order was placed in the chat (system order notice or words);
* `situation_question`: an agent question about the customer's own situation, preference or use.
"""
from __future__ import annotations

import re

from grader.detectors.chat import Chat
from grader.detectors.lexicon import Lexicon, Match, Term
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
    scope = [m for m in chat.messages if m.role == "customer" or m.is_human_agent or
             (m.role == "system" and m.kind != "order")]
    for msg, match in chat.find(order_lex, scope):
        if best[0] is None or msg.index < best[0]:
            best = (msg.index, msg, match.text)
        break  # matches come in message order: the first is the earliest
    return best


def numbers(text: str) -> set[str]:
    return set(DIGITS.findall(text))


# The general family: clauses of an agent message, and what makes one a question about the customer.
CLAUSES = re.compile(r"[^，,。.!！?？；;~～\n\s]+[?？]?")
SUBJECT = re.compile(r"您|亲(?!自|肤|人)|你|宝宝|孩子|小孩|家里|家人|老人|家中")
# A real question: a question mark, 吗/么 at the end, a wh-word, or "A还是B" closed by 呢/?.
# A plain 呢 is not enough: agents close statements with 的呢/哦呢 ("暂时是未更新的呢").
ASKS = re.compile(r"[?？]$|[吗么嘛]$|多大|几|多少|哪|什么|啥|还是(?!很|挺|比较|会|要|需要|可以|不|没|有点|得|建议|推荐)[^，。]*(?:呢|[?？])$")
# Situation / preference / use: alternatives (A还是B), habits, who/what for, amounts, skin, age …
SITUATION = re.compile(
    r"还是|平时|平常|日常|一般|主要|经常|通常|习惯|喜欢|偏好|偏爱|想要(?:什么|哪|啥)|用来|拿来|用于|自己(?:用|穿|喝|吃|戴|住)"
    r"|送人|送给|给谁|用量|多大|几岁|几个月|几年级|几口人|几个人|多少人|面积|多高|多重|肤质|皮肤|[干油混]皮|混[干油]|敏感肌")
# Service questions, permission asks and the agent's own offers are not needs questions.
SERVICE = re.compile(
    r"帮您|为您|给您|帮到|帮助|可以帮|服务|满意|评价|在吗|在不在|还在|收到|签收|订单|单号|地址|电话|号码|手机|账号|快递|物流"
    r"|照片|图片|截图|视频|问题|情况|怎么了|回事|原因|为什么|申请|退|换货|付|刷卡|现金|取消|修改|改成|发票|抬头|取件|自提|代收|联系|转接|咨询"
    r"|是说|是指|意思|考虑|决定|确认|核对|确定|拍下|下单|付款|支付|领|什么时候|几号|几点|多久|稍等|不会|没有|不用|不需要"
    r"|还有(?:什么|其他|别的)|(?:可以|好|行|对|是|方便|清楚|明白|满意)(?:吗|么|嘛)[?？]?$|对吧|是吧|没错吧")
SITUATION_TERM = Term(raw="（问句：顾客的情况、喜好或用途）", regex=SITUATION, line=0, tag="situation")


def situation_question(text: str, said: set[str] = frozenset()) -> Match | None:
    """The first clause of `text` asking about the customer's situation, preference or use, if any.

    `said`: numbers the customer already gave (a clause repeating one is an echo, not a question).
    """
    for c in CLAUSES.finditer(text):
        clause_ = c.group(0)
        if not ASKS.search(clause_) or SERVICE.search(clause_) or numbers(clause_) & said:
            continue
        if not SUBJECT.search(clause_) or not SITUATION.search(clause_):
            continue
        return Match(SITUATION_TERM, c.start(), c.end(), clause_)
    return None
