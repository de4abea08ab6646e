"""The one purge path: `grader purge` forgets the text of old chats everywhere it is kept, scores stay.

Per purged chat, in one transaction (`purge_before`):
- transcripts: messages (packed body, version-1 JSON) and the customer name dropped;
- scorecards (current and history): evidence quotes emptied, “quoted” text in reasons replaced
  (`strip_text`), the customer dropped;
- review_queue: the buyer nick dropped; the review search's index (`grader.store.search`): the chat
  forgotten, and the index rewritten without it (`search.scrub`) after the transaction;
- the month's per-chat KPI facts (their "why" quotes): deleted, and every stored month and
  calibration aggregate (they quote chats) dropped, to be computed again;
- compression dictionaries: trained from the first documents a process stored, they hold chat text
  word for word. Every dictionary holding text of a purged chat is retrained from documents of
  chats that are kept (the newest ones, the last to be purged), every row packed with it is packed
  again with the new one, and the old one is deleted (`_retrain_dictionaries`);
- supervisors' override reasons and dispute comments and resolutions (they may quote the buyer),
  in the tables and in their audit entries: replaced by a mark (`audit.redact_reviews`), who, when
  and which score kept; the purge's audit entry seals the redacted entries, so the audit chain
  still verifies and any later change is still found;
- set-aside records of runs before the day, expired sessions and old failed sign-ins deleted.

On SQLite every connection runs with `secure_delete` (grader.store.core), so deleted and
overwritten content is zeroed in the file; after the transaction the write-ahead log is
checkpointed and truncated, so neither the database file nor its -wal holds the purged text. On
PostgreSQL the tables it rewrote are vacuumed in full afterwards (`vacuum`).
"""
from __future__ import annotations

import json

from sqlalchemy import delete, func, insert, select, update

from grader.store.audit import (_iso, _now, append_audit, audit_log, login_failures, purged, redact_reviews,
                                redaction_seal, sessions)
from grader.store.codec import dict_id, pack, train, unpack
from grader.store import search
from grader.store.tables import dictionaries, review_queue, runs, scorecards, set_aside, transcripts

CHUNK = 500
TRAIN_FROM = 48  # kept documents a new dictionary is trained from (codec.TRAIN_DOCS)


def purge_before(store, day: str, by: str, dry_run: bool = False) -> dict:
    """Forget the text of chats that began before `day` (ISO date, local), keeping their scores.

    Returns counts: chats, scorecards, set_aside, dictionaries (retrained), redacted (audit entries
    whose review text went), checkpointed (SQLite: whether the -wal was emptied; False while another
    process holds a read open), vacuumed (PostgreSQL: the tables vacuumed in full)."""
    from grader.store.core import CARD_FIELDS  # core imports this module

    with store.engine.begin() as conn:
        ids = [r[0] for r in conn.execute(select(transcripts.c.id).where(
            transcripts.c.day < day, transcripts.c.id.not_in(select(purged.c.transcript_id))))]
        aside = conn.execute(select(func.count()).select_from(set_aside).where(
            set_aside.c.run_id.in_(select(runs.c.id).where(runs.c.started_at < day)))).scalar_one()
        counts = {"before": day, "chats": len(ids), "scorecards": 0, "set_aside": aside, "dictionaries": 0}
        if dry_run:
            for chunk in _chunks(ids):
                counts["scorecards"] += conn.execute(select(func.count()).select_from(scorecards).where(
                    scorecards.c.transcript_id.in_(chunk))).scalar_one()
            return counts
        stamp = _iso(_now())
        fragments: set[bytes] = set()  # the purged chats' text as it appears in packed documents
        redacted: list[int] = []  # audit entries whose review text was redacted
        for chunk in _chunks(ids):
            redacted += redact_reviews(conn, chunk)
            search.forget(conn, chunk)  # needs the text it indexed: before the text goes
            t = transcripts.c
            for row in conn.execute(select(t.id, t.content, t.body, t.dict_id, t.customer).where(t.id.in_(chunk))):
                fragments |= _transcript_fragments(store, row)
            conn.execute(update(transcripts).where(transcripts.c.id.in_(chunk)).values(
                content=None, body=None, dict_id=None, customer=None))
            rows = conn.execute(select(*CARD_FIELDS).where(scorecards.c.transcript_id.in_(chunk))).all()
            for row in rows:
                fragments |= _card_fragments(store, row)
                conn.execute(update(scorecards).where(scorecards.c.id == row.id).values(**store._stripped(row)))
            counts["scorecards"] += len(rows)
            forget_copies(conn, chunk)
            conn.execute(insert(purged), [dict(transcript_id=t, at=stamp, by=by) for t in chunk])
        if ids:
            drop_aggregates(conn)
            counts["dictionaries"] = _retrain_dictionaries(store, conn, fragments)
        conn.execute(delete(set_aside).where(set_aside.c.run_id.in_(select(runs.c.id).where(runs.c.started_at < day))))
        conn.execute(delete(sessions).where(sessions.c.expires_at < day))
        conn.execute(delete(login_failures).where(login_failures.c.at < day))
        counts["redacted"] = len(redacted)
        append_audit(conn, by, "purge", None, {**counts, **_seal(conn, redacted)})
    store.forget_dictionaries()
    if ids:
        with store.engine.begin() as conn:
            search.scrub(conn)
    counts["checkpointed"] = checkpoint(store)
    counts["vacuumed"] = vacuum(store) if ids else None
    return counts


