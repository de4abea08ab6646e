"""The results database: transcripts, scorecards (with history), item scores, reviews and audit.

SQLite by default (a file path); any SQLAlchemy URL (e.g. postgresql+psycopg://...) works too.
All SQL of grader lives in this package: `Store` for the batch and reports, `Store.unit()` (a
`Unit`) for the reads and writes of one user action in one transaction.
"""
from grader.store.core import (DEFAULT_DB, Store, content_hash, db_url, dispose_all, now_iso, scorecard_rows,
                               versions_key)
from grader.store.tables import (SCHEMA_VERSION, disputes, item_scores, meta, metadata, overrides, review_state, runs,
                                 scorecards, set_aside, transcripts, users)
from grader.store.unit import RevisionConflict, Unit

__all__ = ["DEFAULT_DB", "SCHEMA_VERSION", "RevisionConflict", "Store", "Unit", "content_hash", "db_url",
           "dispose_all", "disputes", "item_scores", "meta", "metadata", "now_iso", "overrides", "review_state",
           "runs", "scorecard_rows", "scorecards", "set_aside", "transcripts", "users", "versions_key"]
