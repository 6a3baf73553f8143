"""The embedded document index: one SQLite file (WAL) with an FTS5 table for full text.

Tables:

* ``documents``: one row per document id, the full Document JSON, the dates used to filter and
  sort, and three hashes that tell created / updated / unchanged apart on upsert;
* ``document_keys``: the same rows, narrow: id, dates and the single-valued keyword fields
  (kind, source, stage, jurisdiction, authority, year).  Searches read it, not ``documents``:
  a search visits every matched row, and the ``documents`` rows carry their JSON bodies, so
  ten times fewer rows fit a page (at 1,000,000 documents joining a quarter of the corpus took
  530 ms there and 110 ms here);
* ``document_values``: (field, value, doc) for every keyword field of the query language and the
  ``year`` facet, normalised by :func:`ipsentry.search.query.keyword_values`, so filters and facets
  are one indexed lookup whatever the field;
* ``document_text``: FTS5 over title, summary, text, products, party names, firms and brands.

Tokenisation.  FTS5 tokenizers cannot be written in Python, and the built-in ``trigram``
tokenizer cannot match terms shorter than three characters (华为, 英诺).  So the text is prepared
before it reaches FTS5: NFKC (full-width letters and digits become ASCII), then every CJK or kana
character is fenced with U+200B ZERO WIDTH SPACE, which ``unicode61`` treats as a separator.  Each
such character is then a token of its own, and a Chinese word of any length is a phrase query over
its characters: exactly "these characters, contiguous".  This is also what the Elasticsearch
``standard`` tokenizer does with CJK, so a cluster backend returns the same documents.  Latin text
goes through ``porter unicode61 remove_diacritics 2``: case-insensitive, accents folded, English
words stemmed ("exclusion" finds "exclusions") in documents and queries alike.  Highlighting uses
FTS5's own ``highlight()``/``snippet()`` on the prepared text and strips the fences afterwards.

Threads: each thread gets its own connection (WAL lets readers run beside the writer); writes
are serialised by a lock so threads of one process never wait on SQLITE_BUSY.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ipsentry.core.documents import Document
from ipsentry.search.index import (
    SearchHit,
    SearchRequest,
    SearchResult,
    UpsertResult,
    check_request,
    keyword_filters,
)
from ipsentry.search.query import (
    FREE_TEXT_FIELDS,
    And,
    DateRange,
    FieldText,
    FieldValue,
    MatchAll,
    Node,
    Not,
    Or,
    Phrase,
    Word,
    keyword_values,
    parse_query,
    positive_text_leaves,
    text_field_values,
)

SCHEMA_VERSION = 2

# Read the file through a memory map (up to 4 GiB, about a 1,000,000-document index) and keep
# 64 MiB of pages per connection: a search touches pages scattered over a file far larger than
# SQLite's default 2 MB cache (the documents rows carry their JSON bodies), and each read()
# then copied a page.  The cache fills only as pages are read.
_MMAP_BYTES = 4 << 30
_CACHE_KIB = 64 << 10
# Facets: a matched document's values cost about this many index-order steps (_facet_counts).
_SEEK_COST = 8
# The documents a search matches, written once per search so that the total, the facets and the
# page are read from it instead of each running the match (FTS5 and the filters) again.  TEMP:
# private to the connection, hence to the thread, and never written to the index file.
_MATCHED = "temp.search_matched"
# ``score``: the bm25 of the row when the match computed it on the way (see _members), else NULL.
_MATCHED_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {_MATCHED} (rowid INTEGER PRIMARY KEY, sort_date TEXT, id TEXT, score REAL)"
)
# A query joining text and structure (``battery case:337-TA-1042``) walks the text's matches
# once, keeping those among the documents the structure selects, when the structure selects at
# most this many: they are collected first, a cheap step for a selective clause.  A broader one
# is checked per matched document instead (see _members).
_CANDIDATES_MAX = 100_000
_CANDIDATES = "temp.search_candidates"
_CANDIDATES_TABLE = f"CREATE TABLE IF NOT EXISTS {_CANDIDATES} (rowid INTEGER PRIMARY KEY)"

# Han (incl. extension A, compatibility and the supplementary planes) and kana.
_CJK = re.compile("([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f])")
_FENCE = "\u200b"  # a unicode61 separator (category Cf)
# Private-use characters are token characters to unicode61 but never occur in real text, so
# they serve as highlight markers (no clash with the text's own "<" or "[") and as a filler
# token between the values of a multi-valued column (so a phrase cannot span two party names).
_OPEN, _CLOSE, _GAP = "\ue000", "\ue001", "\ue002"
_VALUE_JOIN = f" {_GAP} "
_RESERVED = re.compile("[\u200b\ue000-\uf8ff]")

# FTS5 columns in order; ``party:`` searches the same column as the free-text party names.
_FTS_COLUMNS = (*FREE_TEXT_FIELDS, "firm", "brand")
_FTS_WEIGHTS = (8.0, 3.0, 1.0, 2.0, 4.0, 2.0, 4.0)
_FREE_TEXT = "{" + " ".join(FREE_TEXT_FIELDS) + "}"
_FIELD_COLUMN = {"party": "parties", "firm": "firm", "brand": "brand"}
# (column, whole value or snippet) for the highlights of a hit.
_HIGHLIGHTED = (("title", False), ("summary", True), ("text", True), ("products", False), ("parties", False))
_SNIPPET_TOKENS = 32
# Negated so that a larger score is better, as on the cluster backends.
_SCORE = f"-bm25(document_text, {', '.join(str(w) for w in _FTS_WEIGHTS)})"
# bm25 of the matched documents the MATCH finds.  "+rowid" hides the IN from FTS5, which
# would otherwise seek each rowid (about a millisecond each in a long doclist): FTS5 walks the
# match once and bm25, the dear part, runs only on the rows in the set.
_SCORED = (
    f"SELECT rowid, {_SCORE} AS score FROM document_text "
    f"WHERE document_text MATCH ? AND +rowid IN (SELECT rowid FROM {_MATCHED})"
)

# The keyword fields a document has one value of (or none): kept as columns of document_keys
# too, so a filter on them is read with the row and their facets are counted in one pass.
_KEY_COLUMNS = ("kind", "source", "stage", "jurisdiction", "authority", "year")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS documents (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    published TEXT,
    sort_date TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    tags_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS document_keys (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    published TEXT,
    sort_date TEXT NOT NULL,
    {", ".join(f"{name} TEXT" for name in _KEY_COLUMNS)}
);
CREATE INDEX IF NOT EXISTS document_keys_sort_date ON document_keys (sort_date, id);
CREATE INDEX IF NOT EXISTS document_keys_published ON document_keys (published);
CREATE TABLE IF NOT EXISTS document_values (
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY (field, value, doc)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS document_values_doc ON document_values (doc, field, value);
CREATE VIRTUAL TABLE IF NOT EXISTS document_text USING fts5(
    {", ".join(_FTS_COLUMNS)}, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""


# Schema 1 had no document_keys: fill it from the stored rows (about 4 s per million) and drop
# the indices its columns now serve.
_KEY_FROM_VALUES = ", ".join(
    f"(SELECT value FROM document_values WHERE doc = d.rowid AND field = '{name}')" for name in _KEY_COLUMNS
)
_UPGRADE_FROM_1 = f"""
INSERT OR REPLACE INTO document_keys (rowid, id, published, sort_date, {", ".join(_KEY_COLUMNS)})
SELECT d.rowid, d.id, d.published, d.sort_date, {_KEY_FROM_VALUES} FROM documents d;
DROP INDEX IF EXISTS documents_sort_date;
DROP INDEX IF EXISTS documents_published;
"""
_WRITE_KEYS = (
    f"INSERT OR REPLACE INTO document_keys (rowid, id, published, sort_date, {', '.join(_KEY_COLUMNS)}) "
    f"VALUES (?, ?, ?, ?{', ?' * len(_KEY_COLUMNS)})"
)


def prepare_text(text: str) -> str:
    """The text as FTS5 sees it, for documents and queries alike (see the module docstring)."""
    text = _RESERVED.sub("", unicodedata.normalize("NFKC", text))
    return _CJK.sub(rf"{_FENCE}\1{_FENCE}", text)


def _fts_string(text: str) -> str:
    """One FTS5 phrase: a double-quoted string, in which nothing but ``"`` is special."""
    return '"' + prepare_text(text).replace('"', '""') + '"'


