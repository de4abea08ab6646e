"""presale.ask_needs: the agent asks about the customer's needs (size, use, budget, preferences).

Wording is data (``lexicons/ask_needs.txt``, tag = kind of need). Code decides two things the
lexicon cannot:
* it must be a question: the clause holding the match has a question mark or a question
  particle (吗/呢/多少/什么/哪/几/还是 …); a statement ("身高体重表在详情页") does not count;
* it must not merely repeat the customer: when the clause holds a number the customer already
  gave earlier ("身高170是吧" after the customer said 170), it is an echo, not a new question.

Beyond the listed wording, a general family (v2): a question clause (question mark, 吗 at the end,
a wh-word, or "A还是B呢"; a bare 的呢 is a statement) whose subject is the customer (您/亲/你/宝宝/
孩子/家里 …) and that asks about their situation, preference or use (还是, 平时/一般/主要, 用来/
送人/自己用, 用量/几岁/多大, 肤质 …) ("您是干皮还是混干呢", "您家里平时用量大吗",
"主要是办公用还是打游戏"). Service questions are not needs: 还有什么可以帮您 / 在吗 / 收到了吗 /
订单号 地址 照片 (those belong to clarify_issue) / 考虑得怎么样 / 可以吗 好吗 (asking permission).
value = number of counted questions (one per message).
"""
from __future__ import annotations

import re

from grader.detectors._cues import clause_text, is_question, numbers
from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement
from grader.detectors.lexicon import Match, Term

ITEM = "presale.ask_needs"
TOPIC = {"size": "尺码身材", "use": "用途场合", "budget": "预算", "preference": "喜好", "person": "使用人",
         "situation": "情况"}

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


@register
class AskNeedsDetector(Detector):
    name = "ask_needs"
    version = "2"
    items = (ITEM,)
    lexicons = ("ask_needs",)

    def detect(self, chat: Chat) -> list[Measurement]:
        lex = self.lex["ask_needs"]
        findings = []
        said: set[str] = set()
        hits = {}
        for msg, match in chat.find(lex):
            hits.setdefault(msg.index, []).append(match)
        for msg in chat.messages:
            if msg.role == "customer":
                said |= numbers(msg.text)
                continue
            counted = False
            for match in hits.get(msg.index, []):
                text = clause_text(msg.text, match.start, match.end)
                topic = TOPIC.get(match.term.tag or "", "需求")
                if not is_question(text):
                    findings.append(self.finding(ITEM, "not_question", f"“{text}”不是问句，不算了解需求",
                                                 msg, match, lex, positive=False))
                elif numbers(text) & said:
                    findings.append(self.finding(ITEM, "echo", f"“{text}”只是复述顾客已经说过的数据，不算主动了解需求",
                                                 msg, match, lex, positive=False))
                else:
                    findings.append(self.finding(ITEM, "question", f"客服询问顾客的{topic}：“{text}”",
                                                 msg, match, lex, topic=match.term.tag))
                    counted = True
                    break  # one counted question per message is enough
            if not counted and msg.is_human_agent:
                situation = self._situation_question(msg.text, said)
                if situation is not None:
                    text = situation.text
                    findings.append(self.finding(ITEM, "question", f"客服询问顾客的情况：“{text}”",
                                                 msg, situation, topic="situation"))
        counted = [f for f in findings if f.positive]
        reason = counted[0].reason if counted else "客服没有主动询问顾客的需求（尺码、用途、预算、喜好等）"
        return [Measurement(item=ITEM, value=len(counted), reason=reason, findings=findings,
                            confidence=0.8 if counted else 0.7)]

    @staticmethod
    def _situation_question(text: str, said: set[str]) -> Match | None:
        """The first clause asking about the customer's situation, preference or use, if any."""
        for c in CLAUSES.finditer(text):
            clause = c.group(0)
            if not ASKS.search(clause) or SERVICE.search(clause) or numbers(clause) & said:
                continue
            if not SUBJECT.search(clause) or not SITUATION.search(clause):
                continue
            return Match(SITUATION_TERM, c.start(), c.end(), clause)
        return None
