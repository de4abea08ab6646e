"""What the review pages show, computed without the web framework: the queue and the chat view."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from grader.review.disputes import open_counts
from grader.rubric import SCENARIO_LABELS
from grader.store import Store
from grader.transcript.model import SHANGHAI, Transcript

QUEUE_KEYS = ("since", "until", "agent", "band", "scenario", "needs_review", "reviewed", "disputed", "order")
ROLE_LABELS = {"customer": "顾客", "agent": "客服", "system": "系统"}


def yesterday(today: date | None = None, tz=SHANGHAI) -> str:
    today = today or datetime.now(tz).date()
    return (today - timedelta(days=1)).isoformat()


@dataclass
class QueueFilters:
    since: str = ""
    until: str = ""
    agent: str = ""
    band: str = ""
    scenario: str = ""
    needs_review: str = ""  # "" | yes | no
    reviewed: str = ""  # "" | yes | no
    disputed: str = ""  # "" | yes
    order: str = ""  # "" least certain first | teach: where rules and the learned model disagree, or it is least sure

    @classmethod
    def from_params(cls, params, tz=SHANGHAI) -> "QueueFilters":
        """From query parameters; with no date given at all, the queue shows yesterday (in `tz`)."""
        values = {k: (params.get(k) or "").strip()[:100] for k in QUEUE_KEYS}
        if "since" not in params and "until" not in params:
            values["since"] = values["until"] = yesterday(tz=tz)
        return cls(**values)

    @classmethod
    def from_query(cls, query: str, tz=SHANGHAI) -> "QueueFilters":
        return cls.from_params(dict(parse_qsl(query or "", keep_blank_values=True)), tz)

    def query(self) -> str:
        return urlencode([(k, getattr(self, k)) for k in QUEUE_KEYS])


@dataclass
class QueueRow:
    transcript_id: str
    agent: str | None
    started_at: datetime | None
    scenario: str
    scenario_label: str
    suggested: int
    final: int
    band: str
    needs_review: bool
    flagged: int
    certainty: float
    reviewed: bool
    overridden: bool
    disputes: int
    flagged_labels: list[str] = field(default_factory=list)
    disagreements: int = 0      # items where the adopted learned model moved the rule score
    model_certainty: float = 1.0  # the learned model's least probability on the card (1.0: no model)


def queue_rows(store: Store, rubric, filters: QueueFilters, agent_account: str | None = None,
               tz=SHANGHAI) -> list[QueueRow]:
    """Current scorecards of the local days (in `tz`) in range, filtered, least certain first."""
    cards = store.current_in_days(filters.since or None, filters.until or None, tz)
    if agent_account is not None:
        cards = [c for c in cards if c.agent == agent_account]
    ids = [c.transcript_id for c in cards]
    reviewed = store.reviewed(ids)
    disputes = open_counts(store)
    rows = []
    for fc in store.final_cards(cards, rubric):
        c = fc.card
        flagged = [i for i in c.items if i.needs_review]
        weights = sum(i.max for i in c.items) or 1
        certainty = min(c.scenario_confidence, sum(i.confidence * i.max for i in c.items) / weights)
        rows.append(QueueRow(
            transcript_id=c.transcript_id, agent=c.agent, started_at=c.started_at, scenario=c.scenario,
            scenario_label=SCENARIO_LABELS.get(c.scenario, c.scenario), suggested=c.total, final=fc.total,
            band=fc.band, needs_review=c.needs_review, flagged=len(flagged),
            certainty=round(certainty, 2), reviewed=c.transcript_id in reviewed,
            overridden=fc.overridden, disputes=disputes.get(c.transcript_id, 0),
            flagged_labels=[i.label for i in flagged], **_teaching(c)))
    f = filters
    rows = [r for r in rows if (not f.agent or (r.agent or "") == f.agent)
            and (not f.band or r.band == f.band) and (not f.scenario or r.scenario == f.scenario)
            and (f.needs_review != "yes" or r.needs_review) and (f.needs_review != "no" or not r.needs_review)
            and (f.reviewed != "yes" or r.reviewed) and (f.reviewed != "no" or not r.reviewed)
            and (f.disputed != "yes" or r.disputes)]
    rows.sort(key=lambda r: (not r.needs_review, -r.flagged, r.certainty,
                             r.started_at.isoformat() if r.started_at else "", r.transcript_id))
    if f.order == "teach":  # active review: the labels that would teach the model the most first (stable sort)
        rows.sort(key=lambda r: (-r.disagreements, r.model_certainty))
    return rows


def _teaching(card) -> dict:
    """How much a supervisor's review of `card` would teach the learned model: items (and the
    scenario) where it moved the rules' answer, and its least probability."""
    learned = card.learned or {}
    parts = list((learned.get("items") or {}).values())
    moved = sum(p["score"] != p["rule_score"] for p in parts)
    probs = [p["probability"] for p in parts]
    if learned.get("scenario"):
        moved += learned["scenario"]["scenario"] != learned["scenario"]["rule"]
        probs.append(learned["scenario"]["probability"])
    return {"disagreements": moved, "model_certainty": min(probs, default=1.0)}


