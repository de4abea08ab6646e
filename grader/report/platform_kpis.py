"""The platforms' own service KPIs (平台口径), so the month can be compared with the shop's dashboard.

A shop's mode (`Policy.platform_kpi.mode_of`) picks one platform's definitions; docs/month.md
states them with their sources and the readings we had to choose. In short (times are local):

- taobao (淘宝/天猫): reply rounds — a buyer's first line to the first valid reply; valid = a person
  or a robot in assist mode (智能辅助), a fully automatic robot's reply is not; a chat received only by
  a fully automatic robot is left out. Rounds begun 08:00–23:00. 旺旺人工平响 = Σ min(wait, 600 s) ÷
  rounds, an unanswered round counting 600 s; 3分钟响应率 = rounds answered within 180 s ÷ rounds.
- jd (京东咚咚): sessions — a buyer back within 10 minutes of the session's last message continues
  it (also across chat files); only sessions begun 09:00–23:00. 30秒应答率 = sessions whose first
  consultation got a person's reply within 30 s ÷ sessions; 平均响应 = the mean wait of the answered
  rounds of those sessions.
- pdd (拼多多): buyers — each buyer of each day who wrote 08:00–23:00; a buyer fails when any message
  waited over 180 s for a person (or got none). 3分钟人工回复率 = (buyers − failed) ÷ buyers.
- douyin (抖音飞鸽): sessions (a chat) begun 08:00–23:00; the welcome message (an auto-reply) is no
  reply, an assist-mode robot's is. 3分钟人工回复率 = sessions whose mean wait per round is at most
  180 s (an unanswered round fails it) ÷ sessions; 首响 = mean first wait; 平响 = mean wait of the
  answered rounds; 人工不服务率 = sessions without any person's reply ÷ sessions.

The month reads each chat as its stored timeline (`grader.scorecard.facts.timeline_of`), which
answers as its transcript does to everything below.

Robots: a message's `robot` ("assist" | "full", `grader.transcript.robots`); an auto-reply that is
no robot's (a welcome or quick reply the shop set) counts as fully automatic. Bounds are inclusive (180 s is within 3 minutes).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Callable, Iterable

import pandas as pd

from grader.report.kpis import Figures
from grader.transcript.model import SHANGHAI, Message, Transcript

MODES = {"taobao": "淘宝/天猫", "jd": "京东", "pdd": "拼多多", "douyin": "抖音"}
HOURS = {"taobao": (8, 23), "jd": (9, 23), "pdd": (8, 23), "douyin": (8, 23)}
ROUND_CAP = 600.0  # Taobao: a round counts at most 10 minutes; an unanswered one 10 minutes
SESSION_GAP = 600.0  # JD: a buyer back within 10 minutes continues the session
WITHIN = {"taobao": 180.0, "jd": 30.0, "pdd": 180.0, "douyin": 180.0}


def robot_mode(m: Message) -> str | None:
    """"assist" (智能辅助: the robot answers inside the human stage), "full" (全自动: a robot alone, or
    any other auto-reply) or None (a person)."""
    if m.role != "agent":
        return None
    if m.robot in ("assist", "full"):
        return m.robot
    return "full" if m.auto_reply else None


def valid_reply(m: Message, mode: str) -> bool:
    """Whether `m` answers a round for `mode`: a person always; an assist-mode robot on Taobao and Douyin."""
    if m.role != "agent":
        return False
    kind = robot_mode(m)
    return kind is None or (kind == "assist" and mode in ("taobao", "douyin"))


@dataclass(frozen=True)
class Unit:
    """One thing a platform KPI counts: a round, a session or a buyer-day of one chat.

    `wait`: seconds to the valid reply (None: unanswered); `counted`: inside the KPI's base;
    `why`: the reason shown in the drill-down (Chinese); `waits`: a session's rounds (Douyin, JD)."""

    kind: str  # "round" | "session" | "buyer"
    transcript_id: str
    agent: str
    start: datetime
    wait: float | None
    counted: bool
    why: str
    waits: tuple[float | None, ...] = ()
    index: int = 0  # the message that opened it


