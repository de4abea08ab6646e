"""aftersale.soothe: the agent soothes the customer (非常抱歉给您带来不便, 理解您的心情, 您别着急, 请放心).

Data (``lexicons/soothe.txt``). 别着急 counts, 我也很着急 does not (着急 alone is not a term);
an apology (抱歉/对不起/不好意思, plain or 非常…) for the customer's trouble soothes; one right before a
refusal (抱歉，无法修改) or for interrupting (不好意思打扰一下) does not. An apology that only opens a
request (不好意思，请问订单号是多少呢; tag=opener) is politeness, not soothing: shown as not counted,
and flagged for review when nothing else soothed (readers differ on it).
"""
from grader.detectors.base import LexiconItemDetector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Measurement

OPENER = "“{term}”：致歉词后面紧跟着提要求或问话，是开口的客套，不算安抚"


@register
class SootheDetector(LexiconItemDetector):
    name = "soothe"
    version = "2"
    item = "aftersale.soothe"
    lexicon_name = "soothe"
    found_reason = "客服安抚了顾客情绪：“{term}”"
    excluded_reason = "“{term}”后面是“{excl}”，是拒绝前的客套，不算安抚"
    missing_reason = "客服没有安抚顾客情绪（致歉、表示理解、请顾客放心等）"

    def detect(self, chat: Chat) -> list[Measurement]:
        lex = self.lex[self.lexicon_name]
        findings, openers = [], []
        for msg, match in chat.find(lex, include_excluded=True):
            if match.excluded_by:
                findings.append(self.finding(self.item, "excluded", self.excluded_reason.format(
                    term=match.text, excl=match.excluded_by), msg, match, lex, positive=False))
            elif match.term.tag == "opener":
                openers.append(self.finding(self.item, "opener", OPENER.format(term=match.text), msg, match, lex,
                                            positive=False))
            else:
                findings.append(self.finding(self.item, "mention", self.found_reason.format(term=match.text),
                                             msg, match, lex))
        counted = [f for f in findings if f.positive]
        findings += openers
        if counted:
            return [Measurement(item=self.item, value=len(counted), reason=counted[0].reason, findings=findings,
                                confidence=0.85)]
        if openers:  # readers differ on an apology that opens a request: say so
            return [Measurement(item=self.item, value=0, reason=f"{self.missing_reason}；{openers[0].reason}",
                                findings=findings, confidence=0.5, needs_review=True)]
        return [Measurement(item=self.item, value=0, reason=self.missing_reason, findings=findings, confidence=0.7)]
