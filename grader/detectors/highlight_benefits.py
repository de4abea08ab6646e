"""presale.highlight_benefits: the agent states strengths of the product (透气, 耐磨, 正品, 质保 ...).

Data only (``lexicons/benefits.txt``): negated strengths (不透气, 没有质保, 不是正品) are shown as
excluded findings; customer messages and auto-replies never count.
"""
from grader.detectors.base import LexiconItemDetector, register


@register
class HighlightBenefitsDetector(LexiconItemDetector):
    name = "highlight_benefits"
    version = "2"
    item = "presale.highlight_benefits"
    lexicon_name = "benefits"
    found_reason = "客服介绍了产品优点：“{term}”"
    excluded_reason = "“{term}”前后有“{excl}”，不算产品优点"
    missing_reason = "客服没有介绍产品的优点（面料、做工、正品、质保、性价比等）"