def rounds(messages: list[Message], mode: str) -> list[tuple[Message, Message | None]]:
    """(the buyer's first line, the first valid reply or None) of each reply round, in order."""
    out, opened = [], None
    for m in messages:
        if m.time is None:
            continue
        if m.role == "customer" and opened is None:
            opened = m
        elif opened is not None and valid_reply(m, mode):
            out.append((opened, m))
            opened = None
    if opened is not None:
        out.append((opened, None))
    return out


def own_rounds(t: Transcript, mode: str) -> list[tuple[Message, Message | None]]:
    """The rounds of the part of a handed-over chat this agent served (`Transcript.part_of`): not
    those answered before he took over (an earlier agent's), nor one still open when he handed over
    (the next agent's); a chat one person served keeps all its rounds."""
    start = t.served_from or 0
    out = []
    for first, reply in rounds(t.messages, mode):
        if (reply is not None and reply.index < start) or (reply is None and t.handed_over_at is not None):
            continue
        out.append((first, reply))
    return out


def _seconds(first: Message, reply: Message | None) -> float | None:
    return None if reply is None else max(0.0, (reply.time - first.time).total_seconds())


def _in_hours(moment: datetime, mode: str, tz) -> bool:
    lo, hi = HOURS[mode]
    return time(lo) <= moment.astimezone(tz).time() < time(hi)


def _hours_text(mode: str) -> str:
    lo, hi = HOURS[mode]
    return f"{lo:02d}:00–{hi:02d}:00"


def taobao_units(t: Transcript, agent: str, tz=SHANGHAI) -> list[Unit]:
    """Reply rounds of a Taobao/Tmall chat (see the module's definitions)."""
    pairs = own_rounds(t, "taobao")
    if not any(valid_reply(m, "taobao") for m in t.messages) and any(robot_mode(m) == "full" for m in t.messages):
        return [Unit("round", t.id, agent, first.time, None, False, "全自动机器人接待，不计入（分子分母都不算）",
                     index=first.index) for first, _ in pairs]
    out = []
    for first, reply in pairs:
        wait = _seconds(first, reply)
        if not _in_hours(first.time, "taobao", tz):
            why, counted = f"顾客首句不在考核时段 {_hours_text('taobao')}", False
        elif wait is None:
            why, counted = "未回复，按 600 秒计", True
        else:
            why = f"{wait:.0f} 秒" + ("，超过 10 分钟按 600 秒计" if wait > ROUND_CAP else "") + \
                  ("（机器人智能辅助回复，计入）" if robot_mode(reply) == "assist" else "")
            counted = True
        out.append(Unit("round", t.id, agent, first.time, wait, counted, why, index=first.index))
    return out


def jd_units(chats: list[tuple[Transcript, str]], tz=SHANGHAI) -> list[Unit]:
    """JD sessions of one buyer's chats (in time order): a customer message more than 10 minutes
    after the buyer's previous message with the shop opens a new session, whose first consultation
    is timed to the first reply of a person in the same chat."""
    out, last = [], None
    for t, agent in chats:
        msgs = [m for m in t.messages if m.time is not None]
        lo, hi = t.served_from or 0, t.handed_over_at
        for n, m in enumerate(msgs):
            mine = lo <= m.index and (hi is None or m.index <= hi)  # a handed-over chat: this agent's part
            if mine and m.role == "customer" and (last is None or (m.time - last).total_seconds() > SESSION_GAP):
                out.append(_jd_session(t, agent, msgs, n, tz))
            if m.role != "system":
                last = m.time
    return out