def _to_html(fragment: str) -> str:
    """FTS5 output (prepared text with markers) to the HTML the console shows."""
    text = fragment.replace(_VALUE_JOIN, "; ").replace(_GAP, "").replace(_FENCE, "")
    return html.escape(text).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- query compilation


@dataclass
class _Sql:
    text: str
    params: list[object] = field(default_factory=list)


def _leaf_match(leaf: Word | Phrase | FieldText) -> str:
    columns = _FREE_TEXT if not isinstance(leaf, FieldText) else "{" + _FIELD_COLUMN[leaf.field] + "}"
    return f"{columns} : {_fts_string(leaf.text)}"


def _fts(node: Node) -> str | None:
    """The FTS5 MATCH expression for a node made only of text, or None when it needs SQL
    (keyword or date clauses inside, or a NOT that is not beside a positive text clause: FTS5
    has only the binary ``a NOT b``)."""
    match node:
        case Word() | Phrase() | FieldText():
            return _leaf_match(node)
        case Or(items):
            parts = [_fts(item) for item in items]
            return None if None in parts else "(" + " OR ".join(p for p in parts if p) + ")"
        case And(items):
            positive = [_fts(item) for item in items if not isinstance(item, Not)]
            negative = [_fts(item.item) for item in items if isinstance(item, Not)]
            if not positive or None in positive or None in negative:
                return None
            expression = "(" + " AND ".join(p for p in positive if p) + ")"
            if negative:
                expression += " NOT (" + " OR ".join(n for n in negative if n) + ")"
            return expression
        case _:
            return None


