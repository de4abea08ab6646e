"""Checks a transcript passes whatever its format: one that fails is set aside with the reason,
never graded as if all were well.

`screen` (every read, `grader read` too):
- every time in 2000–2099 (a broken timestamp is refused, not left to overflow later);
- no message longer than MAX_MESSAGE_CHARS (a pasted dump is not a chat message, and grading it
  would take seconds per chat).

`fit_to_grade` (before grading; a one-sided excerpt may still be read and shown):
- a customer who says something, and roles that are not inverted: a sender who is both customer
  and agent, or a "customer" who is one of the shop's own sub-accounts ("店铺:子账号").
"""
from __future__ import annotations

from grader.transcript.model import Transcript
from grader.transcript.parsing import BadTime, check_time
from grader.transcript.reader_types import SetAside

MAX_MESSAGE_CHARS = 20_000


def screen(transcript: Transcript) -> Transcript | SetAside:
    """The transcript itself, or a SetAside (its file, line, id and the reason) if it cannot be
    read right: a time out of range, a message too long."""
    return _verdict(transcript, *_unreadable(transcript))


def fit_to_grade(transcript: Transcript) -> Transcript | SetAside:
    """The transcript itself, or a SetAside if the rubric cannot be applied to it: no customer,
    or roles that look inverted."""
    return _verdict(transcript, *_roles_problem(transcript))


def _verdict(t: Transcript, reason: str | None, line: int | None) -> Transcript | SetAside:
    if reason is None:
        return t
    lines = [m.source_line for m in t.messages if m.source_line is not None] + (
        [t.source_line] if t.source_line is not None else [])
    return SetAside(file=t.source_file or "", line=line or t.source_line, reason=reason, transcript_id=t.id,
                    span=(min(lines), max(lines)) if lines else None)


def _unreadable(t: Transcript) -> tuple[str | None, int | None]:
    for m in t.messages:
        if m.time is not None:
            try:
                check_time(m.time)
            except BadTime as exc:
                return f"第 {m.index + 1} 条消息{exc}", m.source_line
        if len(m.text) > MAX_MESSAGE_CHARS:
            return (f"第 {m.index + 1} 条消息长 {len(m.text)} 字，超过 {MAX_MESSAGE_CHARS} 字，不像聊天消息"
                    "（粘贴的大段文字或损坏的导出？）(message too long)"), m.source_line
    return None, None


def _roles_problem(t: Transcript) -> tuple[str | None, int | None]:
    roles: dict[str, set[str]] = {}
    for m in t.messages:
        if m.role != "system":
            roles.setdefault(m.sender, set()).add(m.role)
    both = [s for s, r in roles.items() if len(r) > 1]
    if both:
        return f"发送人 {both[0]!r} 在同一会话里既是客户又是客服，角色不可信 (inconsistent roles)", None
    customers = [s for s, r in roles.items() if "customer" in r]
    if not customers:
        return "会话里没有客户的消息，无法按评分表评分（角色缺失或颠倒？）(no customer)", None
    shop = (t.shop or "").strip()
    if shop:
        own = [s for s in customers if s.replace("：", ":").startswith(shop + ":")]
        if own:
            return (f"“客户” {own[0]!r} 是本店 {shop} 的子账号，客户与客服的角色可能颠倒了 "
                    "(roles look inverted)"), None
    return None, None
