"""A scorecard as the supervisor reads it on a terminal (`grader show`): the chat, then one line per
item with its score, certainty, flag and reason, and the evidence quoted by message number.

Scores are the final card's (`grader.scorecard.final`): an item a supervisor changed shows both.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from grader.display import platform_label, yes_no
from grader.scorecard.final import FinalCard, FinalItem

EVIDENCE_SHOWN = 3  # quotes per item; the rest are counted


def card_text(final: FinalCard, tz: ZoneInfo) -> str:
    """The card as lines of Chinese text, start time on the shop's clock (`tz`)."""
    c = final.card
    start = c.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if c.started_at else "（无时间）"
    lines = [f"会话 {c.transcript_id} · {platform_label(c.platform)} · {c.shop or '（未知店铺）'} · "
             f"客服 {c.agent or '（未知）'} · 开始 {start}",
             f"场景 {c.scenario_label}（把握 {c.scenario_confidence:.0%}） · 总分 {final.total} · 等级 {final.band}"
             f" · 需复核 {yes_no(c.needs_review)}"]
    for item in final.items:
        lines += item_lines(item)
    return "\n".join(lines)


def item_lines(item: FinalItem) -> list[str]:
    """One item: "分数/满分  标签（把握 NN%，需复核）：原因", then its evidence."""
    i = item.item
    score = "不适用" if i.not_applicable and not item.overridden else f"{item.final}/{i.max}"
    if item.overridden:
        score += f"（建议 {i.score}，{item.override.get('by', '')}改）"
    flag = "，需复核" if i.needs_review else ""
    head = f"{score:>6}  {i.label}（把握 {i.confidence:.0%}{flag}）：{i.reason}"
    quotes = [f"#{e.message_index + 1} {e.quote}" for e in i.evidence[:EVIDENCE_SHOWN]]
    more = f" 等 {len(i.evidence)} 处" if len(i.evidence) > EVIDENCE_SHOWN else ""
    return [head] + ([f"        证据 {' · '.join(quotes)}{more}"] if quotes else [])