def _in_text(expression: str) -> _Sql:
    return _Sql("d.rowid IN (SELECT rowid FROM document_text WHERE document_text MATCH ?)", [expression])


def _accepted(values: Sequence[str], column: str = "value") -> _Sql:
    """``column`` among ``values``: one value compares directly (cheaper per probe than a list)."""
    if len(values) == 1:
        return _Sql(f"{column} = ?", [values[0]])
    return _Sql(f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(list(values))])


def _value_clause(field_name: str, values: Sequence[str]) -> _Sql:
    accepted = _accepted(values)
    return _Sql(
        f"d.rowid IN (SELECT doc FROM document_values WHERE field = ? AND {accepted.text})",
        [field_name, *accepted.params],
    )


def _date_clause(start: date | None, end: date | None, *, indexed: bool = True) -> _Sql:
    """``indexed=False`` keeps SQLite from driving the search by the date index (when another
    clause selects fewer documents, the date is checked on each of them instead)."""
    # "published IS NOT NULL" keeps the clause true/false, never NULL, so NOT over it includes
    # the undated documents (they were not published in that range).
    column = "d.published" if indexed else "+d.published"
    parts, params = [f"{column} IS NOT NULL"], []
    if start is not None:
        parts.append(f"{column} >= ?")
        params.append(start.isoformat())
    if end is not None:
        parts.append(f"{column} <= ?")
        params.append(end.isoformat())
    return _Sql("(" + " AND ".join(parts) + ")", params)


def _join(operator: str, clauses: list[_Sql]) -> _Sql:
    if len(clauses) == 1:
        return clauses[0]
    return _Sql(
        "(" + f" {operator} ".join(c.text for c in clauses) + ")",
        [p for c in clauses for p in c.params],
    )


def _where(node: Node) -> _Sql:
    """The SQL condition (over ``document_keys d``) for any node."""
    expression = _fts(node)
    if expression is not None:
        return _in_text(expression)
    match node:
        case MatchAll():
            return _Sql("1")
        case FieldValue(field_name, value):
            return _value_clause(field_name, [value])
        case DateRange(_, start, end):
            return _date_clause(start, end)
        case Not(item):
            inner = _where(item)
            return _Sql(f"NOT ({inner.text})", inner.params)
        case And(items):
            # Text clauses go to FTS5 together (one MATCH, its own NOT) when there is a positive
            # one to anchor them; the rest become SQL.
            texts = [i for i in items if _fts(i) is not None]
            texts += [i for i in items if isinstance(i, Not) and _fts(i.item) is not None] if texts else []
            rest = [i for i in items if i not in texts]
            clauses = [_in_text(_fts(And(tuple(texts))) or "")] if texts else []
            return _join("AND", clauses + [_where(i) for i in rest])
        case Or(items):
            texts = [i for i in items if _fts(i) is not None]
            rest = [i for i in items if i not in texts]
            clauses = [_in_text(_fts(Or(tuple(texts))) or "")] if texts else []
            return _join("OR", clauses + [_where(i) for i in rest])
    raise TypeError(f"not a query node: {node!r}")


def _key_clause(field_name: str, values: Sequence[str]) -> _Sql:
    """Same condition as :func:`_value_clause` for a key column: read with the row."""
    return _accepted(values, f"d.{field_name}")


def _probe_clause(field_name: str, values: Sequence[str]) -> _Sql:
    """Same condition as :func:`_value_clause`, as a probe of one document's values: cheaper
    when another clause (FTS5) already drives, since an IN list first reads every document
    having the value (a filter such as kind=itc337 can hold the whole corpus).  A key column
    is read with the row instead."""
    if field_name in _KEY_COLUMNS:
        return _key_clause(field_name, values)
    accepted = _accepted(values)
    return _Sql(
        f"EXISTS (SELECT 1 FROM document_values WHERE field = ? AND {accepted.text} AND doc = d.rowid)",
        [field_name, *accepted.params],
    )


