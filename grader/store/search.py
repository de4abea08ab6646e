"""The review search over the chats' own text, on the database's full-text engine.

What is searched: every message of the chat (customer, agent, system notices such as 客户已下单，订单号
…, auto-replies), each followed by a line break, so a search never matches across two messages
(`search_text`). A search box's text is cut at spaces and punctuation into at most 8 pieces
(`query_words`); a chat matches when it contains every piece as a substring, case ignored, so
"收到货" finds "没收到货" and a partial order number finds the whole one. No segmentation at store
time or at search time.

- SQLite: a contentless FTS5 table `chat_index` with the trigram tokenizer, `detail=none` and
  `columnsize=0` (about a quarter of the size of a full index: no positions, no document sizes, no
  copy of the text, which stays packed in `transcripts.body`). Its rowid is the chat's current
  scorecard id (`review_queue.scorecard_id`, stable under VACUUM). A piece of 3 characters is one
  trigram; a longer one needs all its trigrams in the chat — without positions they are not known
  to stand together, so "收到货了" also finds a chat with "收到货" in one message and "到货了" in
  another (still closer than the jieba words this index replaced, which could stand anywhere); a
  piece of 1–2 characters is the OR of the indexed trigrams that begin with it (every message ends
  with a line break, so each 2-character run begins one). Confirming long pieces on the stored
  text was tried and dropped: a common 6-character phrase then decoded tens of thousands of
  transcripts per search (seconds at 100k chats). A contentless table forgets a row only when
  given the text it indexed (`forget`), which is read back from the stored transcript.
- PostgreSQL: a table `chat_text` (transcript id, text) with a pg_trgm GIN index, searched with
  ILIKE, exactly (pieces under 3 characters scan the table). Without the extension (not
  installable by the database user) the same queries run without the index.

`INDEX_VERSION` is stored in `meta`; a database indexed otherwise (or before this index, when the
words of each chat were kept in `chat_terms`) is re-indexed from its stored transcripts on opening.
"""
from __future__ import annotations

import json
import re
import sys
import time
from typing import Iterable

from sqlalchemy import (Column, ForeignKey, MetaData, String, Table, Text, bindparam, delete, exists, insert,
                        literal_column, select, text)
from sqlalchemy.exc import DBAPIError

from grader.store.codec import unpack
from grader.store.tables import dictionaries, meta, review_queue, transcripts
from grader.transcript.model import Transcript

INDEX_VERSION = "1"
INDEX_KEY = "search_index"
MAX_TEXT_CHARS = 20_000  # a very long chat is searchable by its first 20,000 characters
MAX_WORDS = 8
MAX_EXPANSION = 5_000  # trigrams a 1–2 character piece may stand for (a 1-character piece: ~100 in 10k chats)
PIECES = re.compile(r"[^\s,.!?;:，。！？；：、'\"“”‘’（）()\[\]【】<>《》~～]+")

# PostgreSQL: the text of each chat with a current scorecard (SQLite uses the FTS5 table instead)
pg_metadata = MetaData()
chat_text = Table(
    "chat_text", pg_metadata,
    Column("transcript_id", String(200), ForeignKey(transcripts.c.id), primary_key=True),
    Column("text", Text, nullable=False),
)


_spent = [0.0]  # CPU seconds this process spent on the index (`spent`)


def spent() -> float:
    """CPU seconds (of the calling threads) this process has spent making and writing index rows:
    the `index` stage of a run's accounting."""
    return _spent[0]


def index_text(texts: Iterable[str]) -> str:
    """The indexed text of a chat from its message texts: each followed by a line break."""
    return "".join(t + "\n" for t in texts)[:MAX_TEXT_CHARS]


def search_text(transcript: Transcript) -> str:
    """What the search looks in: every message's text, in order, one line break after each."""
    start = time.thread_time()
    found = index_text(m.text for m in transcript.messages)
    _spent[0] += time.thread_time() - start
    return found


def query_words(query: str) -> list[str]:
    """The pieces of a search box's text: cut at spaces and punctuation, lower-cased, at most 8."""
    return list(dict.fromkeys(w.lower() for w in PIECES.findall(query)))[:MAX_WORDS]