def next_in_queue(rows: list[QueueRow], current: str) -> str | None:
    """The next unreviewed chat after `current` in queue order (wrapping round), if any."""
    ids = [r.transcript_id for r in rows]
    start = ids.index(current) + 1 if current in ids else 0
    for r in rows[start:] + rows[:start]:
        if not r.reviewed and r.transcript_id != current:
            return r.transcript_id
    return None


def agents_in(store: Store, filters: QueueFilters, tz=SHANGHAI) -> list[str]:
    return sorted({c.agent for c in store.current_in_days(filters.since or None, filters.until or None, tz)
                   if c.agent})


def latest_day(store: Store, tz=SHANGHAI) -> str | None:
    return store.latest_day(tz)


# --- the chat beside the scorecard ----------------------------------------------------------------

def _span(text: str, ev: dict) -> tuple[int, int] | None:
    start, end, quote = int(ev.get("start", 0)), int(ev.get("end", 0)), ev.get("quote") or ""
    if 0 <= start < end <= len(text) and (not quote or text[start:end] == quote):
        return start, end
    if quote:
        pos = text.find(quote)
        if pos >= 0:
            return pos, pos + len(quote)
    return None  # the message as a whole


def chat_view(transcript: Transcript, items: list[dict], tz=SHANGHAI) -> list[dict]:
    """Messages with time, role, auto-reply mark, response time, and text split into plain pieces.

    Each piece is (text, "item ids covering it"); templates print pieces escaped, so evidence can be
    highlighted without ever treating chat text as HTML.
    """
    spans: dict[int, list[tuple[int, int, str]]] = {}
    whole: dict[int, set[str]] = {}
    for item in items:
        for ev in item["evidence"]:
            idx = ev.get("message_index")
            if idx is None or not 0 <= idx < len(transcript.messages):
                continue
            whole.setdefault(idx, set()).add(item["id"])
            span = _span(transcript.messages[idx].text, ev)
            if span:
                spans.setdefault(idx, []).append((span[0], span[1], item["id"]))
    out = []
    pending: datetime | None = None
    previous_day = None
    for pos, m in enumerate(transcript.messages):
        response = None
        if m.role == "customer" and m.time and pending is None:
            pending = m.time
        elif m.is_human_agent and pending is not None and m.time:
            response = int(round((m.time - pending).total_seconds()))
            pending = None
        local = m.time.astimezone(tz) if m.time else None
        day = local.date().isoformat() if local else None
        text = m.text
        cuts = sorted({0, len(text)} | {s for s, _, _ in spans.get(pos, [])} | {e for _, e, _ in spans.get(pos, [])})
        pieces = []
        for a, b in zip(cuts, cuts[1:]):
            covering = sorted({i for s, e, i in spans.get(pos, []) if s <= a and b <= e})
            pieces.append((text[a:b], " ".join(covering)))
        out.append(dict(
            index=pos, role=m.role, role_label=ROLE_LABELS.get(m.role, m.role), sender=m.sender,
            auto_reply=m.auto_reply, kind=m.kind, time=local.strftime("%H:%M:%S") if local else "",
            day=day if day != previous_day else None, response=response,
            response_class=("slow" if response is not None and response > 25 else
                            "ok" if response is not None and response <= 10 else "mid"),
            pieces=pieces or [("", "")], item_ids=" ".join(sorted(whole.get(pos, set())))))
        previous_day = day or previous_day
    return out