def _document_ids_clause(request: SearchRequest) -> list[_Sql]:
    if not request.document_ids:
        return []
    return [_Sql("d.id IN (SELECT value FROM json_each(?))", [json.dumps(list(request.document_ids))])]


def _request_filters(request: SearchRequest, *, probe: bool = False) -> list[_Sql]:
    """The structured filters of a request, ANDed with the query.  ``probe`` when the query's
    FTS5 match drives the search (see :func:`_probe_clause`)."""
    clause = _probe_clause if probe else _value_clause
    clauses = [clause(field_name, values) for field_name, values in keyword_filters(request)]
    clauses += _document_ids_clause(request)
    if request.published_from or request.published_to:
        clauses.append(_date_clause(request.published_from, request.published_to))
    return clauses


# How far the planner counts a clause's documents: enough to tell a selective clause from a
# broad one, little enough to stay cheap (an index range of this many entries).
_ESTIMATE_CAP = 20_000


def _estimate_values(connection: sqlite3.Connection, field_name: str, values: Sequence[str]) -> int:
    accepted = _accepted(values)
    row = connection.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM document_values WHERE field = ? AND {accepted.text} LIMIT ?)",
        [field_name, *accepted.params, _ESTIMATE_CAP],
    ).fetchone()
    return int(row[0])


def _estimate_dates(connection: sqlite3.Connection, start: date | None, end: date | None) -> int:
    where = _date_clause(start, end)
    row = connection.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM document_keys d WHERE {where.text} LIMIT ?)",
        [*where.params, _ESTIMATE_CAP],
    ).fetchone()
    return int(row[0])


def _conjunction(connection: sqlite3.Connection, items: Sequence[Node], request: SearchRequest) -> _Sql:
    """The condition (over ``document_keys d``) for the AND of ``items`` and the request's
    filters, led by its most selective keyword or date clause.  SQLite has no statistics of
    the value lists, and an IN list reads every document having the value: driving
    ``enterprise:3 stage:termination`` by the stage read a quarter of the corpus to keep a
    few hundred.  So the clause with the fewest documents (counted up to _ESTIMATE_CAP) is the
    one SQLite reads, and every other keyword clause probes the documents it gives."""
    values = [(item.field, [item.value]) for item in items if isinstance(item, FieldValue)]
    values += keyword_filters(request)
    dates = [(item.start, item.end) for item in items if isinstance(item, DateRange)]
    if request.published_from or request.published_to:
        dates.append((request.published_from, request.published_to))
    others = [_where(item) for item in items if not isinstance(item, FieldValue | DateRange)]
    others += _document_ids_clause(request)
    if not values and not dates:
        return _join("AND", others or [_Sql("1")])
    estimates = [(_estimate_values(connection, f, v), "values", n) for n, (f, v) in enumerate(values)]
    estimates += [(_estimate_dates(connection, s, e), "dates", n) for n, (s, e) in enumerate(dates)]
    least, lead_kind, lead = min(estimates)
    if least >= _ESTIMATE_CAP:
        # Every clause is broad: reading an IN list once and looking each document up in it
        # beats probing each document's values, and SQLite may then drive as it sees fit.
        # A key column is checked with the row rather than listed (kind=itc337 lists the corpus),
        # and a broad date range too: reading the narrow rows in order beats seeking each row
        # the date index names.
        clauses = [
            (_key_clause if field_name in _KEY_COLUMNS else _value_clause)(field_name, accepted)
            for field_name, accepted in values
        ]
        clauses += [_date_clause(start, end, indexed=False) for start, end in dates]
        return _join("AND", clauses + others)
    clauses: list[_Sql] = []
    for n, (field_name, accepted) in enumerate(values):
        leads = lead_kind == "values" and n == lead
        clauses.append((_value_clause if leads else _probe_clause)(field_name, accepted))
    for n, (start, end) in enumerate(dates):
        clauses.append(_date_clause(start, end, indexed=lead_kind == "dates" and n == lead))
    return _join("AND", clauses + others)


# --------------------------------------------------------------------------- the index


def _sort_date(document: Document) -> str:
    when = document.published or document.filed or document.fetched.date()
    return when.isoformat()


def _values(document: Document) -> list[tuple[str, str]]:
    pairs = [(name, value) for name, values in keyword_values(document).items() for value in values]
    if document.published:
        pairs.append(("year", str(document.published.year)))
    return pairs


