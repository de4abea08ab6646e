"""Which platform a chat comes from: the export's own platform column, normalised, else what the export
shows (its file name, the platform's buyer nicknames), else "unknown".

Codes: taobao (淘宝/天猫/千牛/旺旺), jd (京东/咚咚/京麦), pdd (拼多多), douyin (抖音/抖店/飞鸽); the
supervisor reads them in Chinese (`grader.display.PLATFORM_LABELS`).
"""
from __future__ import annotations

import re
from pathlib import PurePath

ALIASES = {
    "taobao": ("taobao", "tb", "tmall", "qianniu", "wangwang", "淘宝", "天猫", "千牛", "旺旺"),
    "jd": ("jd", "jingdong", "jdong", "京东", "咚咚", "京麦"),
    "pdd": ("pdd", "pinduoduo", "拼多多"),
    "douyin": ("douyin", "doudian", "feige", "dy", "抖音", "抖店", "飞鸽"),
}
KNOWN = {*ALIASES, "other", "unknown"}
# Buyer nicknames the platforms give by default (拼多多用户_8812, 抖音用户7788, jd_55e0b713).
BUYER_NAMES = [(re.compile(r"^拼多多用户"), "pdd"), (re.compile(r"^抖音用户"), "douyin"),
               (re.compile(r"^jd_[0-9a-z]{6,}$", re.I), "jd")]
_WORD = re.compile(r"[a-z]+|[\u4e00-\u9fff]+", re.I)


def platform_code(value: str | None) -> str | None:
    """A platform column's value as a code ("拼多多" -> "pdd", "JD" -> "jd"); None when it names none."""
    text = (value or "").strip().lower()
    if not text:
        return None
    if text in KNOWN:
        return text
    for code, names in ALIASES.items():
        if text in names or any(len(n) > 1 and n in text for n in names if not n.isascii()):
            return code
    return None


def guess_platform(file: str | None, customers: list[str | None] = ()) -> str:
    """The platform an export without a platform column shows: words of its file name
    ("pdd_shop_export.csv", "京东导出.xlsx"), else the buyers' default nicknames; "unknown" if neither."""
    stem = PurePath((file or "").split("/")[-1]).stem.lower()
    for word in _WORD.findall(stem):
        for code, names in ALIASES.items():
            if word in names or (not word.isascii() and any(not n.isascii() and n in word for n in names)):
                return code
    for name in customers:
        for pattern, code in BUYER_NAMES:
            if name and pattern.search(name):
                return code
    return "unknown"


def platform_of(value: str | None, file: str | None = None, customers: list[str | None] = ()) -> str:
    """The chat's platform code: the column's value if it names one (an unknown name as given), else the guess."""
    if value and value.strip():
        return platform_code(value) or value.strip()
    return guess_platform(file, customers)
