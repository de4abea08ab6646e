"""The database tables (schema version `SCHEMA_VERSION`); only grader.store reads or writes them.

Version 2 (compact storage): a transcript is stored as `transcripts.body` and a scorecard as
`scorecards.body` + `scorecards.findings`, each a deflated document (`grader.store.codec`) packed
with the preset dictionary named in `dict_id` / `findings_dict_id`; the versions of a scorecard are
stored once per key in `versions`. Version 1 kept whole JSON in `transcripts.content` and
`scorecards.json`; `grader.store.migrate` upgrades such databases (those columns stay, empty).
"""
from __future__ import annotations

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table,
                        Text)

SCHEMA_VERSION = 2

metadata = MetaData()

meta = Table("meta", metadata, Column("key", String(64), primary_key=True), Column("value", Text))

transcripts = Table(
    "transcripts", metadata,
    Column("id", String(200), primary_key=True),
    Column("platform", String(32)), Column("shop", String(200)), Column("agent", String(200)),
    Column("customer", String(200)), Column("started_at", String(40)), Column("day", String(10)),
    Column("source_file", Text), Column("content_hash", String(64)),
    Column("content", Text),  # version 1 only: the transcript as JSON
    Column("body", LargeBinary), Column("dict_id", String(16)),
)

scorecards = Table(
    "scorecards", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("transcript_id", String(200), ForeignKey("transcripts.id"), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("versions_key", String(64), nullable=False),
    Column("current", Boolean, nullable=False, default=True),
    Column("day", String(10)), Column("agent", String(200)),
    Column("scenario", String(16)), Column("total", Integer), Column("band", String(8)),
    Column("needs_review", Boolean), Column("graded_at", String(40)),
    Column("json", Text, nullable=False, default=""),  # version 1 only: the scorecard as JSON
    Column("body", LargeBinary),  # the supervisor's view less the columns above
    Column("findings", LargeBinary),  # per-message findings, decoded only when asked for
    Column("dict_id", String(16)), Column("findings_dict_id", String(16)),
    Index("ux_scorecard_version", "transcript_id", "content_hash", "versions_key", "scenario", unique=True),
    Index("ix_scorecard_current", "current", "day"),
)

item_scores = Table(
    "item_scores", metadata,
    Column("scorecard_id", Integer, ForeignKey("scorecards.id"), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    Column("score", Integer), Column("max", Integer), Column("confidence", Float), Column("needs_review", Boolean),
    Column("not_applicable", Boolean),
    sqlite_with_rowid=False,  # the primary key is the table: no second copy of it as an index
)

versions = Table(
    "versions", metadata,
    Column("key", String(64), primary_key=True),  # scorecards.versions_key
    Column("json", Text, nullable=False),  # grader.scorecard.model.Versions
)

dictionaries = Table(
    "dictionaries", metadata,
    Column("id", String(16), primary_key=True),  # hash of `data`
    Column("kind", String(16), nullable=False),  # card | findings | transcript
    Column("versions_key", String(64), nullable=False),  # of the scorecards it was trained on
    Column("data", LargeBinary, nullable=False),
    Column("created_at", String(40)),
)

# --- the review queue: one row per chat with a current scorecard, written with it (`grader.store.queue`) ---
review_queue = Table(
    "review_queue", metadata,
    Column("transcript_id", String(200), ForeignKey("transcripts.id"), primary_key=True),
    Column("scorecard_id", Integer, nullable=False),
    Column("started_utc", String(19)),  # the first message's instant, UTC, "YYYY-MM-DDTHH:MM:SS" (sorts as time)
    Column("platform", String(32)), Column("shop", String(200)), Column("agent", String(200)),
    Column("customer", String(200)), Column("scenario", String(16)), Column("scenario_confidence", Float),
    Column("suggested", Integer), Column("final_total", Integer), Column("final_band", String(8)),
    Column("needs_review", Boolean), Column("flagged_items", Text),  # " id id " of items that need review
    # the queue order, all ascending: cards that need review first, more flagged items first, least certain first
    Column("rank_settled", Integer), Column("rank_flagged", Integer), Column("certainty", Float),
    # the "teach the model" order: items (and scenario) the adopted learned model moved, negated; its least probability
    Column("rank_moved", Integer, default=0), Column("model_certainty", Float, default=1.0),
    # the review budget (grader.store.queue.budget_rank): must-read reasons " red_line complaint refund flagged ",
    # whether the chat is in the seeded random sample, and the rank they give (0 red line … 4 sample, 5 the rest)
    Column("budget", Text, default=""), Column("sampled", Boolean, default=False),
    Column("rank_budget", Integer, default=5),
    # the month's and the review figures' counts read this index alone (no row lookups)
    Index("ix_queue_month", "started_utc", "agent", "final_total", "sampled", "scorecard_id"),
    Index("ix_queue_order", "rank_budget", "rank_settled", "rank_flagged", "certainty", "started_utc", "transcript_id"),
    Index("ix_queue_agent", "agent", "started_utc"),
    sqlite_with_rowid=False,  # narrow rows clustered by chat: the indexes carry the transcript id
)

# the review search's index (`grader.store.search`) is made per database kind: an FTS5 table on
# SQLite, a pg_trgm-indexed table on PostgreSQL

# --- supervisor review (append-only audit; the final score of an item is its latest override) ---
overrides = Table(
    "overrides", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("transcript_id", String(200), ForeignKey("transcripts.id"), nullable=False, index=True),
    Column("scorecard_id", Integer, ForeignKey("scorecards.id"), nullable=False),
    Column("item_id", String(64), nullable=False),  # a rubric item id, or "scenario"
    Column("from_value", String(32)), Column("to_value", String(32), nullable=False),
    Column("reason", Text), Column("by", String(100), nullable=False), Column("at", String(40), nullable=False),
    Column("source", String(16), default="web"),  # web | cli | dispute
)

review_state = Table(
    "review_state", metadata,
    Column("transcript_id", String(200), ForeignKey("transcripts.id"), primary_key=True),
    Column("revision", Integer, nullable=False, default=0),  # bumped by every change: refuses stale saves
    Column("reviewed", Boolean, nullable=False, default=False),
    Column("reviewed_by", String(100)), Column("reviewed_at", String(40)),
    # True when the finished review was a bulk accept (nobody read the chat): no evidence of agreement
    Column("bulk", Boolean),
)

users = Table(
    "users", metadata,
    Column("name", String(100), primary_key=True),
    Column("role", String(16), nullable=False),  # supervisor | agent
    Column("agent_account", String(200)),  # for agents: the account whose scorecards they may read
    Column("password_hash", Text, nullable=False), Column("created_at", String(40)),
)

disputes = Table(
    "disputes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("transcript_id", String(200), ForeignKey("transcripts.id"), nullable=False, index=True),
    Column("item_id", String(64), nullable=False),
    Column("by", String(100), nullable=False), Column("at", String(40), nullable=False), Column("comment", Text),
    Column("requested", String(32)),  # the level the agent asks for, if any
    Column("status", String(16), nullable=False, default="open"),  # open | accepted | rejected
    Column("resolved_by", String(100)), Column("resolved_at", String(40)), Column("resolution", Text),
)

# --- reviewer calibration sessions: several supervisors score the same sample blind ---
calibration_sessions = Table(
    "calibration_sessions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("created_by", String(100), nullable=False), Column("created_at", String(40), nullable=False),
    Column("transcript_ids", Text, nullable=False),  # JSON list: the sample, in scoring order
    Column("raters", Text, nullable=False),  # JSON list of supervisor names
    Column("status", String(16), nullable=False, default="open"),  # open | closed
)

calibration_scores = Table(
    "calibration_scores", metadata,
    Column("session_id", Integer, ForeignKey("calibration_sessions.id"), primary_key=True),
    Column("transcript_id", String(200), primary_key=True),
    Column("rater", String(100), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("at", String(40), nullable=False),
)

set_aside = Table(
    "set_aside", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer), Column("file", Text), Column("line", Integer), Column("reason", Text),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", String(40)), Column("finished_at", String(40)), Column("status", String(16)),
    Column("args", Text), Column("counts", Text),
)

# --- monthly self-assessment (客服自评): one per agent account and month; created by create_all ---
self_assessments = Table(
    "self_assessments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agent", String(200), nullable=False),  # the agent account on the scorecards
    Column("month", String(7), nullable=False),  # YYYY-MM
    Column("total", Float, nullable=False),  # 0..100
    Column("items", Text),  # JSON {item id: {"score": n, "comment": "..."}}; null when one total was given
    Column("comment", Text),
    Column("by", String(100), nullable=False), Column("at", String(40), nullable=False),
    Index("ux_self_assessment", "agent", "month", unique=True),
)

# --- precomputed aggregates (`grader.store.aggregates`): what the month and calibration pages read ---
# one row per chat of a month: its KPI facts (grader.report.kpis.ChatKpi as JSON, the drill-downs' quotes
# included), computed from its transcript and final card at the scorecard and review revision named
chat_facts = Table(
    "chat_facts", metadata,
    Column("transcript_id", String(200), ForeignKey("transcripts.id"), primary_key=True),
    Column("month", String(7), nullable=False),  # the chat's local month, YYYY-MM
    Column("agent", String(200)),
    Column("scorecard_id", Integer, nullable=False), Column("revision", Integer, nullable=False),
    Column("basis", String(64), nullable=False),  # what else they depend on: lexicon versions, KPI settings
    Column("facts", Text, nullable=False),
    Index("ix_chat_facts_month", "month", "agent"),
    sqlite_with_rowid=False,
)

# which chats each agent's KPI of a month counts (the paged drill-downs), written with the month's aggregate
kpi_counted = Table(
    "kpi_counted", metadata,
    Column("month", String(7), primary_key=True), Column("agent", String(200), primary_key=True),
    Column("kpi", String(64), primary_key=True), Column("transcript_id", String(200), primary_key=True),
    Column("why", Text),  # what the drill-down shows for the chat (may quote it)
    sqlite_with_rowid=False,
)

# a computed report (JSON) under its key ("month:2026-11", "calibration:2026-11-01..2026-11-30"), with the
# fingerprint of the database it was computed from (`stamp`): stale when the database moved on
stored_reports = Table(
    "stored_reports", metadata,
    Column("key", String(100), primary_key=True),
    Column("stamp", Text, nullable=False), Column("computed_at", String(40), nullable=False),
    Column("seconds", Float), Column("body", Text, nullable=False),
)
