"""What the review pages show, computed without the web framework: the queue and the chat view."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

from grader.dates import utc_bounds
from grader.display import SPEAKER_LABELS, platform_label
from grader.rubric import SCENARIO_LABELS
from grader.store import Store
from grader.store.queue import QueueQuery
from grader.transcript.model import SHANGHAI, Transcript

QUEUE_KEYS = ("since", "until", "agent", "shop", "platform", "item", "band", "scenario", "needs_review", "reviewed",
              "disputed", "search", "order")
PAGE_SIZE = 50
UNSURE_SCENARIO = 0.6  # below this scenario confidence the queue says the scenario is unsure


def yesterday(today: date | None = None, tz=SHANGHAI) -> str:
    today = today or datetime.now(tz).date()
    return (today - timedelta(days=1)).isoformat()


def _flag(value: str) -> bool | None:
    return True if value == "yes" else False if value == "no" else None


@dataclass
class QueueFilters:
    """The queue's filters as the URL carries them (all strings; "" = any)."""

    since: str = ""
    until: str = ""
    agent: str = ""
    shop: str = ""
    platform: str = ""
    item: str = ""
    band: str = ""
    scenario: str = ""
    needs_review: str = ""  # "" | yes | no
    reviewed: str = ""  # "" | yes | no
    disputed: str = ""  # "" | yes
    search: str = ""  # transcript id, buyer account, order number or words of the chat
    order: str = ""  # "" least certain first | teach: where rules and the learned model disagree, or it is least sure

    @classmethod
    def from_params(cls, params, tz=SHANGHAI) -> "QueueFilters":
        """From query parameters; with no date given at all, the queue shows yesterday (in `tz`)."""
        values = {k: (params.get(k) or "").strip()[:100] for k in QUEUE_KEYS}
        for k in ("since", "until"):
            try:
                values[k] = date.fromisoformat(values[k]).isoformat() if values[k] else ""
            except ValueError:
                values[k] = ""
        if "since" not in params and "until" not in params:
            values["since"] = values["until"] = yesterday(tz=tz)
        return cls(**values)

    @classmethod
    def from_query(cls, query: str, tz=SHANGHAI) -> "QueueFilters":
        return cls.from_params(dict(parse_qsl(query or "", keep_blank_values=True)), tz)

    def query(self) -> str:
        """The filters as a URL query: the dates always (empty = all dates), the others when set."""
        return urlencode([(k, getattr(self, k)) for k in QUEUE_KEYS if k in ("since", "until") or getattr(self, k)])

    def store_query(self, tz=SHANGHAI) -> QueueQuery:
        """The store's query for these filters (local days in `tz` become UTC instants)."""
        lo, hi = utc_bounds(self.since or None, self.until or None, tz)
        return QueueQuery(lo=lo, hi=hi, agent=self.agent, shop=self.shop, platform=self.platform, item=self.item,
                          band=self.band, scenario=self.scenario, needs_review=_flag(self.needs_review),
                          reviewed=_flag(self.reviewed), disputed=self.disputed == "yes", search=self.search,
                          teach=self.order == "teach")


@dataclass
class QueueRow:
    transcript_id: str
    agent: str | None
    shop: str | None
    platform: str
    started_at: datetime | None  # local time in the app's zone
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
    why: str = ""  # why the card needs review, in Chinese
    disagreements: int = 0      # items where the adopted learned model moved the rule score
    model_certainty: float = 1.0  # the learned model's least probability on the card (1.0: no model)
    bulk: bool = False  # reviewed by a bulk accept (nobody read the chat)

    @property
    def platform_label(self) -> str:
        return platform_label(self.platform)


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int  # cards matching the filters
    reviewed: int  # of which reviewed
    page: int  # 1-based
    pages: int
    size: int


BUDGET_LABELS = {"red_line": "触犯红线", "complaint": "顾客投诉", "refund": "顾客要退款/退货"}


def why_review(flagged_labels: list[str], needs_review: bool, scenario_confidence: float | None,
               budget: str = "", sampled: bool = False) -> str:
    """Why the card is in the queue for review: a red line, complaint or refund (must read), the items
    the tool is unsure of, or the scenario; else that it is in the random sample measuring agreement."""
    must = [BUDGET_LABELS[r] for r in budget.split() if r in BUDGET_LABELS]
    parts = ["必查：" + "、".join(must)] if must else []
    unsure = []
    if flagged_labels:
        unsure.append("不确定的项目：" + "、".join(flagged_labels))
    if scenario_confidence is not None and scenario_confidence < UNSURE_SCENARIO:
        unsure.append(f"场景判断不确定（把握 {scenario_confidence * 100:.0f}%）")
    if needs_review and not unsure:
        unsure.append("场景判断不确定")
    parts += unsure
    if sampled and not parts:
        parts.append("随机抽样（用来无偏地测量工具与主管的一致率）")
    return "；".join(parts)


