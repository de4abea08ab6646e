"""Report tables from the database: final scores (supervisor overrides win), per agent and day."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from grader.dates import day_of
from grader.display import NOT_APPLICABLE, platform_label
from grader.rubric import Rubric, load_rubric
from grader.store import Store
from grader.transcript.model import SHANGHAI


def local_naive(moment, tz):
    """A moment as the shop's local time without an offset (the workbook types it as a date and time)."""
    return moment.astimezone(tz).replace(tzinfo=None) if moment else None


def item_scores(values: pd.Series) -> pd.Series:
    """An item column as numbers: 不适用 and missing cells become NaN, so averages leave them out."""
    return pd.to_numeric(values.where(values != NOT_APPLICABLE), errors="coerce")


def band_names(rubric: Rubric) -> list[str]:
    """The rubric's band names, best first."""
    return [name for _, name in sorted(rubric.bands, reverse=True)]


@dataclass
class ReportData:
    period: str
    rubric: Rubric
    cards: pd.DataFrame       # one row per scorecard
    agent_days: pd.DataFrame  # one row per agent and day
    ranking: pd.DataFrame     # one row per agent for the period
    reviews: pd.DataFrame = None  # one row per override or dispute of the period's chats

    def __post_init__(self):
        if self.reviews is None:
            self.reviews = pd.DataFrame()

    @property
    def reviewed(self) -> int:
        return int(self.cards["已复核"].sum()) if len(self.cards) else 0


def build(store: Store, since: str | None, until: str | None, period: str, rubric: Rubric | None = None,
          tz=SHANGHAI, masker=None) -> ReportData:
    """The report's tables for chats whose local day in `tz` is in since..until (ISO dates, inclusive).

    Final scores are the final cards' (`Store.final_cards`): overrides applied where they are allowed
    levels, bands named by `rubric` (the one the scorecards were graded with). Text cells are masked
    by `masker` (grader.privacy; None: the default, masking on)."""
    from grader.privacy import load_masker

    rubric = rubric or load_rubric()
    mask = (masker if masker is not None else load_masker()).mask  # text cells (grader.privacy)
    cards = store.current_in_days(since, until, tz)
    reviewed = store.reviewed([c.transcript_id for c in cards])
    rows = []
    for fc in store.final_cards(cards, rubric):
        c, final, total = fc.card, fc.scores(), fc.total
        row = {
            "日期": day_of(c.started_at, tz).isoformat(), "客服": mask(c.agent or "（未知）"), "会话ID": mask(c.transcript_id),
            "平台": platform_label(c.platform), "开始时间": local_naive(c.started_at, tz), "场景": c.scenario_label, "建议总分": c.total, "最终总分": total, "等级": fc.band,
            "已复核": c.transcript_id in reviewed, "有改分": fc.overridden,
            "需复核": c.needs_review,
            "首次响应(秒)": c.metrics.get("first_response_seconds"),
            "30秒内回复占比": c.metrics.get("replied_within_30s_share"),
        }
        not_applicable = {i.item.id for i in fc.items if i.item.not_applicable and not i.overridden}
        for item in rubric.items:  # 不适用 marked; item averages leave it out (`item_scores`)
            row[item.label] = NOT_APPLICABLE if item.id in not_applicable else final.get(item.id)
        rows.append(row)
    df = pd.DataFrame(rows)
    reviews = _reviews(store, [c.transcript_id for c in cards], {c.transcript_id: c for c in cards}, rubric, tz)
    for column in ("会话ID", "客服", "原因", "处理结果"):  # free text may quote a buyer: masked like the cards
        if column in reviews:
            reviews[column] = reviews[column].map(lambda v: mask(v) if isinstance(v, str) else v)
    return ReportData(period, rubric, df, _agent_days(df, rubric), _ranking(df), reviews)


KIND_LABELS = {"web": "改分", "cli": "改分（命令行）", "dispute": "申诉改分", "bulk": "批量接受"}
DISPUTE_LABELS = {"open": "申诉（待处理）", "accepted": "申诉（已接受）", "rejected": "申诉（已驳回）"}


def _reviews(store: Store, ids: list[str], cards: dict, rubric: Rubric, tz) -> pd.DataFrame:
    """Each override and dispute of these chats: item, from → to, reason, who, when (local time)."""
    from grader.rubric import SCENARIO_LABELS

    labels = {i.id: i.label for i in rubric.items} | {"scenario": "场景"}
    overrides, disputes = store.review_records(ids)

    def local(at):  # stored as UTC ISO text (naive = UTC)
        if not at:
            return None
        moment = pd.Timestamp(at)
        moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
        return moment.tz_convert(tz).tz_localize(None).to_pydatetime()

    def level(item, value):
        return SCENARIO_LABELS.get(value, value) if item == "scenario" else value

    rows = []
    for o in overrides:
        c = cards.get(o["transcript_id"])
        rows.append({"时间": local(o["at"]), "会话ID": o["transcript_id"], "客服": (c.agent if c else None) or "（未知）",
                     "类型": KIND_LABELS.get(o["source"], "改分"), "项目": labels.get(o["item_id"], o["item_id"]),
                     "原分": level(o["item_id"], o["from_value"]), "改为": level(o["item_id"], o["to_value"]),
                     "原因": o["reason"] or "", "操作人": o["by"], "处理结果": ""})
    for d in disputes:
        c = cards.get(d["transcript_id"])
        rows.append({"时间": local(d["at"]), "会话ID": d["transcript_id"], "客服": (c.agent if c else None) or "（未知）",
                     "类型": DISPUTE_LABELS.get(d["status"], "申诉"), "项目": labels.get(d["item_id"], d["item_id"]),
                     "原分": None, "改为": d["requested"], "原因": d["comment"] or "", "操作人": d["by"],
                     "处理结果": (f"{d['resolved_by']}：{d['resolution'] or ''}（{local(d['resolved_at']):%Y-%m-%d %H:%M}）"
                                  if d["resolved_at"] else "")})
    frame = pd.DataFrame(rows)
    return frame.sort_values("时间", kind="stable").reset_index(drop=True) if len(frame) else frame


def _agent_days(df: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame()
    g = df.groupby(["日期", "客服"], sort=True)
    out = g.agg(会话数=("会话ID", "count"), 平均分=("最终总分", "mean")).reset_index()
    for band in band_names(rubric):
        out[band] = g["等级"].apply(lambda s, b=band: int((s == b).sum())).values
    for item in rubric.items:  # NaN where no chat had the item, or it was 不适用 on every one
        out[f"{item.label}均分"] = df.assign(_s=item_scores(df[item.label])).groupby(["日期", "客服"], sort=True)["_s"].mean().values
    out["平均首次响应(秒)"] = g["首次响应(秒)"].mean().values
    out["30秒内回复占比"] = g["30秒内回复占比"].mean().values
    out["需复核"] = g["需复核"].sum().astype(int).values
    out["已复核"] = g["已复核"].sum().astype(int).values
    return out.round(2)


def _ranking(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame()
    g = df.groupby("客服")
    out = g.agg(会话数=("会话ID", "count"), 平均分=("最终总分", "mean")).reset_index()
    out = out.sort_values(["平均分", "会话数"], ascending=[False, False]).reset_index(drop=True)
    out.insert(0, "排名", out["平均分"].rank(method="min", ascending=False).astype(int))
    out["平均分"] = out["平均分"].round(2)
    out["绩效系数"] = (out["平均分"] / 100).round(2)
    return out
