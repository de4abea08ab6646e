"""A graded chat's facts for the month: what its KPIs, the platforms' KPIs and the sales read besides
the scores, measured once when the chat is graded (transcript and card at hand) and stored beside
its scorecard (`chat_facts`), so the month never decodes a transcript or a scorecard again.

`chat_facts(transcript, card, lexicons)` gives one JSON document (`FACTS_VERSION`):

- who and when: agent, started (the transcript's start), first (the card's `started_at`), ended,
  platform, shop, customer, the part served (`served_from`, `handed_over_at`) and the scenario;
- the first_response detector's per-chat measures (the card's metrics);
- the review_signals detector's complaint and refund request (metrics `complaint_at` / `refund_at`),
  quoted; the first order placed (`grader.detectors._cues.order_index` over ``order_signals.txt``) and,
  for a pre-sale chat without one, the buyer's unanswered last question or the wait of the last
  answered turn (the policy's threshold is applied in the month, `grader.report.kpis`);
- the suggested same-day resolution and promised contact (score, max, levels, the kinds of the
  same-day findings) and the red-line hits, which the month reads with the supervisors' overrides;
- `timeline`: every message's role, robot, auto-reply and colleague marks and time (`_timeline`, a
  few bytes a message), what the platforms' KPIs and the sales count (`timeline_of` gives it back).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from grader.detectors._cues import is_question, order_index
from grader.detectors.chat import Chat
from grader.scorecard.model import Scorecard
from grader.transcript.model import Transcript

FACTS_VERSION = "facts-1"
SAME_DAY, PROMISED = "aftersale.same_day_resolution", "aftersale.promised_contact"
_METRICS = ("avg_response_seconds", "max_wait_seconds", "replied_within_30s_share", "customer_turns",
            "unanswered_turns")


def chat_facts(transcript: Transcript, card: Scorecard, lexicons) -> dict:
    """The facts document of a graded chat (JSON types only); `lexicons`: the LexiconSet it was
    graded with (its ``order_signals``). Raises KeyError when that lexicon is missing."""
    msgs = transcript.messages
    times = [m.time for m in msgs if m.time is not None]
    doc = {
        "v": FACTS_VERSION, "id": card.transcript_id, "agent": card.agent, "scenario": card.scenario,
        "first": _iso(card.started_at), "started": _iso(transcript.started_at), "ended": _iso(max(times) if times else None),
        "platform": transcript.platform, "shop": transcript.shop, "customer": transcript.customer,
        "served_from": transcript.served_from, "handed_over_at": transcript.handed_over_at,
        "metrics": {k: card.metrics.get(k) for k in _METRICS},
        "opened_by_agent": bool(msgs) and msgs[0].is_human_agent,
        "complaint": _quoted(msgs, card.metrics.get("complaint_at")),
        "refund": _quoted(msgs, card.metrics.get("refund_at")),
        "red_lines": [[r.id, r.label, r.reason] for r in card.red_lines],
        **_timeline(msgs),
    }
    for item_id, key in ((SAME_DAY, "same_day"), (PROMISED, "promised")):
        item = next((i for i in card.items if i.id == item_id), None)
        doc[key] = None if item is None else {
            "score": item.score, "max": item.max, "levels": list(item.levels), "na": item.not_applicable,
            "reason": item.reason, "kinds": sorted({f.kind for f in item.findings})}
    if card.scenario == "presale":
        doc["presale"] = _presale(transcript, lexicons.get_or_fail("order_signals"))
    return doc


def _presale(transcript: Transcript, order_lex) -> dict:
    """{ordered: why or "", question: the unanswered last question's why or "", wait: seconds the
    buyer's last answered turn waited, or None}."""
    at, msg, how = order_index(Chat(transcript), order_lex)
    if at is not None:
        return {"ordered": f"第{at + 1}条：“{(how or msg.text)[:40]}”", "question": "", "wait": None}
    msgs = transcript.messages
    last_human = max((x.index for x in msgs if x.is_human_agent), default=-1)
    waiting = [x for x in msgs if x.role == "customer" and x.index > last_human]
    q = next((x for x in waiting if is_question(x.text)), None)
    if q is not None:
        return {"ordered": "", "question": f"顾客最后的问题没有人工回复：第{q.index + 1}条“{q.text[:40]}”", "wait": None}
    wait = None
    if last_human >= 0 and not waiting:  # the buyer's last turn was answered: how slowly?
        answer = msgs[last_human]
        before = max((x.index for x in msgs[:last_human] if x.is_human_agent), default=-1)
        run = [x for x in msgs[before + 1:last_human] if x.role == "customer"]
        if run and run[0].time and answer.time:
            wait = (answer.time - run[0].time).total_seconds()
    return {"ordered": "", "question": "", "wait": wait}


def _quoted(msgs, index: int | None) -> str:
    """How the month's drill-down quotes the buyer's message `index` ("" when there is none)."""
    if index is None or not 0 <= index < len(msgs):
        return ""
    return f"第{index + 1}条 顾客：“{msgs[index].text[:40]}”"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# the timeline, compactly: a token per message, its role's letter, flags, then seconds after `t0`
_ROLE = {"customer": "c", "agent": "a", "system": "s"}
_ROLE_OF = {v: k for k, v in _ROLE.items()}
_ROBOT = {"full": "F", "assist": "S"}
_ROBOT_OF = {v: k for k, v in _ROBOT.items()}


def _timeline(msgs) -> dict:
    """{"t0": the first time (UTC epoch seconds), "timeline": "c0 a*F1 a15 …", "indexes": only when
    they are not 0, 1, 2 …}: a role letter (or "?role?"), F/S a full/assist robot, * an auto-reply,
    ^ a colleague, then the seconds after t0, or "-" without time."""
    times = [m.time.timestamp() for m in msgs if m.time is not None]
    t0 = min(times) if times else 0
    tokens = []
    for m in msgs:
        head = _ROLE.get(m.role, f"?{m.role}?") + _ROBOT.get(m.robot or "", "") + ("*" if m.auto_reply else "") \
            + ("^" if m.colleague else "")
        tokens.append(head + ("-" if m.time is None else str(_number(m.time.timestamp() - t0))))
    out = {"t0": _number(t0), "timeline": " ".join(tokens)}
    if [m.index for m in msgs] != list(range(len(msgs))):
        out["indexes"] = [m.index for m in msgs]
    return out


def _number(seconds: float) -> float | int:
    return int(seconds) if seconds == int(seconds) else seconds


def _turns(doc: dict) -> tuple["Turn", ...]:
    """The timeline's messages back (see `_timeline`)."""
    import re

    t0 = float(doc["t0"])
    indexes = doc.get("indexes")
    out = []
    for n, token in enumerate(doc["timeline"].split(" ") if doc["timeline"] else []):
        m = re.fullmatch(r"(\?[^?]*\?|[cas])([FS]?)(\*?)(\^?)(.*)", token)
        role, robot, auto, colleague, when = m.groups()
        time_ = None if when == "-" else datetime.fromtimestamp(t0 + float(when), timezone.utc)
        out.append(Turn(indexes[n] if indexes else n, time_, _ROLE_OF.get(role, role.strip("?")),
                        _ROBOT_OF.get(robot), bool(auto), bool(colleague)))
    return tuple(out)


def moment(text: str | None) -> datetime | None:
    """A stored ISO time back as a datetime (None stays None)."""
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Turn:
    """One message of a timeline: what the platforms' KPIs read of a `Message` (no text)."""

    index: int
    time: datetime | None
    role: str
    robot: str | None
    auto_reply: bool
    colleague: bool

    @property
    def is_human_agent(self) -> bool:
        """As `Message.is_human_agent`: no auto-reply, robot or colleague."""
        return self.role == "agent" and not self.auto_reply and not self.colleague


@dataclass(frozen=True)
class Timeline:
    """A chat as the platforms' KPIs and the sales read it (the attributes of a `Transcript` they use)."""

    id: str
    platform: str
    shop: str | None
    customer: str | None
    started_at: datetime | None
    served_from: int | None
    handed_over_at: int | None
    messages: tuple[Turn, ...]


def timeline_of(doc: dict) -> Timeline:
    """The Timeline of a facts document."""
    return Timeline(doc["id"], doc["platform"], doc["shop"], doc["customer"], moment(doc["started"]),
                    doc["served_from"], doc["handed_over_at"], _turns(doc))
