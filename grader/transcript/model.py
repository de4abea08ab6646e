"""One model of a chat transcript, whatever platform or export it came from."""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

from grader.transcript import content

SHANGHAI = ZoneInfo("Asia/Shanghai")

Role = Literal["customer", "agent", "system"]


class Message(BaseModel):
    """One message. `index` is its position in the transcript (after sorting by time)."""

    index: int = 0
    time: datetime | None = None
    sender: str
    role: Role
    text: str
    auto_reply: bool = False
    # System messages: "transfer", "recall", "order", "notice", "warning" (a platform's reply-timeout
    # warning), "closed" (session closed), "card" (the product card a notice brings).
    # Customer and agent messages: "text", or what a message without words holds: "image",
    # "emoticon", "card" (content.WORDLESS_KINDS), so word-based measures leave it out.
    kind: str = "text"
    # A robot's reply (店小蜜, 智能客服, 机器人: transcript/robots.txt): "full" when it answered
    # alone, "assist" in assist mode (辅助模式). Robot messages are auto-replies (`auto_reply` set)
    # for the rubric; the platforms' KPIs count assist-mode ones.
    robot: str | None = None
    # A message outside the part of the chat this card judges (a chat handed over between agents
    # is judged per agent: `Transcript.part_of`): an earlier agent's, shown, never this agent's.
    colleague: bool = False
    source_file: str | None = None
    source_line: int | None = None

    @field_validator("time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        # Naive times in Chinese shop exports are Beijing time.
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=SHANGHAI)
        return value

    @property
    def is_human_agent(self) -> bool:
        """A reply written by the person this card judges: no auto-reply, robot or colleague."""
        return self.role == "agent" and not self.auto_reply and not self.colleague

    @property
    def has_words(self) -> bool:
        """Whether word-based measures look at this message: not an image, emoticon or card."""
        return self.kind not in content.WORDLESS_KINDS and content.has_words(self.text)


class Transcript(BaseModel):
    id: str
    platform: str = "unknown"
    shop: str | None = None
    agent: str | None = None
    agents: list[str] = Field(default_factory=list)
    customer: str | None = None
    messages: list[Message]
    source_file: str | None = None
    source_line: int | None = None
    # What the reader had to repair (sorted messages, dropped duplicates, ...).
    notes: list[str] = Field(default_factory=list)
    # How finely the export gives times, in seconds: 1, or 60 when times have no seconds (an
    # Excel re-save, a minute-only header); latencies are then only known within a minute.
    time_resolution: int = 1
    # When the same buyer's next chat with the shop began, if the reader split it off this one
    # (exports without chat ids): the shop's contacts before then are all in this chat.
    next_chat_at: datetime | None = None
    # A chat handed over between agents is judged per agent (transcript/transfers.py): each part
    # names the whole chat (`part_of`), where this agent took over (`served_from`: the index of the
    # transfer notice) and where he handed over (`handed_over_at`); None for a chat one person served.
    part_of: str | None = None
    served_from: int | None = None
    handed_over_at: int | None = None

    @property
    def started_at(self) -> datetime | None:
        times = [m.time for m in self.messages if m.role == "customer" and m.time]
        if not times:
            times = [m.time for m in self.messages if m.time]
        return min(times) if times else None

    def normalize(self) -> "Transcript":
        """Sort by time (stable), drop exact duplicates, renumber, and fill agent/agents.

        Repairs are recorded in `notes` so nothing changes silently.
        """
        msgs = list(self.messages)
        if all(m.time is not None for m in msgs):
            order = sorted(range(len(msgs)), key=lambda i: msgs[i].time)
            if order != list(range(len(msgs))):
                moved = sum(1 for pos, i in enumerate(order) if pos != i)
                self.notes.append(f"{moved} 条消息时间顺序错乱，已按时间重新排序")
                msgs = [msgs[i] for i in order]
        seen: set[tuple] = set()
        kept: list[Message] = []
        for m in msgs:
            key = (m.time, m.sender, m.text)
            if m.time is not None and key in seen:
                continue
            seen.add(key)
            kept.append(m)
        if len(kept) != len(msgs):
            self.notes.append(f"删除 {len(msgs) - len(kept)} 条重复消息（导出分页重叠）")
        for i, m in enumerate(kept):
            m.index = i
        self.messages = kept
        humans = [m.sender for m in kept if m.is_human_agent]
        for name in [m.sender for m in kept if m.role == "agent"]:
            if name not in self.agents:
                self.agents.append(name)
        if not self.agent:
            self.agent = credited_agent(humans)
        if not self.customer:
            self.customer = next((m.sender for m in kept if m.role == "customer"), None)
        return self


def credited_agent(human_senders: list[str]) -> str | None:
    """The human agent account with the most messages; ties go to the earliest to speak."""
    if not human_senders:
        return None
    counts = Counter(human_senders)
    best = max(counts.values())
    return next(s for s in human_senders if counts[s] == best)