# --- schema ---------------------------------------------------------------------------------------
def create(conn) -> None:
    """Create the index for the connection's database if missing (part of `grader.store.migrate`)."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("CREATE VIRTUAL TABLE IF NOT EXISTS chat_index USING fts5("
                          "text, tokenize='trigram', content='', detail='none', columnsize=0)"))
        conn.execute(text("CREATE VIRTUAL TABLE IF NOT EXISTS chat_index_terms USING fts5vocab(chat_index, 'row')"))
        return
    if conn.execute(text("SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() "
                         "AND indexname = 'ix_chat_text_trgm'")).first():
        return  # (CREATE INDEX IF NOT EXISTS would lock the table against the daily run's writes)
    pg_metadata.create_all(conn)
    schema = _trgm_schema(conn)
    if schema is not None:
        conn.execute(text(f'CREATE INDEX IF NOT EXISTS ix_chat_text_trgm ON chat_text USING gin '
                          f'(text "{schema}".gin_trgm_ops)'))


def _trgm_schema(conn) -> str | None:
    """The schema of the pg_trgm extension, created in `public` if missing (a trusted extension:
    any user who may create in the database may add it); None when it cannot be had."""
    find = text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                "WHERE e.extname = 'pg_trgm'")
    schema = conn.execute(find).scalar()
    if schema is None:
        try:
            with conn.begin_nested():  # two processes creating it at once: one of them fails
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        except DBAPIError:
            pass
        schema = conn.execute(find).scalar()
        if schema is None:
            print("grader: 无法启用 PostgreSQL 的 pg_trgm 扩展，复核页面的搜索将逐行查找（较慢）", file=sys.stderr)
    return schema


def drop_old(conn) -> None:
    """Drop the word table of databases indexed before this index (`chat_terms`)."""
    conn.execute(text("DROP TABLE IF EXISTS chat_terms"))


def indexed_version(conn) -> str | None:
    return conn.execute(select(meta.c.value).where(meta.c.key == INDEX_KEY)).scalar()


def set_stale(conn) -> None:
    """Mark the index as to be rebuilt when the database is next opened (queue rows were written
    outside the daily run's path)."""
    conn.execute(delete(meta).where(meta.c.key == INDEX_KEY))


def set_indexed_version(conn) -> None:
    conn.execute(delete(meta).where(meta.c.key == INDEX_KEY))
    conn.execute(insert(meta).values(key=INDEX_KEY, value=INDEX_VERSION))


# --- writing --------------------------------------------------------------------------------------
def add(conn, rows: list[tuple[str, int, str]]) -> None:
    """Index chats: (transcript id, current scorecard id, `search_text`) each. The chat must not be
    indexed already (`forget` it first)."""
    if not rows:
        return
    start = time.thread_time()
    if conn.dialect.name == "sqlite":
        conn.execute(text("INSERT INTO chat_index(rowid, text) VALUES (:sid, :text)"),
                     [{"sid": sid, "text": body} for _, sid, body in rows])
    else:
        conn.execute(chat_text.insert(), [{"transcript_id": tid, "text": body} for tid, _, body in rows])
    _spent[0] += time.thread_time() - start


def forget(conn, transcript_ids: list[str], known_text: dict[str, tuple[str, str]] | None = None) -> None:
    """Remove these chats from the index, before their queue rows and stored transcripts change.

    SQLite's contentless index needs the text it indexed: `known_text` may give it per chat as
    (content hash, text), used when the stored transcript has that content hash; otherwise it is
    read back from the stored transcript."""
    if not transcript_ids:
        return
    start = time.thread_time()
    try:
        _forget(conn, transcript_ids, known_text or {})
    finally:
        _spent[0] += time.thread_time() - start


def _forget(conn, transcript_ids: list[str], known_text: dict[str, tuple[str, str]]) -> None:
    if conn.dialect.name != "sqlite":
        conn.execute(delete(chat_text).where(chat_text.c.transcript_id.in_(transcript_ids)))
        return
    q, t = review_queue.c, transcripts.c
    rows = conn.execute(select(q.transcript_id, q.scorecard_id, t.content_hash, t.body, t.dict_id).select_from(
        review_queue.join(transcripts, t.id == q.transcript_id)).where(q.transcript_id.in_(transcript_ids))).all()
    zdicts = _zdicts(conn, {r.dict_id for r in rows if r.dict_id})
    gone = []
    for r in rows:
        given = known_text.get(r.transcript_id)
        if given is not None and given[0] == r.content_hash:
            body = given[1]
        elif r.body is not None:
            body = index_text(m[3] for m in json.loads(unpack(r.body, zdicts.get(r.dict_id)))["m"])
        else:
            continue  # its text is gone (purged): it was taken out of the index then
        gone.append({"sid": r.scorecard_id, "text": body})
    if gone:
        conn.execute(text("INSERT INTO chat_index(chat_index, rowid, text) VALUES ('delete', :sid, :text)"), gone)


def _zdicts(conn, ids: set[str]) -> dict[str, bytes]:
    if not ids:
        return {}
    return {i: bytes(d) for i, d in conn.execute(select(dictionaries.c.id, dictionaries.c.data).where(
        dictionaries.c.id.in_(sorted(ids))))}


def reindex(conn, chunk: int = 500) -> int:
    """Index every chat of the review queue afresh from its stored transcript; returns how many."""
    q, t = review_queue.c, transcripts.c
    if conn.dialect.name == "sqlite":
        conn.execute(text("INSERT INTO chat_index(chat_index) VALUES ('delete-all')"))
    else:
        conn.execute(delete(chat_text))
    done, after = 0, ""
    while True:
        rows = conn.execute(select(q.transcript_id, q.scorecard_id, t.body, t.dict_id).select_from(
            review_queue.join(transcripts, t.id == q.transcript_id)).where(
            q.transcript_id > after, t.body.is_not(None)).order_by(q.transcript_id).limit(chunk)).all()
        if not rows:
            return done
        zdicts = _zdicts(conn, {r.dict_id for r in rows if r.dict_id})
        add(conn, [(r.transcript_id, r.scorecard_id,
                    index_text(m[3] for m in json.loads(unpack(r.body, zdicts.get(r.dict_id)))["m"])) for r in rows])
        done += len(rows)
        after = rows[-1].transcript_id


def scrub(conn) -> None:
    """After chats were forgotten (purge): rewrite SQLite's index so that what it held of them
    leaves the file (merged into one segment; the old pages are freed, zeroed under secure_delete)."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("INSERT INTO chat_index(chat_index) VALUES ('optimize')"))


# --- searching ------------------------------------------------------------------------------------
def condition(conn, words: list[str]):
    """A SQL condition on `review_queue` rows: the chat contains every one of `words` (from
    `query_words`), or None when `words` is empty."""
    if not words:
        return None
    q = review_queue.c
    if conn.dialect.name != "sqlite":
        c = chat_text.c
        return exists().where(c.transcript_id == q.transcript_id,
                              *[c.text.ilike(f"%{_like(w)}%", escape="\\") for w in words])
    parts = [_match(conn, w) for w in words]
    if any(p is None for p in parts):
        return literal_column("0") == 1  # a piece no chat holds
    return q.scorecard_id.in_(select(literal_column("rowid")).select_from(text("chat_index")).where(
        text("chat_index MATCH :m").bindparams(bindparam("m", " AND ".join(f"({p})" for p in parts)))))


def _match(conn, word: str) -> str | None:
    """The FTS5 query of one piece, or None when no indexed trigram begins with it."""
    if len(word) >= 3:
        return " AND ".join(_quoted(word[i:i + 3]) for i in range(len(word) - 2))
    terms = [r[0] for r in conn.execute(text(
        "SELECT term FROM chat_index_terms WHERE term >= :lo AND term < :hi LIMIT :n"),
        {"lo": word, "hi": word + "\U0010ffff", "n": MAX_EXPANSION})]
    return " OR ".join(map(_quoted, terms)) or None


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
