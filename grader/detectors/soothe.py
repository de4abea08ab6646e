"""aftersale.soothe: the agent soothes the customer (非常抱歉给您带来不便, 理解您的心情, 您别着急, 请放心).

Data only (``lexicons/soothe.txt``). 别着急 counts, 我也很着急 does not (着急 alone is not a term);
an apology (抱歉/对不起/不好意思, plain or 非常…) for the customer's trouble soothes; one right before a
refusal (抱歉，无法修改) or for interrupting (不好意思打扰一下) does not.
"""
from grader.detectors.base import LexiconItemDetector, register


@register
class SootheDetector(LexiconItemDetector):
    name = "soothe"
    version = "2"
    item = "aftersale.soothe"
    lexicon_name = "soothe"
    found_reason = "客服安抚了顾客情绪：“{term}”"
    excluded_reason = "“{term}”后面是“{excl}”，是拒绝前的客套，不算安抚"
    missing_reason = "客服没有安抚顾客情绪（致歉、表示理解、请顾客放心等）"