def _fts_row(document: Document) -> list[str]:
    texts = text_field_values(document)
    return [_VALUE_JOIN.join(prepare_text(t) for t in texts[column] if t) for column in _FTS_COLUMNS]


class SqliteDocumentIndex:
    """:class:`~ipsentry.search.index.DocumentIndex` on one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._registry_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        self._create_schema()

    # ----------------------------------------------------------------- connections

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        with self._registry_lock:
            if self._closed:
                raise RuntimeError(f"the document index {self.path} is closed")
            # check_same_thread=False only so that close() may close every thread's connection;
            # each connection is otherwise used by the thread that opened it.
            connection = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            # See _MMAP_BYTES; the matched set of a search (_MATCHED) stays in memory.
            connection.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
            connection.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
            connection.execute("PRAGMA temp_store = MEMORY")
            connection.execute(_MATCHED_TABLE)
            connection.execute(_CANDIDATES_TABLE)
            self._connections.append(connection)
        self._local.connection = connection
        return connection

    def _create_schema(self) -> None:
        connection = self._connection()
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            self.close()
            raise RuntimeError(
                f"{self.path} has index schema {version}; this ipsentry knows {SCHEMA_VERSION}"
            )
        upgrade = _UPGRADE_FROM_1 if version == 1 else ""
        with self._write_lock:
            connection.executescript(
                f"BEGIN IMMEDIATE; {_SCHEMA} {upgrade} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            )

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """A transaction: IMMEDIATE for writes (the lock already orders our threads); a read
        transaction for searches so their several statements see one snapshot."""
        connection = self._connection()
        lock = self._write_lock if write else None
        if lock is not None:
            lock.acquire()
        try:
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            if lock is not None:
                lock.release()

    def close(self) -> None:
        with self._registry_lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()

    # ----------------------------------------------------------------- writes

    def upsert(self, documents: Sequence[Document]) -> UpsertResult:
        result = UpsertResult()
        with self._transaction(write=True) as connection:
            for document in documents:
                content_hash = document.content_fingerprint()
                tags_hash = _digest(document.model_dump_json(include={"matches", "severity", "industries"}))
                # Everything but the fetch time: a re-crawl that changed nothing writes nothing.
                row_hash = _digest(document.model_dump_json(exclude={"fetched"}))
                existing = connection.execute(
                    "SELECT rowid, content_hash, tags_hash, row_hash FROM documents WHERE id = ?",
                    (document.id,),
                ).fetchone()
                if existing is None:
                    rowid = connection.execute(
                        "INSERT INTO documents (id, published, sort_date, content_hash, tags_hash, "
                        "row_hash, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            document.id,
                            document.published.isoformat() if document.published else None,
                            _sort_date(document),
                            content_hash,
                            tags_hash,
                            row_hash,
                            document.model_dump_json(),
                        ),
                    ).lastrowid
                    assert rowid is not None
                    self._write_derived(connection, rowid, document)
                    result.created.append(document.id)
                    continue
                rowid, old_content, old_tags, old_row = existing
                if (old_content, old_tags) == (content_hash, tags_hash):
                    # Unchanged for alerting, but a parser fix may still have changed e.g. the
                    # url or authority: keep the stored copy current without reporting it.
                    result.unchanged.append(document.id)
                    if old_row == row_hash:
                        continue
                else:
                    result.updated.append(document.id)
                connection.execute(
                    "UPDATE documents SET published = ?, sort_date = ?, content_hash = ?, tags_hash = ?, "
                    "row_hash = ?, body = ? WHERE rowid = ?",
                    (
                        document.published.isoformat() if document.published else None,
                        _sort_date(document),
                        content_hash,
                        tags_hash,
                        row_hash,
                        document.model_dump_json(),
                        rowid,
                    ),
                )
                self._write_derived(connection, rowid, document)
        return result

    @staticmethod
    def _write_derived(connection: sqlite3.Connection, rowid: int, document: Document) -> None:
        """(Re)writes the keys row, the value rows and the full-text row of one document."""
        values = _values(document)
        single = dict(values)  # the key columns' fields have one value at most
        connection.execute(
            _WRITE_KEYS,
            (
                rowid,
                document.id,
                document.published.isoformat() if document.published else None,
                _sort_date(document),
                *(single.get(name) for name in _KEY_COLUMNS),
            ),
        )
        connection.execute("DELETE FROM document_values WHERE doc = ?", (rowid,))
        connection.executemany(
            "INSERT OR IGNORE INTO document_values (field, value, doc) VALUES (?, ?, ?)",
            [(name, value, rowid) for name, value in values],
        )
        connection.execute("DELETE FROM document_text WHERE rowid = ?", (rowid,))
        connection.execute(
            f"INSERT INTO document_text (rowid, {', '.join(_FTS_COLUMNS)}) "
            f"VALUES (?{', ?' * len(_FTS_COLUMNS)})",
            (rowid, *_fts_row(document)),
        )

    # ----------------------------------------------------------------- reads

    def get(self, document_id: str) -> Document | None:
        row = self._connection().execute("SELECT body FROM documents WHERE id = ?", (document_id,)).fetchone()
        return Document.model_validate_json(row[0]) if row else None

    def get_many(self, document_ids: Sequence[str]) -> list[Document]:
        """The stored documents among ``document_ids``, in the order asked (missing ones skipped)."""
        wanted = list(dict.fromkeys(document_ids))
        rows = self._connection().execute(
            "SELECT id, body FROM documents WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(wanted),),
        )
        bodies = dict(rows.fetchall())
        return [Document.model_validate_json(bodies[i]) for i in wanted if i in bodies]

    def iter_documents(self, batch_size: int = 500) -> Iterator[list[Document]]:
        # Keyset pages, each read whole before it is yielded: no statement stays open while the
        # caller works (retro-matching upserts between batches on the same thread).
        last = 0
        while True:
            rows = (
                self._connection()
                .execute(
                    "SELECT rowid, body FROM documents WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    (last, batch_size),
                )
                .fetchall()
            )
            if not rows:
                return
            last = rows[-1][0]
            yield [Document.model_validate_json(body) for _, body in rows]

    def count(self) -> int:
        return int(self._connection().execute("SELECT count(*) FROM documents").fetchone()[0])

    # ----------------------------------------------------------------- search

    def search(self, request: SearchRequest) -> SearchResult:
        check_request(request)
        tree = parse_query(request.query)
        leaves = positive_text_leaves(tree)
        # What relevance means whatever the query's shape: bm25 of its positive text clauses.
        scoring = " OR ".join(_leaf_match(leaf) for leaf in leaves) if leaves else None

        # Relevance order needs the bm25 of every match; the match computes it on the way when
        # it can (see _members), else a second walk of the text's matches does.
        ranked = request.sort == "relevance" and scoring is not None
        with self._transaction(write=False) as connection:
            # The match runs once; the total, the facets and the page read its rows.
            connection.execute(f"DELETE FROM {_MATCHED}")
            members = _members(connection, tree, request, score=ranked)
            connection.execute(
                f"INSERT INTO {_MATCHED} (rowid, sort_date, id, score) {members.sql.text}", members.sql.params
            )
            total = int(connection.execute(f"SELECT count(*) FROM {_MATCHED}").fetchone()[0])
            summary = self._facet_counts(connection, request.facets, total) if request.facets else []
            page_window = [request.limit, request.offset]
            if ranked and members.scored:
                page = connection.execute(
                    f"SELECT rowid FROM {_MATCHED} "
                    "ORDER BY score DESC, sort_date DESC, id ASC LIMIT ? OFFSET ?",
                    page_window,
                ).fetchall()
            elif ranked:
                page = connection.execute(*self._by_relevance(tree, request, scoring or "")).fetchall()
            else:  # by date; also relevance without any text to be relevant to
                direction = "ASC" if request.sort == "date_asc" else "DESC"
                page = connection.execute(
                    f"SELECT rowid FROM {_MATCHED} ORDER BY sort_date {direction}, id ASC LIMIT ? OFFSET ?",
                    page_window,
                ).fetchall()
            rowids = [rowid for (rowid,) in page]
            scores: dict[int, float] = {}
            highlights: dict[int, dict[str, str]] = {}
            if scoring is not None and rowids:
                scores = self._page_scores(connection, scoring, rowids, computed=members.scored)
                if request.highlight:
                    highlights = self._page_highlights(connection, scoring, rowids)
            # Not kept between searches: the next search replaces it, and memory is freed now.
            connection.execute(f"DELETE FROM {_MATCHED}")
            connection.execute(f"DELETE FROM {_CANDIDATES}")
            bodies = dict(
                connection.execute(
                    "SELECT rowid, body FROM documents WHERE rowid IN (SELECT value FROM json_each(?))",
                    (json.dumps(rowids),),
                ).fetchall()
            )

        facets: dict[str, dict[str, int]] = {name: {} for name in request.facets}
        for facet, value, count in summary:
            facets[facet][value] = count
        for name, counts in facets.items():
            facets[name] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        hits = []
        for rowid in rowids:
            hits.append(
                SearchHit(
                    document=Document.model_validate_json(bodies[rowid]),
                    score=scores.get(rowid, 0.0),
                    highlights=highlights.get(rowid, {}),
                )
            )
        return SearchResult(total=total, hits=hits, facets=facets)

    @staticmethod
    def _facet_counts(
        connection: sqlite3.Connection, names: Sequence[str], matched: int
    ) -> list[tuple[str, str, int]]:
        """(field, value, documents) of the matched set for the facets ``names``.  Either plan
        gives the same counts; they differ in cost.  Walking a facet field's values in index
        order and probing the matched set costs about one step per document in the corpus
        and field; seeking each matched document's values costs about eight such steps per
        match (measured at 100,000 documents), so it wins only for the smaller results."""
        fields = json.dumps(list(dict.fromkeys(names)))
        corpus = connection.execute("SELECT max(rowid) FROM documents").fetchone()[0] or 0
        if matched * _SEEK_COST < corpus:
            statement = (
                f"SELECT v.field, v.value, count(*) FROM {_MATCHED} m CROSS JOIN document_values v "
                "INDEXED BY document_values_doc WHERE v.doc = m.rowid "
                "AND v.field IN (SELECT value FROM json_each(?)) GROUP BY v.field, v.value"
            )
        else:
            statement = (
                f"SELECT v.field, v.value, count(*) FROM {_MATCHED} m "
                "JOIN document_values v ON v.doc = m.rowid "
                "WHERE v.field IN (SELECT value FROM json_each(?)) GROUP BY v.field, v.value"
            )
        return connection.execute(statement, [fields]).fetchall()

    @staticmethod
    def _by_relevance(tree: Node, request: SearchRequest, scoring: str) -> tuple[str, list[object]]:
        """The page's rowids, best bm25 first.  bm25 costs far more than matching, so only this
        sort computes it for every match."""
        page = [request.limit, request.offset]
        whole = _fts(tree)
        if whole is not None:
            # All text: the query's own MATCH scores the matched set (see _SCORED).  Its NOT
            # clauses score nothing in the rows it returns, so the scores equal those of the
            # positive clauses alone.
            return (
                f"SELECT m.rowid FROM ({_SCORED}) s JOIN {_MATCHED} m ON m.rowid = s.rowid "
                "ORDER BY s.score DESC, m.sort_date DESC, m.id ASC LIMIT ? OFFSET ?",
                [whole, *page],
            )
        # Mixed text and structure: the structure decides membership, the positive text scores
        # (0 for documents that match only through structure).
        return (
            f"WITH s AS MATERIALIZED ({_SCORED}) "
            f"SELECT m.rowid FROM {_MATCHED} m LEFT JOIN s ON s.rowid = m.rowid "
            "ORDER BY coalesce(s.score, 0.0) DESC, m.sort_date DESC, m.id ASC LIMIT ? OFFSET ?",
            [scoring, *page],
        )

    @staticmethod
    def _page_scores(
        connection: sqlite3.Connection, scoring: str, rowids: list[int], *, computed: bool
    ) -> dict[int, float]:
        """bm25 of the hits on one page: kept by the match when it computed them, else one walk
        of the scoring match.  bm25 takes its statistics from the whole table, so restricting
        the rows does not change the scores."""
        if computed:
            rows = connection.execute(
                f"SELECT rowid, score FROM {_MATCHED} WHERE rowid IN (SELECT value FROM json_each(?))",
                (json.dumps(rowids),),
            )
        else:
            # "+rowid", as in _SCORED: bm25 over a seek per hit costs milliseconds each (it
            # gathers its statistics again per seek), one walk of the match far less.
            rows = connection.execute(
                f"SELECT rowid, {_SCORE} FROM document_text WHERE document_text MATCH ? "
                "AND +rowid IN (SELECT value FROM json_each(?))",
                (scoring, json.dumps(rowids)),
            )
        return {rowid: float(score) for rowid, score in rows.fetchall() if score is not None}

    @staticmethod
    def _page_highlights(
        connection: sqlite3.Connection, scoring: str, rowids: list[int]
    ) -> dict[int, dict[str, str]]:
        """Highlights of the hits on one page.  Unlike bm25, highlight() and snippet() need
        nothing beyond their row, so FTS5 seeks the page's rows (well under a millisecond for a
        page) instead of walking every match."""
        calls = []
        for column, snippet in _HIGHLIGHTED:
            index = _FTS_COLUMNS.index(column)
            if snippet:
                calls.append(
                    f"snippet(document_text, {index}, '{_OPEN}', '{_CLOSE}', '…', {_SNIPPET_TOKENS})"
                )
            else:
                calls.append(f"highlight(document_text, {index}, '{_OPEN}', '{_CLOSE}')")
        rows = connection.execute(
            f"SELECT rowid, {', '.join(calls)} FROM document_text WHERE document_text MATCH ? "
            "AND rowid IN (SELECT value FROM json_each(?))",
            (scoring, json.dumps(rowids)),
        ).fetchall()
        return {
            rowid: {
                column: _to_html(fragment)
                for (column, _), fragment in zip(_HIGHLIGHTED, fragments, strict=False)
                if fragment and _OPEN in fragment
            }
            for rowid, *fragments in rows
        }


@dataclass
class _Members:
    """The SELECT of a search's matches: (rowid, sort_date, id, score); ``scored`` when the
    score column holds each row's bm25 (else NULL)."""

    sql: _Sql
    scored: bool


