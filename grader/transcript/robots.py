"""Robots: 店小蜜, 智能客服, 机器人 and the like, told by sender account, text marker or role word.

The rules are data (`robots.txt` beside this module, one regex per line). A robot's message is an
agent message with `auto_reply` set (the rubric never credits a person for it) and `robot` naming
the mode, "full" (the robot answered alone) or "assist" (辅助模式), which platform KPIs count.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from grader.errors import ConfigError

WHERE = ("sender", "marker", "role")
MODES = ("full", "assist")


@dataclass(frozen=True)
class Rule:
    where: str
    mode: str
    pattern: re.Pattern[str]


def load_rules(text: str, source: str = "robots.txt") -> list[Rule]:
    """Parse a robot-rule file: `WHERE MODE REGEX` per line, # comments. ConfigError when a line
    is not understood."""
    rules = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) != 3 or parts[0] not in WHERE or parts[1] not in MODES:
            raise ConfigError(f"{source}:{number}: expected 'WHERE MODE REGEX' (WHERE sender/marker/role, "
                              f"MODE full/assist), got {raw!r}")
        try:
            rules.append(Rule(parts[0], parts[1], re.compile(parts[2].strip(), re.IGNORECASE)))
        except re.error as exc:
            raise ConfigError(f"{source}:{number}: bad regular expression: {exc}") from None
    return rules


RULES = load_rules(resources.files("grader.transcript").joinpath("robots.txt").read_text("utf-8"))


@lru_cache(maxsize=4096)
def robot_sender(account: str) -> str | None:
    """"full"/"assist" when `account` (with or without the shop prefix "店铺:") is a robot's."""
    name = account.replace("：", ":").rpartition(":")[2].strip()
    for rule in RULES:
        if rule.where == "sender" and rule.pattern.fullmatch(name):
            return rule.mode
    return None


def robot_marker(text: str) -> tuple[str, str] | None:
    """(mode, text without the marker) when an agent message's text opens with a robot marker."""
    stripped = text.lstrip()
    if not stripped.startswith(("[", "【")):
        return None
    for rule in RULES:
        if rule.where == "marker":
            m = rule.pattern.match(stripped)
            if m:
                return rule.mode, stripped[m.end():].lstrip()
    return None


@lru_cache(maxsize=256)
def robot_role(word: str) -> str | None:
    """"full"/"assist" when a role word (角色 column, JSON role) names a robot."""
    text = word.strip()
    for rule in RULES:
        if rule.where == "role" and rule.pattern.fullmatch(text):
            return rule.mode
    return None


def robot_value(value: object) -> str | None:
    """A JSON/CSV robot field: true/是/full → "full", assist/辅助 → "assist", false/empty → None.
    ValueError for anything else."""
    if value is None or value is False or value == "" or value == 0:
        return None
    if value is True or value == 1:
        return "full"
    word = str(value).strip().lower()
    if word in ("full", "auto", "全自动", "是", "true", "yes", "1", "y", "机器人"):
        return "full"
    if word in ("assist", "辅助", "辅助模式", "assisted"):
        return "assist"
    if word in ("否", "false", "no", "0", "n", "none", "人工"):
        return None
    raise ValueError(f"机器人字段的值看不懂（应为 是/否/full/assist/辅助）：{value!r}")
