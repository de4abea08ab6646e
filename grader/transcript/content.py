"""What a message's text holds: words, or only things without words — images, the clients'
emoticon codes, product/order cards and links.

Readers mark such messages with a `Message.kind` of their own (image, emoticon, card) so that
word-based measures (polite wording, follow-up phrases, ...) leave them out whatever code the
client wrote for them; `has_words` is the one test for the words themselves.
"""
from __future__ import annotations

import re
import unicodedata

IMAGE = re.compile(
    r"\[(?:图片|图片消息|照片|image|img)\]|【图片】|<img[^>]*>"
    r"|https?://\S+?\.(?:jpe?g|png|gif|webp)(?:\?\S*)?(?=\s|$)", re.IGNORECASE)
EMOTICON = re.compile(
    r"\[(?:表情|动画表情|emoji)\]"
    r"|/:[^\s/\u4e00-\u9fff]{1,6}"           # Wangwang/Qianniu codes: /:^_^  /:Q  /:087
    r"|#E-\w+\d*"                            # JD Dongdong codes: #E-s01
    r"|\[[\u4e00-\u9fffA-Za-z]{1,4}\]"       # named emoticons: [微笑] [捂脸] [OK]
    r"|\[[^\[\]]{1,8}x\]")
CARD = re.compile(
    r"\[(?:语音|视频|文件|链接\w*|商品快照|商品卡片|商品链接|订单\w*|卡片|位置|红包)\]"
    r"|\[订单编号:[^\]]*\]+|https?://\S+")
# Everything without words, in the order it is removed (images and cards before the short
# bracketed names, which would also take "[图片]").
PLACEHOLDER = re.compile("|".join(f"(?:{p.pattern})" for p in (IMAGE, CARD, EMOTICON)), re.IGNORECASE)
WORD_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z]")
WORDLESS_KINDS = frozenset({"image", "emoticon", "card"})


def has_words(text: str) -> bool:
    """False for a bare link, an image or card placeholder, emoticon codes, emoji or digits only."""
    return bool(WORD_CHAR.search(PLACEHOLDER.sub("", text)))


def content_kind(text: str) -> str:
    """"text" for a message with words (or nothing recognisable), else what it holds:
    "image", "card" (cards, links, files, voice) or "emoticon"."""
    if not text.strip() or has_words(text):
        return "text"
    if IMAGE.search(text):
        return "image"
    if CARD.search(text):
        return "card"
    if EMOTICON.search(text) or _emoji_only(text):
        return "emoticon"
    return "text"  # digits (an order number) or punctuation ("？？") are the sender's own text


def _emoji_only(text: str) -> bool:
    chars = [ch for ch in text if not ch.isspace() and ch not in "\u200d\ufe0f"]
    return bool(chars) and all(unicodedata.category(ch) == "So" for ch in chars)
