"""The results database: transcripts, scorecards (with history), item scores, reviews and audit.

SQLite by default (a file path); any SQLAlchemy URL (e.g. postgresql+psycopg://...) works too.
All SQL of grader lives in this package: `Store` for the batch and reports, `Store.unit()` (a
`Unit`) for the reads and writes of one user action in one transaction.
"""
from grader.store.core import DEFAULT_DB, Store, db_url, dispose_all, now_iso
from grader.store.rows import ChatRows, chat_rows, content_hash, versions_key
from grader.store.tables import (SCHEMA_VERSION, dictionaries, disputes, item_scores, meta, metadata, overrides,
                                 review_queue,
                                 review_state, runs, scorecards, self_assessments, set_aside, transcripts, users, versions)
from grader.store.unit import RevisionConflict, Unit

__all__ = ["DEFAULT_DB", "SCHEMA_VERSION", "ChatRows", "RevisionConflict", "Store", "Unit", "chat_rows",
           "content_hash", "db_url", "dictionaries", "dispose_all", "disputes", "item_scores", "meta", "metadata",
           "now_iso", "overrides", "review_queue", "review_state", "runs", "scorecards", "self_assessments", "set_aside", "transcripts", "users",
           "versions", "versions_key"]
