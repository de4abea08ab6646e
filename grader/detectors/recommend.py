"""presale.recommend: the agent recommends a fitting product or size (推荐您/建议您选/这款更适合您).

Data only (``lexicons/recommend.txt``). 不推荐/不建议 are exclusions; in "不建议选S码，建议您选M码"
the comma ends the negated clause, so the second recommendation counts. Process advice such as
建议您重新下单 is not in the lexicon (it is not a product recommendation).
"""
from grader.detectors.base import LexiconItemDetector, register


@register
class RecommendDetector(LexiconItemDetector):
    name = "recommend"
    version = "2"
    item = "presale.recommend"
    lexicon_name = "recommend"
    found_reason = "客服根据需要推荐了产品/尺码：“{term}”"
    excluded_reason = "“{term}”前后有“{excl}”，是否定，不算推荐"
    missing_reason = "客服没有给顾客推荐合适的产品或尺码"