def _seal(conn, entries: list[int]) -> dict:
    """What the purge's audit entry records of the entries it redacted (`audit.redaction_seal`)."""
    if not entries:
        return {}
    details = {}
    for chunk in _chunks(entries):
        details.update(conn.execute(select(audit_log.c.id, audit_log.c.detail).where(audit_log.c.id.in_(chunk))).all())
    return {"redacted_entries": sorted(entries), "redacted_sha256": redaction_seal(details)}


# PostgreSQL keeps an updated or deleted row's old version in the table's heap until VACUUM, and a
# plain VACUUM only marks the space reusable: VACUUM FULL writes each table afresh, so the old
# versions of the purged rows leave the files (the tables are locked meanwhile; a purge runs rarely).
# Copies in PostgreSQL's write-ahead log and in backups age out as the server recycles them.
VACUUMED = ("transcripts", "scorecards", "review_queue", "overrides", "disputes", "audit_log", "chat_facts",
            "kpi_counted", "stored_reports", "dictionaries", "chat_text")


def vacuum(store) -> list[str] | None:
    """PostgreSQL: VACUUM FULL of the tables a purge rewrites (`VACUUMED`, those present); returns
    them. None for SQLite (secure_delete zeroes the freed space, the checkpoint empties the -wal)."""
    if store.engine.dialect.name != "postgresql":
        return None
    from sqlalchemy import inspect, text

    present = set(inspect(store.engine).get_table_names())
    done = [t for t in VACUUMED if t in present]
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in done:
            conn.execute(text(f"VACUUM FULL {table}"))
    return done


def forget_copies(conn, ids: list[str]) -> None:
    """Every derived copy of these chats' text (beside the transcript, scorecards and search index): the
    queue's buyer nick, the month's per-chat KPI facts. A new table holding chat text adds itself here."""
    from grader.store import aggregates

    conn.execute(update(review_queue).where(review_queue.c.transcript_id.in_(ids)).values(customer=None))
    aggregates.forget_chats(conn, ids)


def drop_aggregates(conn) -> None:
    """Stored month and calibration aggregates quote chats: dropped, to be computed again without them."""
    from grader.store import aggregates

    aggregates.drop_all(conn)


def checkpoint(store) -> bool | None:
    """SQLite: copy the write-ahead log into the database file and truncate it (True when done; False
    when a reader elsewhere still holds old pages). None for other databases."""
    if store.engine.dialect.name != "sqlite":
        return None
    with store.engine.connect() as conn:
        busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    return busy == 0


