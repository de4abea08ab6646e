"""presale.promotion: the agent told the customer about shop promotions (满减, 优惠券, 包邮 ...)."""
from grader.detectors.base import LexiconItemDetector, register


@register
class PromotionDetector(LexiconItemDetector):
    name = "promotion"
    version = "1"
    item = "presale.promotion"
    lexicon_name = "promotion"
    found_reason = "客服介绍了店铺活动：“{term}”"
    excluded_reason = "“{term}”被“{excl}”否定，不算介绍活动"
    missing_reason = "客服没有介绍任何店铺活动（满减、优惠券、包邮、赠品等）"
