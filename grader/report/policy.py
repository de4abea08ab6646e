"""A shop's monthly assessment policy (考核方案): weights, bands and bonuses, pay, ranking rewards,
alert rules, KPI thresholds and the self-assessment items — data in a TOML file, validated on load.

`load_policy(path)` reads a file (None: the bundled `policy.toml`, whose values are the documented
defaults). Unknown keys, wrong types and inconsistent values (weights not summing to 1, bands not
descending, self-assessment maxima not summing to 100) raise `PolicyError` with a Chinese message
naming the key and, for unknown keys, listing the keys allowed there.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from grader.errors import ConfigError

DEFAULT_POLICY = Path(__file__).with_name("policy.toml")


class PolicyError(ConfigError):
    """The policy file cannot be used; the message (Chinese) says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FinalGrade(_Strict):
    supervisor_weight: float = Field(0.7, ge=0, le=1)
    self_weight: float = Field(0.3, ge=0, le=1)
    without_self: Literal["supervisor_only", "zero"] = "supervisor_only"
    min_chats: int = Field(1, ge=0)

    @model_validator(mode="after")
    def _weights(self):
        if abs(self.supervisor_weight + self.self_weight - 1) > 1e-9:
            raise ValueError(f"supervisor_weight 与 self_weight 之和必须为 1（现在是 "
                             f"{self.supervisor_weight} + {self.self_weight}）")
        return self


class Band(_Strict):
    name: str = Field(min_length=1)
    min: float = Field(ge=0, le=100)
    bonus: float = 0


class Pay(_Strict):
    base: float = Field(5000, ge=0)
    base_by_agent: dict[str, float] = Field(default_factory=dict)

    def base_of(self, agent: str) -> float:
        return self.base_by_agent.get(agent, self.base)


class Ranking(_Strict):
    first_reward: float = 100
    last_reward: float = -100


class Alerts(_Strict):
    improvement_plan_bottom: int = Field(2, ge=0)
    last_place_months: int = Field(3, ge=1)
    fail_months: int = Field(2, ge=1)


class Kpi(_Strict):
    lost_after_slow_reply_seconds: float = Field(60, gt=0)
    resolve_within_hours: float = Field(24, gt=0)


PlatformMode = Literal["off", "taobao", "jd", "pdd", "douyin"]


class PlatformKpi(_Strict):
    """Which platform's own KPI definitions (平台口径, `grader.report.platform_kpis`) a shop's month shows."""

    mode: Literal["platform", "off", "taobao", "jd", "pdd", "douyin"] = "platform"
    by_shop: dict[str, PlatformMode] = Field(default_factory=dict)

    def mode_of(self, shop: str | None, platform: str) -> str | None:
        """The mode of a chat: the shop's own setting, else `mode` ("platform": the chat's platform,
        when it is one of the four); None when off."""
        mode = self.by_shop.get(shop or "", self.mode)
        if mode == "platform":
            mode = platform if platform in ("taobao", "jd", "pdd", "douyin") else "off"
        return None if mode == "off" else mode


class SalesOptions(_Strict):
    """The order join (`grader.report.orders`): an order placed up to `final_days` after a chat began is its sale."""

    final_days: int = Field(3, ge=1, le=31)


class ReportOptions(_Strict):
    trend_months: int = Field(6, ge=1, le=36)


class SelfItem(_Strict):
    id: str = Field(min_length=1)
    label: str = Field(min_length=1)
    max: int = Field(gt=0)


DEFAULT_BANDS = [Band(name="优秀", min=90, bonus=1000), Band(name="良好", min=80, bonus=500),
                 Band(name="合格", min=70, bonus=0), Band(name="不合格", min=0, bonus=-500)]


class Policy(_Strict):
    """The whole policy; every section has the documented defaults."""

    version: str = "1"
    final_grade: FinalGrade = FinalGrade()
    bands: list[Band] = Field(default_factory=lambda: list(DEFAULT_BANDS))
    pay: Pay = Pay()
    ranking: Ranking = Ranking()
    alerts: Alerts = Alerts()
    kpi: Kpi = Kpi()
    platform_kpi: PlatformKpi = PlatformKpi()
    sales: SalesOptions = SalesOptions()
    report: ReportOptions = ReportOptions()
    self_assessment: list[SelfItem] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self):
        mins = [b.min for b in self.bands]
        if not mins or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValueError("bands 必须从高到低排列，每个等级的 min 不同")
        if mins[-1] != 0:
            raise ValueError("最后一个等级的 min 必须是 0，否则低分没有等级")
        ids = [i.id for i in self.self_assessment]
        if len(set(ids)) != len(ids):
            raise ValueError("self_assessment 的 id 不能重复")
        if self.self_assessment and sum(i.max for i in self.self_assessment) != 100:
            raise ValueError(f"self_assessment 各项满分之和必须为 100（现在是 {sum(i.max for i in self.self_assessment)}）")
        return self

    def band(self, score: float) -> Band:
        """The band of a final grade (0..100): the first whose `min` it reaches."""
        return next(b for b in self.bands if score >= b.min)


def _allowed(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys allowed at `loc` (the parent of an unknown key) in `model`."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        inner = getattr(ann, "__args__", None)
        ann = inner[0] if inner and isinstance(inner[0], type) and issubclass(inner[0], BaseModel) else ann
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
    return list(model.model_fields)


_TYPES = {"int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数", "float_parsing": "应为数字",
          "float_type": "应为数字", "string_type": "应为文字（加引号）", "bool_type": "应为 true 或 false",
          "list_type": "应为列表（[[…]] 表）", "dict_type": "应为表（{…} 或 [小节]）", "model_type": "应为表（[小节]）",
          "missing": "缺少这一项", "string_too_short": "不能为空"}


def _explain(err: dict) -> str:
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind in _TYPES:
        return _TYPES[kind]
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {"greater_than_equal": "不能小于", "greater_than": "必须大于", "less_than_equal": "不能大于",
                "less_than": "必须小于"}[kind]
        return f"{word} {next(iter(ctx.values()))}"
    if kind == "literal_error":
        return f"只能是 {ctx.get('expected')}"
    return err["msg"]


def _message(exc: ValidationError, where: str) -> str:
    lines = [f"考核方案文件 {where} 有误："]
    for err in exc.errors():
        loc = tuple(err["loc"])
        name = ".".join(str(p) for p in loc) or "（整个文件）"
        if err["type"] == "extra_forbidden":
            allowed = "、".join(_allowed(Policy, loc[:-1]))
            lines.append(f"- 不认识的设置项 {name}；这里允许的设置项有：{allowed}")
        elif err["type"] == "value_error":
            lines.append(f"- {name}：{str(err.get('ctx', {}).get('error', err['msg']))}")
        else:
            lines.append(f"- {name}：值 {err.get('input')!r} 不合要求（{_explain(err)}）")
    return "\n".join(lines)


def parse_policy(text: str, where: str = "<policy>") -> Policy:
    """A Policy from TOML text; PolicyError (Chinese message) when it is not valid."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"考核方案文件 {where} 不是有效的 TOML：{exc}") from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_message(exc, where)) from None


def load_policy(path: str | Path | None = None) -> Policy:
    """The policy in `path` (None: the bundled defaults, `grader/report/policy.toml`).
    Raises PolicyError (in Chinese) for an unreadable file, an unknown setting or a bad value."""
    path = Path(path) if path else DEFAULT_POLICY
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"无法读取考核方案文件 {path}：{exc.strerror or exc}") from None
    return parse_policy(text, str(path))