def _jd_session(t: Transcript, agent: str, msgs: list[Message], n: int, tz) -> Unit:
    first = msgs[n]
    end = next((k for k in range(n + 1, len(msgs)) if msgs[k].role == "customer" and
                (msgs[k].time - msgs[k - 1].time).total_seconds() > SESSION_GAP), len(msgs))
    pairs = rounds(msgs[n:end], "jd")
    waits = tuple(_seconds(a, b) for a, b in pairs)
    wait = waits[0] if waits else None
    if not _in_hours(first.time, "jd", tz):
        why, counted = f"会话发起时间不在考核时段 {_hours_text('jd')}", False
    else:
        counted = True
        why = "首次咨询没有人工回复" if wait is None else f"首次咨询 {wait:.0f} 秒后人工回复"
    return Unit("session", t.id, agent, first.time, wait, counted, why, waits, first.index)


def pdd_units(t: Transcript, agent: str, tz=SHANGHAI) -> list[Unit]:
    """One unit per buyer and day of a Pinduoduo chat: its longest wait for a person (None: a
    message never answered) over the rounds begun 08:00–23:00."""
    days: dict = {}
    for first, reply in own_rounds(t, "pdd"):
        if _in_hours(first.time, "pdd", tz):
            days.setdefault(first.time.astimezone(tz).date(), []).append((first, _seconds(first, reply)))
    out = []
    for day, waits in sorted(days.items()):
        unanswered = [f for f, w in waits if w is None]
        worst = None if unanswered else max(w for _, w in waits)
        slow = unanswered[0] if unanswered else max(waits, key=lambda x: x[1])[0]
        why = (f"第{slow.index + 1}条没有人工回复" if unanswered else f"最长等待 {worst:.0f} 秒（第{slow.index + 1}条）")
        out.append(Unit("buyer", t.id, agent, waits[0][0].time, worst, True, why, tuple(w for _, w in waits),
                        slow.index))
    return out


def douyin_units(t: Transcript, agent: str, tz=SHANGHAI) -> list[Unit]:
    """The Douyin session of a chat: its rounds' waits for a person (the welcome message is none)."""
    pairs = own_rounds(t, "douyin")
    if not pairs:
        return []
    first = pairs[0][0]
    waits = tuple(_seconds(a, b) for a, b in pairs)
    if not _in_hours(first.time, "douyin", tz):
        return [Unit("session", t.id, agent, first.time, waits[0], False,
                     f"会话发起时间不在考核时段 {_hours_text('douyin')}", waits, first.index)]
    if all(w is None for w in waits):
        why = "除欢迎语外客服没有人工回复（人工不服务）"
    else:
        answered = [w for w in waits if w is not None]
        why = f"首响 {waits[0]:.0f} 秒，" if waits[0] is not None else "首句未回复，"
        why += f"平均每轮 {sum(answered) / len(answered):.0f} 秒" + ("，有一轮未回复" if None in waits else "")
    return [Unit("session", t.id, agent, first.time, waits[0], True, why, waits, first.index)]


@dataclass
class PlatformFigures(Figures):
    """One agent's figures in one mode (`Figures` by label: rates 0..1, seconds; `counted`: the
    chats that failed or lowered each)."""

    agent: str
    mode: str


def _rate(good: list[Unit], base: list[Unit]) -> float | None:
    return len(good) / len(base) if base else None


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def figures(agent: str, mode: str, units: list[Unit]) -> PlatformFigures:
    """The platform's formulas over one agent's counted units (see the module's definitions)."""
    base = [u for u in units if u.counted]
    f = PlatformFigures(agent, mode)
    limit = WITHIN[mode]

    def put(label: str, value, n: int, bad: list[Unit]) -> None:
        f.values[label], f.bases[label] = value, n
        f.counted[label] = list(dict.fromkeys(u.transcript_id for u in bad))

    if mode == "taobao":
        capped = [ROUND_CAP if u.wait is None else min(u.wait, ROUND_CAP) for u in base]
        put("旺旺人工平响(秒)", _mean(capped), len(base), [u for u in base if u.wait is None or u.wait > limit])
        fast = [u for u in base if u.wait is not None and u.wait <= limit]
        put("3分钟响应率", _rate(fast, base), len(base), [u for u in base if u not in fast])
    elif mode == "jd":
        fast = [u for u in base if u.wait is not None and u.wait <= limit]
        put("30秒应答率", _rate(fast, base), len(base), [u for u in base if u not in fast])
        answered = [w for u in base for w in u.waits if w is not None]
        put("平均响应(秒)", _mean(answered), len(answered), [u for u in base if u.wait is None or u.wait > limit])
    elif mode == "pdd":
        ok = [u for u in base if u.wait is not None and u.wait <= limit]
        put("3分钟人工回复率", _rate(ok, base), len(base), [u for u in base if u not in ok])
    else:
        ok = [u for u in base if None not in u.waits and _mean(u.waits) <= limit]
        put("3分钟人工回复率", _rate(ok, base), len(base), [u for u in base if u not in ok])
        first = [u for u in base if u.wait is not None]
        put("首响(秒)", _mean(u.wait for u in first), len(first), [u for u in first if u.wait > limit])
        answered = [w for u in base for w in u.waits if w is not None]
        put("平响(秒)", _mean(answered), len(answered), [u for u in base if any(w and w > limit for w in u.waits)])
        idle = [u for u in base if all(w is None for w in u.waits)]
        put("人工不服务率", _rate(idle, base), len(base), idle)
    return f


