"""Chats handed over between agents (由 A 转交给 B, 转接): one part per agent, each judged alone.

The choice (docs/conventions.md, README "Reading exports"): each agent is judged on the part he
served, on a scorecard of his own. A chat with a transfer notice (a system message of kind
"transfer") between the replies of two different people becomes one part per agent:

- the first agent's part keeps the chat's id and runs from the start to the transfer notice
  (inclusive); a question still open at the hand-over is the next agent's, not an unanswered
  turn of his (`Transcript.handed_over_at`);
- each later agent's part is `<id>~2`, `<id>~3` …: the chat from its start to the end of his part
  (or the next transfer), his first response timed from the transfer notice
  (`Transcript.served_from`), the earlier agents' messages shown but marked `colleague` (never his
  words, never a reply of his);
- every part names the whole chat (`Transcript.part_of`) and, in its notes, the other agents.

So the ranking and the month count each agent's own part, as cards of their own. A hand-over
from a robot or auto-reply to a person (转人工), or a transfer notice with one person on both
sides, is no split: a robot is never graded.
"""
from __future__ import annotations

from grader.transcript.model import Message, Transcript, credited_agent


def served_parts(t: Transcript) -> list[Transcript]:
    """`t` itself when one person served it, else one part per agent (see the module docstring)."""
    msgs = t.messages
    cuts = [m.index for m in msgs if m.role == "system" and m.kind == "transfer"]
    if not cuts or t.part_of is not None:
        return [t]
    parts = _agents_between(msgs, [0] + cuts + [len(msgs)])
    if len(parts) < 2:
        return [t]
    names = [agent for _, _, agent in parts]
    out = []
    for k, (start, end, agent) in enumerate(parts):
        last = k == len(parts) - 1
        view = msgs[:len(msgs) if last else end + 1]  # a part that hands over ends with its notice
        out.append(_part(t, view, k, start, None if last else end, agent, names))
    return out


def _agents_between(msgs: list[Message], bounds: list[int]) -> list[tuple[int, int, str]]:
    """(start, end, agent) of each run of segments one person served; a segment between two
    notices where no person spoke joins the run before it (the first such, the run after)."""
    runs: list[list] = []
    pending_start = None
    for start, end in zip(bounds, bounds[1:]):
        agent = credited_agent([m.sender for m in msgs[start:end] if m.is_human_agent])
        if agent is None or (runs and runs[-1][2] == agent):
            if runs:
                runs[-1][1] = end
            elif pending_start is None:
                pending_start = start
            continue
        runs.append([start if pending_start is None or runs else pending_start, end, agent])
        pending_start = None
    # a part ends where the next begins: at the transfer notice that hands it over
    return [(s, runs[i + 1][0] if i + 1 < len(runs) else e, a) for i, (s, e, a) in enumerate(runs)]


def _part(t: Transcript, view: list[Message], k: int, start: int, handed_over_at: int | None, agent: str,
          names: list[str]) -> Transcript:
    messages = []
    for m in view:
        copy = m.model_copy()
        if m.index < start and m.role == "agent" and not m.auto_reply and m.sender != agent:
            copy.colleague = True
        messages.append(copy)
    others = "、".join(dict.fromkeys(n for n in names if n != agent))
    note = (f"会话由多位客服接待（{' → '.join(dict.fromkeys(names))}）：本评分卡只评 {agent} 接待的部分"
            + (f"（第 {start + 1} 条消息的转接起）" if k else "（到转接为止）") + f"，{others} 的部分另有评分卡")
    return Transcript.model_construct(**{
        **{name: getattr(t, name) for name in Transcript.model_fields},
        "id": t.id if k == 0 else f"{t.id}~{k + 1}", "agent": agent, "agents": [], "messages": messages,
        "notes": list(t.notes) + [note], "part_of": t.id, "served_from": start if k else None,
        "handed_over_at": handed_over_at})
