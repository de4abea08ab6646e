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
- `timeline`: every message as [index, time (UTC epoch seconds or None), role, robot, auto_reply,
  colleague], what the platforms' KPIs and the sales count (`timeline_of` gives it back).
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
        "timeline": [[m.index, _epoch(m.time), m.role, m.robot, int(m.auto_reply), int(m.colleague)] for m in msgs],
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


def _epoch(moment: datetime | None) -> float | int | None:
    if moment is None:
        return None
    seconds = moment.timestamp()
    return int(seconds) if seconds == int(seconds) else seconds


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
    turns = tuple(Turn(i, None if t is None else datetime.fromtimestamp(t, timezone.utc), role, robot, bool(auto),
                       bool(colleague)) for i, t, role, robot, auto, colleague in doc["timeline"])
    return Timeline(doc["id"], doc["platform"], doc["shop"], doc["customer"], moment(doc["started"]),
                    doc["served_from"], doc["handed_over_at"], turns)