# --- what of a purged chat the packed documents may hold -------------------------------------------

def _escaped(text: str | None) -> bytes | None:
    """`text` as it appears inside a packed JSON document (codec.dumps: not ASCII-escaped)."""
    if not text or len(text) < 2:
        return None
    return json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8")


def _transcript_fragments(store, row) -> set[bytes]:
    found = {_escaped(row.customer)}
    t = store.transcript_of_row(row) if (row.body is not None or row.content) else None
    if t is not None:
        found |= {_escaped(t.customer)} | {_escaped(m.text) for m in t.messages}
        found |= {_escaped(m.sender) for m in t.messages if m.role == "customer"}
    return {f for f in found if f}


def _card_fragments(store, row) -> set[bytes]:
    """Quotes and reasons of a scorecard as stored before stripping (the card and findings documents)."""
    if row.body is None:
        return set()
    card = store.card_of_row(row, findings=True)
    found = {_escaped(card.customer)}

    def walk(value):
        if isinstance(value, dict):
            for k, v in value.items():
                if k in ("quote", "reason") and isinstance(v, str):
                    found.add(_escaped(v))
                else:
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(json.loads(card.model_dump_json()))
    return {f for f in found if f}


def _holds(zdict: bytes, fragments: set[bytes]) -> bool:
    """Whether a dictionary holds any of these fragments: whole (a document inside it), or, at its start
    (where a cut document begins), the end of one (3 bytes at least)."""
    for f in fragments:
        if f in zdict:
            return True
        if any(zdict.startswith(f[-n:]) for n in range(3, len(f))):
            return True
    return False


# --- retraining ------------------------------------------------------------------------------------

# kind -> (table, id column, packed column, dictionary id column)
_PACKED = {
    "transcript": (transcripts, transcripts.c.id, transcripts.c.body, transcripts.c.dict_id),
    "card": (scorecards, scorecards.c.id, scorecards.c.body, scorecards.c.dict_id),
    "findings": (scorecards, scorecards.c.id, scorecards.c.findings, scorecards.c.findings_dict_id),
}


def _retrain_dictionaries(store, conn, fragments: set[bytes]) -> int:
    """Replace each dictionary that holds purged text (see module docstring); returns how many."""
    done = 0
    for row in conn.execute(select(dictionaries)).all():
        old = bytes(row.data)
        if not _holds(old, fragments):
            continue
        table, key, packed, used = _PACKED[row.kind]
        newest = key.desc() if row.kind != "transcript" else transcripts.c.started_at.desc()
        docs = [unpack(b, old) for (b,) in conn.execute(
            select(packed).where(used == row.id, packed.is_not(None)).order_by(newest).limit(TRAIN_FROM))]
        docs = [d for d in docs if not _holds_text(d, fragments)]
        new = train(docs) if docs else None
        new_id = dict_id(new) if new else None
        if new and not conn.execute(select(dictionaries.c.id).where(dictionaries.c.id == new_id)).first():
            conn.execute(insert(dictionaries).values(id=new_id, kind=row.kind, versions_key=row.versions_key,
                                                     data=new, created_at=_iso(_now())))
        last = None
        while True:  # every row packed with the old dictionary, packed again with the new one
            q = select(key, packed).where(used == row.id).order_by(key).limit(CHUNK)
            if last is not None:
                q = q.where(key > last)
            batch = conn.execute(q).all()
            if not batch:
                break
            for rid, blob in batch:
                values = {used.name: new_id}
                if blob is not None:
                    values[packed.name] = pack(unpack(blob, old), new)
                conn.execute(update(table).where(key == rid).values(**values))
            last = batch[-1][0]
        conn.execute(delete(dictionaries).where(dictionaries.c.id == row.id))
        done += 1
    return done


def _holds_text(doc: bytes, fragments: set[bytes]) -> bool:
    return any(f in doc for f in fragments)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]