def _split_text(tree: Node) -> tuple[Node | None, list[Node]]:
    """An AND's text clauses (with the NOTs of text they anchor) apart from the rest, or
    (None, [tree]) when there is no positive text clause at its top."""
    if not isinstance(tree, And):
        return None, [tree]
    positive = [item for item in tree.items if not isinstance(item, Not) and _fts(item) is not None]
    if not positive:
        return None, [tree]
    text = positive + [item for item in tree.items if isinstance(item, Not) and _fts(item.item) is not None]
    return And(tuple(text)), [item for item in tree.items if item not in text]


def _collect_candidates(connection: sqlite3.Connection, documents: _Sql, limit: int) -> bool:
    """Writes the documents satisfying the condition to the candidates table when there are at
    most ``limit`` of them (reading no more than limit + 1); False, and an empty table, if not."""
    connection.execute(f"DELETE FROM {_CANDIDATES}")
    written = connection.execute(
        f"INSERT INTO {_CANDIDATES} (rowid) "
        f"SELECT d.rowid FROM document_keys d WHERE {documents.text} LIMIT ?",
        [*documents.params, limit + 1],
    ).rowcount
    if written <= limit:
        return True
    connection.execute(f"DELETE FROM {_CANDIDATES}")
    return False


_STRUCTURE_MATCHES = "SELECT d.rowid, d.sort_date, d.id, NULL FROM document_keys d WHERE"


