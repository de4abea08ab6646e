"""Reviewer calibration sessions: several supervisors score the same sample of chats blind, then see
where they disagree with each other and with the tool, item by item.

Blind: until a rater has scored every chat of the session (or the session is closed), they see
neither the tool's scores nor anyone else's. Agreement per item is the share of exact matches:
between raters, over every pair of raters who scored the same chat; with the tool, over every
rater's score against the tool's suggested score.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import combinations

from grader.errors import GraderError
from grader.store import Store, now_iso

MAX_SAMPLE = 50


class SessionError(GraderError):
    """A calibration session action was refused; the message is for the supervisor (Chinese)."""


@dataclass
class ItemAgreement:
    item_id: str
    label: str
    chats: int  # chats where at least one rater scored the item
    raters_pairs: int
    raters_agree: float | None  # share of rater pairs giving the same score
    tool_pairs: int
    tool_agree: float | None  # share of rater scores equal to the tool's
    disagreements: list[dict] = field(default_factory=list)  # {transcript_id, scores: {rater: score}, tool}


def create_session(store: Store, name: str, by: str, candidates: list[str], size: int, raters: list[str],
                   seed: int | None = None) -> int:
    """Start a session on a random sample of `size` of the `candidates` (transcript ids).
    Raises SessionError for no name, a sample too small or raters who are not supervisors."""
    name = (name or "").strip()
    if not name:
        raise SessionError("请给校准练习起个名字")
    raters = sorted({r.strip() for r in raters if r.strip()})
    if len(raters) < 2:
        raise SessionError("校准练习至少需要两位主管参加")
    if not candidates:
        raise SessionError("所选日期内没有可以抽样的评分卡")
    size = max(1, min(int(size), MAX_SAMPLE, len(candidates)))
    sample = random.Random(seed).sample(list(candidates), size)
    with store.unit() as u:
        return u.add_calibration_session(name, by, now_iso(), sample, raters)


def get_session(store: Store, session_id: int) -> dict:
    """The session (name, status, raters, transcript_ids, ...). Raises SessionError when there is none."""
    with store.reading() as u:
        found = u.calibration_sessions(session_id)
    if not found:
        raise SessionError(f"没有编号为 {session_id} 的校准练习")
    return found[0]


def list_sessions(store: Store) -> list[dict]:
    with store.reading() as u:
        return u.calibration_sessions()


def scores_of(store: Store, session_id: int) -> list[dict]:
    with store.reading() as u:
        return u.calibration_scores(session_id)


def done_by(session: dict, scores: list[dict], rater: str) -> set[str]:
    """The chats of the session `rater` has scored."""
    return {s["transcript_id"] for s in scores if s["rater"] == rater} & set(session["transcript_ids"])


def may_see_results(session: dict, scores: list[dict], user: str) -> bool:
    """Blind until the user has scored every chat (or the session is closed)."""
    return session["status"] == "closed" or done_by(session, scores, user) == set(session["transcript_ids"])


def save_scores(store: Store, session_id: int, transcript_id: str, rater: str, form: dict[str, str]) -> dict:
    """Store a rater's scores for one chat of the session: every item of its card at one of its levels.
    Raises SessionError for a chat outside the session, a closed session or a score that is no level."""
    session = get_session(store, session_id)
    if session["status"] != "open":
        raise SessionError("这次校准练习已结束，不能再打分")
    if rater not in session["raters"]:
        raise SessionError("你不在这次校准练习的参加人名单里")
    if transcript_id not in session["transcript_ids"]:
        raise SessionError("这个会话不在这次校准练习里")
    card = store.current_scorecards([transcript_id]).get(transcript_id)
    if card is None:
        raise SessionError(f"没有找到会话 {transcript_id} 的评分卡")
    scores, missing = {}, []
    for item in card.items:
        value = (form.get(item.id) or "").strip()
        if not value:
            missing.append(item.label)
            continue
        try:
            level = int(value)
        except ValueError:
            level = None
        if level not in item.levels:
            raise SessionError(f"{item.label} 只能评 {' / '.join(map(str, item.levels))} 分")
        scores[item.id] = level
    if missing:
        raise SessionError("还有项目没有打分：" + "、".join(missing))
    with store.unit() as u:
        u.put_calibration_scores(session_id, transcript_id, rater, scores, now_iso())
    return scores


def close_session(store: Store, session_id: int, by: str) -> None:
    """End the session: every rater sees the results. Raises SessionError unless `by` started it and it is open."""
    session = get_session(store, session_id)
    if by != session["created_by"]:
        raise SessionError("只有发起人可以结束校准练习")
    with store.unit() as u:
        u.close_calibration_session(session_id)


def agreement(session: dict, scores: list[dict], tool: dict[str, dict[str, int]],
              labels: dict[str, str]) -> list[ItemAgreement]:
    """Agreement per item (rubric order of `labels`): raters with each other and with the tool.

    `tool`: transcript id -> item id -> the tool's suggested score.
    """
    by_item: dict[str, dict[str, dict[str, int]]] = {}  # item -> chat -> rater -> score
    for s in scores:
        if s["transcript_id"] in session["transcript_ids"]:
            by_item.setdefault(s["item_id"], {}).setdefault(s["transcript_id"], {})[s["rater"]] = s["score"]
    out = []
    for item_id in [i for i in labels if i in by_item] + sorted(set(by_item) - set(labels)):
        pairs = same = tool_n = tool_same = 0
        odd = []
        for tid, given in by_item[item_id].items():
            for a, b in combinations(sorted(given), 2):
                pairs += 1
                same += given[a] == given[b]
            suggested = tool.get(tid, {}).get(item_id)
            if suggested is not None:
                tool_n += len(given)
                tool_same += sum(v == suggested for v in given.values())
            if len(set(given.values())) > 1 or (suggested is not None and set(given.values()) != {suggested}):
                odd.append({"transcript_id": tid, "scores": dict(sorted(given.items())), "tool": suggested})
        out.append(ItemAgreement(item_id, labels.get(item_id, item_id), len(by_item[item_id]), pairs,
                                 same / pairs if pairs else None, tool_n, tool_same / tool_n if tool_n else None, odd))
    return out


def overall(rows: list[ItemAgreement]) -> tuple[float | None, float | None]:
    """(raters' agreement, agreement with the tool) over every item, weighted by pairs."""
    pairs = sum(r.raters_pairs for r in rows)
    tool = sum(r.tool_pairs for r in rows)
    same = sum((r.raters_agree or 0) * r.raters_pairs for r in rows)
    tool_same = sum((r.tool_agree or 0) * r.tool_pairs for r in rows)
    return (same / pairs if pairs else None, tool_same / tool if tool else None)