def month_units(chats: list[tuple[Transcript, str]], mode_of: Callable[[Transcript], str | None],
                tz=SHANGHAI) -> list[tuple[str, Unit]]:
    """(mode, unit) of every chat whose shop has a platform mode; `chats`: (transcript, credited agent),
    a transcript or its stored `grader.scorecard.facts.Timeline` (the same attributes, no text)."""
    out: list[tuple[str, Unit]] = []
    jd: dict[tuple, list[tuple[Transcript, str]]] = {}
    for t, agent in chats:
        mode = mode_of(t)
        if mode == "jd":
            jd.setdefault((t.shop or "", t.customer or t.id), []).append((t, agent))
        elif mode in ("taobao", "pdd", "douyin"):
            make = {"taobao": taobao_units, "pdd": pdd_units, "douyin": douyin_units}[mode]
            out += [(mode, u) for u in make(t, agent, tz)]
    for buyer_chats in jd.values():
        buyer_chats.sort(key=lambda c: c[0].started_at or datetime.min.replace(tzinfo=SHANGHAI))
        out += [("jd", u) for u in jd_units(buyer_chats, tz)]
    return out


def agent_figures(units: list[tuple[str, Unit]]) -> list[PlatformFigures]:
    """Per (mode, agent): the platform's figures."""
    groups: dict[tuple[str, str], list[Unit]] = {}
    for mode, u in units:
        groups.setdefault((mode, u.agent), []).append(u)
    return [figures(agent, mode, us) for (mode, agent), us in sorted(groups.items())]


def figures_frame(rows: list[PlatformFigures]) -> pd.DataFrame:
    """One row per agent, mode and figure (rates as percentages, 1 decimal), with its base and the
    chats that failed or lowered it (the drill-down; 平台口径明细 has every unit)."""
    out = []
    for f in rows:
        for label, v in f.values.items():
            rate = label.endswith("率")
            out.append({"平台口径": MODES[f.mode], "客服": f.agent, "指标": label + ("(%)" if rate else ""),
                        "数值": None if v is None else round(100 * v if rate else v, 1), "基数": f.bases[label],
                        "未达标的会话": "、".join(f.counted[label][:20]) + ("…" if len(f.counted[label]) > 20 else "")})
    return pd.DataFrame(out)


def units_frame(units: list[tuple[str, Unit]], tz=SHANGHAI) -> pd.DataFrame:
    """The drill-down: every round, session or buyer-day, whether it counts and why."""
    kinds = {"round": "对话轮次", "session": "会话", "buyer": "咨询买家（当天）"}
    return pd.DataFrame([{
        "平台口径": MODES[mode], "客服": u.agent, "会话ID": u.transcript_id, "单位": kinds[u.kind],
        "开始": u.start.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), "消息": f"第{u.index + 1}条",
        "等待(秒)": None if u.wait is None else round(u.wait, 1), "计入": "是" if u.counted else "否", "说明": u.why,
    } for mode, u in units])