def _members(connection: sqlite3.Connection, tree: Node, request: SearchRequest, *, score: bool) -> _Members:
    """The documents matching the query and the request's filters, with their bm25 when
    ``score`` and the plan can compute it on the way."""
    whole = _fts(tree)
    text_matches = (
        "SELECT d.rowid, d.sort_date, d.id, {score} FROM document_text "
        "JOIN document_keys d ON d.rowid = document_text.rowid WHERE {where}"
    )
    if whole is not None:
        # The whole query is text: drive it from the FTS5 index, the filters probing each match.
        # Its NOT clauses score nothing in the rows it returns, so bm25 here equals that of the
        # positive clauses alone.
        where = _join("AND", [_Sql("document_text MATCH ?", [whole]), *_request_filters(request, probe=True)])
        sql = text_matches.format(score=_SCORE if score else "NULL", where=where.text)
        return _Members(_Sql(sql, where.params), scored=score)
    text, rest = _split_text(tree)
    if text is not None:
        # Text and structure: when the structure is selective, its documents are collected
        # first and one walk of the text's matches keeps those among them (a walk costs about
        # a tenth of a microsecond per match; a probe of the structure per match, or collecting
        # every text match to probe them, several times that).
        structure = _conjunction(connection, rest, request)
        if _collect_candidates(connection, structure, _CANDIDATES_MAX):
            # bm25 of the text's own match is the query's score when no positive text clause
            # hides in the structure (say under an OR with a keyword).
            scored = score and not any(positive_text_leaves(item) for item in rest)
            sql = text_matches.format(
                score=_SCORE if scored else "NULL",
                where=f"document_text MATCH ? AND +document_text.rowid IN (SELECT rowid FROM {_CANDIDATES})",
            )
            return _Members(_Sql(sql, [_fts(text)]), scored=scored)
    if not positive_text_leaves(tree):
        # Keywords, dates or nothing: led by the most selective clause.
        items = tree.items if isinstance(tree, And) else (tree,)
        where = _conjunction(connection, items, request)
        return _Members(_Sql(f"{_STRUCTURE_MATCHES} {where.text}", where.params), scored=False)
    # Text mixed with a broad structure: the text's match drives, the filters probe its rows.
    filters = _request_filters(request, probe=True)
    where = _join("AND", [_where(tree), *filters])
    return _Members(_Sql(f"{_STRUCTURE_MATCHES} {where.text}", where.params), scored=False)


__all__ = ["SqliteDocumentIndex", "prepare_text"]