def local_time(utc_text: str | None, tz=SHANGHAI) -> datetime | None:
    """A stored UTC text ("YYYY-MM-DDTHH:MM:SS") as a local time in `tz`."""
    if not utc_text:
        return None
    return datetime.fromisoformat(utc_text).replace(tzinfo=timezone.utc).astimezone(tz)


def queue_page(store: Store, rubric, filters: QueueFilters, page: int = 1, size: int = PAGE_SIZE,
               agent_account: str | None = None, tz=SHANGHAI) -> QueuePage:
    """One page of the queue (indexed queries, nothing decoded): least certain first, with the count.

    `agent_account` restricts to one agent's chats (an agent's own view). `page` is 1-based and
    clamped to the pages there are.
    """
    query = filters.store_query(tz)
    if agent_account is not None:
        query.agent = agent_account
    total, reviewed = store.queue_count(query)
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    labels = {i.id: i.label for i in rubric.items} | {r.id: f"红线·{r.label}" for r in rubric.red_lines}
    rows = []
    for r in store.queue_page(query, (page - 1) * size, size):
        flagged = [labels.get(i, i) for i in (r["flagged_items"] or "").split()]
        rows.append(QueueRow(
            transcript_id=r["transcript_id"], agent=r["agent"], shop=r["shop"], platform=r["platform"] or "",
            started_at=local_time(r["started_utc"], tz), scenario=r["scenario"],
            scenario_label=SCENARIO_LABELS.get(r["scenario"], r["scenario"]), suggested=r["suggested"],
            final=r["final_total"], band=r["final_band"] or "", needs_review=bool(r["needs_review"]),
            flagged=len(flagged), certainty=float(r["certainty"] or 0), reviewed=bool(r["reviewed"]),
            bulk=bool(r["reviewed"] and r.get("bulk")), overridden=bool(r["overridden"]), disputes=int(r["open_disputes"] or 0), flagged_labels=flagged,
            why=why_review(flagged, bool(r["needs_review"]), r["scenario_confidence"], r.get("budget") or "",
                           bool(r.get("sampled"))),
            disagreements=-int(r["rank_moved"] or 0), model_certainty=float(
                r["model_certainty"] if r["model_certainty"] is not None else 1.0)))
    return QueuePage(rows, total, reviewed, page, pages, size)


def queue_rows(store: Store, rubric, filters: QueueFilters, agent_account: str | None = None,
               tz=SHANGHAI, limit: int = 200) -> list[QueueRow]:
    """The first `limit` rows of the queue (see `queue_page`)."""
    return queue_page(store, rubric, filters, 1, limit, agent_account, tz).rows


def next_in_queue(store: Store, filters: QueueFilters, current: str, tz=SHANGHAI) -> str | None:
    """The next unreviewed chat after `current` in queue order (wrapping round), if any."""
    return store.queue_step(filters.store_query(tz), current, forward=True, unreviewed=True, wrap=True)


def neighbours(store: Store, filters: QueueFilters, current: str, agent_account: str | None = None,
               tz=SHANGHAI) -> tuple[str | None, str | None]:
    """(previous, next) chat of the queue around `current`, for keyboard review."""
    query = filters.store_query(tz)
    if agent_account is not None:
        query.agent = agent_account
    return store.queue_step(query, current, forward=False), store.queue_step(query, current, forward=True)


MENU_SECONDS = 60.0  # filter menus may lag new agents or shops by this much
_menus: dict[tuple[int, str], tuple[float, list[str]]] = {}


def menu_values(store: Store, column: str) -> list[str]:
    """Values for a filter menu (agent, shop, platform) over all graded chats, remembered for a minute."""
    key = (id(store), column)
    found = _menus.get(key)
    if found is None or time.monotonic() - found[0] > MENU_SECONDS:
        found = _menus[key] = (time.monotonic(), store.queue_values(column))
    return found[1]


def agents_in(store: Store) -> list[str]:
    return menu_values(store, "agent")


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
            index=pos, role=m.role, role_label=SPEAKER_LABELS.get(m.role, m.role), sender=m.sender,
            auto_reply=m.auto_reply, robot=m.robot, colleague=m.colleague, kind=m.kind, time=local.strftime("%H:%M:%S") if local else "",
            day=day if day != previous_day else None, response=response,
            response_class=("slow" if response is not None and response > 25 else
                            "ok" if response is not None and response <= 10 else "mid"),
            pieces=pieces or [("", "")], item_ids=" ".join(sorted(whole.get(pos, set())))))
        previous_day = day or previous_day
    return out
