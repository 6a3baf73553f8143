"""The embedded index for large collections: a tantivy index (a Rust search library, in process)
in one directory.  No server, like the SQLite index, but with what the SQLite index lacks at a
million documents: posting lists scored block by block, facets counted from columnar fast
fields, so a word found in a quarter of the corpus is answered in tens of milliseconds where
FTS5 needs over a second (benchmarks/README.md).  Selected by ``IPSENTRY_SEARCH_BACKEND=tantivy``.

Fields:

* ``id`` (raw, fast) and, stored only, the Document JSON (``body``) and the fingerprints that
  tell created / updated / unchanged apart (``fingerprints``), as on every backend;
* the text fields of :data:`~ipsentry.search.cluster_common.TEXT_FIELDS`, analysed as on the
  other backends: NFKC, each CJK or kana character a token of its own, other runs of letters and
  digits a token, lower-cased, accents folded, English words stemmed (Snowball; FTS5 and the
  cluster use the older Porter rules, which differ only on rare words);
* beside each text field a ``<field>_cjk2`` field with the CJK bigrams of adjacent CJK tokens:
  a Chinese word is "these characters, contiguous", which the unigram field answers with a
  phrase query (reading positions), the bigram field with a term or a shorter phrase; at a
  million documents that is over twice as fast for the two-character names users search most;
* the keyword fields of the query language and ``year`` (raw, fast: filters and facets);
* ``published`` and ``sort_date`` (dates, fast: ranges and date order).

Writes: tantivy allows one writer per index directory across processes.  Each upsert takes the
writer (waiting while another process holds it), commits and lets merges finish before giving it
back, so the API, the scheduler and a CLI backfill can all write in turn.
"""

from __future__ import annotations

import html
import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import tantivy

from ipsentry.core.documents import Document
from ipsentry.search.cluster_common import (
    FIELD_TEXT_TARGET,
    FIELD_WEIGHTS,
    HIGHLIGHTED,
    KEYWORD_FIELDS,
    TEXT_FIELDS,
    TOKEN,
    Fingerprints,
    clean_text,
    indexed_fields,
)
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
    TextLeaf,
    Word,
    parse_query,
    positive_text_leaves,
)

SCHEMA_VERSION = 1
_VERSION_FILE = "ipsentry-index.json"
_ANALYZER = "ipsentry_text"

# The token definition of the other backends, in Rust regex syntax: a CJK or kana letter alone,
# or a run of other letters and digits.
_CJK_RUST = r"\u{3040}-\u{30ff}\u{3400}-\u{4dbf}\u{4e00}-\u{9fff}\u{f900}-\u{faff}\u{20000}-\u{3134f}"
_TOKEN_PATTERN = rf"[[{_CJK_RUST}]&&[\p{{L}}\p{{N}}]]|[[\p{{L}}\p{{N}}]--[{_CJK_RUST}]]+"
_CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))
# Between bigrams of different CJK runs, so that a bigram phrase cannot join two runs.
_BIGRAM_GAP = "\ue002"
_BIGRAMS = "_cjk2"

# Facets list at most this many values per field; a segment counts up to ten times as many, so
# the counts are exact below that.
_FACET_SIZE = 10_000
_SNIPPET_TOKENS = 32
_WRITER_HEAP_BYTES = 128_000_000
_WRITER_WAIT_SECONDS = 300.0
_WRITER_THREADS = min(4, os.cpu_count() or 1)

_Q = tantivy.Query
_MUST, _SHOULD, _MUST_NOT = tantivy.Occur.Must, tantivy.Occur.Should, tantivy.Occur.MustNot


def _analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(_TOKEN_PATTERN))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


_ANALYSIS = _analyzer()


def _analyse(text: str) -> list[str]:
    return list(_ANALYSIS.analyze(text))


@lru_cache(maxsize=65_536)
def _stem(token: str) -> str:
    tokens = _ANALYSIS.analyze(token)
    return tokens[0] if tokens else token


def _is_cjk(token: str) -> bool:
    if len(token) != 1:
        return False
    code = ord(token)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _bigram_text(tokens: Sequence[str]) -> str:
    """The bigrams of adjacent CJK tokens, with a gap token where a run ends."""
    pieces: list[str] = []
    for first, second in pairwise(tokens):
        if _is_cjk(first) and _is_cjk(second):
            pieces.append(first + second)
        elif pieces and pieces[-1] != _BIGRAM_GAP:
            pieces.append(_BIGRAM_GAP)
    return " ".join(pieces) if any(piece != _BIGRAM_GAP for piece in pieces) else ""


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, fast=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=_ANALYZER, index_option="position")
        builder.add_text_field(name + _BIGRAMS, tokenizer_name="whitespace", index_option="position")
    for name in KEYWORD_FIELDS:
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_date_field("published", indexed=True, fast=True)
    builder.add_date_field("sort_date", fast=True)
    builder.add_bytes_field("fingerprints", stored=True)
    builder.add_bytes_field("body", stored=True)
    return builder.build()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --------------------------------------------------------------------------- query compilation


class _Compiler:
    """The query-language tree as tantivy queries over one schema."""

    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema

    def text(self, leaf: TextLeaf, *, scored: bool) -> tantivy.Query:
        """A word or phrase in its fields: one term, or a phrase of its tokens; a Chinese word
        through the bigram field.  ``scored`` weights each field as the other backends do."""
        tokens = _analyse(clean_text(leaf.text))
        if not tokens:
            return _Q.empty_query()
        fields = (FIELD_TEXT_TARGET[leaf.field],) if isinstance(leaf, FieldText) else FREE_TEXT_FIELDS
        options = []
        for name in fields:
            if len(tokens) > 1 and all(_is_cjk(token) for token in tokens):
                query = self._sequence(name + _BIGRAMS, [a + b for a, b in pairwise(tokens)])
            else:
                query = self._sequence(name, tokens)
            options.append((_SHOULD, _Q.boost_query(query, FIELD_WEIGHTS[name]) if scored else query))
        return options[0][1] if len(options) == 1 else _Q.boolean_query(options)

    def _sequence(self, field_name: str, terms: list[str]) -> tantivy.Query:
        if len(terms) == 1:
            return _Q.term_query(self.schema, field_name, terms[0], index_option="freq")
        return _Q.phrase_query(self.schema, field_name, terms)

    def dates(self, start: date | None, end: date | None) -> tantivy.Query:
        if start is None and end is None:
            return _Q.exists_query("published")
        return _Q.range_query(
            self.schema,
            "published",
            tantivy.FieldType.Date,
            _midnight(start) if start else None,
            _midnight(end) if end else None,
        )

    def tree(self, node: Node, *, scored: bool = False) -> tantivy.Query:
        """Which documents match.  ``scored`` only for trees of positive text alone (see
        :meth:`TantivyDocumentIndex._query`)."""
        match node:
            case MatchAll():
                return _Q.all_query()
            case Word() | Phrase() | FieldText():
                return self.text(node, scored=scored)
            case FieldValue(field_name, value):
                return _Q.term_query(self.schema, field_name, value, index_option="basic")
            case DateRange(_, start, end):
                return self.dates(start, end)
            case And(items):
                clauses = [
                    (_MUST_NOT, self.tree(item.item))
                    if isinstance(item, Not)
                    else (_MUST, self.tree(item, scored=scored))
                    for item in items
                ]
                if all(occur == _MUST_NOT for occur, _ in clauses):
                    clauses.append((_MUST, _Q.all_query()))
                return _Q.boolean_query(clauses)
            case Or(items):
                return _Q.boolean_query([(_SHOULD, self.tree(item, scored=scored)) for item in items])
            case Not(item):
                return _Q.boolean_query([(_MUST, _Q.all_query()), (_MUST_NOT, self.tree(item))])
        raise AssertionError(f"unknown node {node!r}")

    def filters(self, request: SearchRequest) -> list[tantivy.Query]:
        queries = [_Q.term_set_query(self.schema, name, values) for name, values in keyword_filters(request)]
        if request.document_ids:
            queries.append(_Q.term_set_query(self.schema, "id", list(request.document_ids)))
        if request.published_from or request.published_to:
            queries.append(self.dates(request.published_from, request.published_to))
        return queries


def _only_positive_text(node: Node) -> bool:
    match node:
        case Word() | Phrase() | FieldText():
            return True
        case And(items) | Or(items):
            return all(_only_positive_text(item) for item in items)
        case _:
            return False


# --------------------------------------------------------------------------- highlights


def _marked(value: str, leaves: Sequence[list[str]]) -> list[tuple[int, int, list[tuple[int, int]]]] | None:
    """(token start, token end) of every occurrence of a leaf's tokens in ``value``, merged where
    they overlap, with the character spans of the value's tokens; None when nothing matched."""
    spans = [match.span() for match in TOKEN.finditer(value)]
    stems = _analyse(value)
    if len(stems) != len(spans):  # the two regex engines disagree on some character: go token by token
        stems = [_stem(value[start:end]) for start, end in spans]
    found: list[tuple[int, int]] = []
    for tokens in leaves:
        width = len(tokens)
        found += [(i, i + width) for i in range(len(stems) - width + 1) if stems[i : i + width] == tokens]
    if not found:
        return None
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [(start, end, spans) for start, end in merged]


def _render(value: str, marks: list[tuple[int, int, list[tuple[int, int]]]], first: int, stop: int) -> str:
    """HTML of ``value[first:stop]`` (characters) with the marks inside it."""
    out, at = [], first
    for start, end, spans in marks:
        begin, finish = spans[start][0], spans[end - 1][1]
        if begin < first or finish > stop:
            continue
        out += [html.escape(value[at:begin]), "<mark>", html.escape(value[begin:finish]), "</mark>"]
        at = finish
    out.append(html.escape(value[at:stop]))
    return "".join(out)


def _snippet(value: str, marks: list[tuple[int, int, list[tuple[int, int]]]]) -> str:
    """About 32 tokens around the first match, with an ellipsis where the value is cut, as FTS5's
    snippet() gives them."""
    spans = marks[0][2]
    first_token = max(0, min(marks[0][0] - 4, len(spans) - _SNIPPET_TOKENS))
    last_token = max(min(len(spans), first_token + _SNIPPET_TOKENS), marks[0][1])
    first = 0 if first_token == 0 else spans[first_token][0]
    stop = len(value) if last_token >= len(spans) else spans[last_token - 1][1]
    prefix = "…" if first > 0 else ""
    suffix = "…" if stop < len(value) else ""
    return prefix + _render(value, marks, first, stop).strip() + suffix


def _wanted_tokens(tree: Node) -> dict[str, list[list[str]]]:
    """Per highlighted field, the token lists of the positive text clauses that look at it."""
    wanted: dict[str, list[list[str]]] = {}
    for leaf in positive_text_leaves(tree):
        tokens = _analyse(clean_text(leaf.text))
        for name, _ in HIGHLIGHTED:
            looks_here = FIELD_TEXT_TARGET[leaf.field] == name if isinstance(leaf, FieldText) else True
            if tokens and looks_here:
                wanted.setdefault(name, []).append(tokens)
    return wanted


def _highlights(fields: dict[str, list[str]], wanted: dict[str, list[list[str]]]) -> dict[str, str]:
    """The hit's highlights as the embedded SQLite index makes them: snippets of the long fields,
    the short ones whole (their values joined by "; "), HTML-escaped but for <mark>."""
    highlights: dict[str, str] = {}
    for name, snippet in HIGHLIGHTED:
        if name not in wanted:
            continue
        values = fields.get(name, [])
        marked = [_marked(value, wanted[name]) for value in values]
        if not any(marked):
            continue
        if snippet:
            value, marks = next((v, m) for v, m in zip(values, marked, strict=True) if m)
            highlights[name] = _snippet(value, marks)
        else:
            highlights[name] = "; ".join(
                _render(value, marks, 0, len(value)) if marks else html.escape(value)
                for value, marks in zip(values, marked, strict=True)
            )
    return highlights


# --------------------------------------------------------------------------- the index


class IndexSchemaError(RuntimeError):
    """The directory holds an index of another schema version: rebuild it (see the message)."""


class TantivyDocumentIndex:
    """:class:`~ipsentry.search.index.DocumentIndex` on a tantivy index directory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        version_file = self.path / _VERSION_FILE
        if version_file.exists():
            found = json.loads(version_file.read_text()).get("schema")
            if found != SCHEMA_VERSION:
                raise IndexSchemaError(
                    f"{self.path} holds a tantivy index of schema {found}, this version reads schema "
                    f"{SCHEMA_VERSION}: move it aside and ingest again (ipsentry backfill), or keep the "
                    "older ipsentry"
                )
        self._schema = _schema()
        self._index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
        self._index.register_tokenizer(_ANALYZER, _analyzer())
        # Commits of other processes (a CLI backfill beside the service) become visible by
        # themselves; this process reloads after its own commits.
        self._index.config_reader(reload_policy="OnCommit")
        if not version_file.exists():
            version_file.write_text(json.dumps({"schema": SCHEMA_VERSION}))
        self._compile = _Compiler(self._schema)
        self._write_lock = threading.Lock()
        self._facet_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tantivy-facets")

    # ----------------------------------------------------------------- writes

    @contextmanager
    def _writer(self) -> Iterator[tantivy.IndexWriter]:
        """The index's writer, waited for while another process holds it, with the reader
        brought up to the last commit (another process's included), so what the block reads is
        what it writes over.  The block commits what it wrote; what it did not commit is rolled
        back.  Merges finish before the lock is given back."""
        deadline = time.monotonic() + _WRITER_WAIT_SECONDS
        while True:
            try:
                writer = self._index.writer(heap_size=_WRITER_HEAP_BYTES, num_threads=_WRITER_THREADS)
                break
            except ValueError as error:
                if "LockBusy" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        try:
            self._index.reload()
            yield writer
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        self._index.reload()

    def _stored_fingerprints(self, ids: Sequence[str]) -> dict[str, Fingerprints]:
        searcher = self._index.searcher()
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        hits = searcher.search(_Q.term_set_query(self._schema, "id", wanted), len(wanted), count=False).hits
        stored = {}
        for _, address in hits:
            document = searcher.doc(address)
            content, tags, row = bytes(document.get_first("fingerprints")).decode().split(" ")
            stored[document.get_first("id")] = Fingerprints(content=content, tags=tags, row=row)
        return stored

    def upsert(self, documents: Sequence[Document]) -> UpsertResult:
        result = UpsertResult()
        if not documents:
            return result
        # The writer first: another process may have written these documents since this one
        # last looked, and created / updated / unchanged must be told against that.
        with self._write_lock, self._writer() as writer:
            stored = self._stored_fingerprints([d.id for d in documents])
            wrote = False
            for document in documents:
                new = Fingerprints.of(document)
                old = stored.get(document.id)
                if old is None:
                    result.created.append(document.id)
                elif (old.content, old.tags) == (new.content, new.tags):
                    # Unchanged for alerting, but e.g. a corrected url is still written.
                    result.unchanged.append(document.id)
                    if old.row == new.row:
                        continue
                else:
                    result.updated.append(document.id)
                stored[document.id] = new
                # A delete applies to what was added before it, so a document given twice in
                # one batch ends up once, as its last copy.
                writer.delete_documents_by_term("id", document.id)
                writer.add_document(self._document(document, new))
                wrote = True
            if wrote:
                writer.commit()
        return result

    @staticmethod
    def _document(document: Document, fingerprints: Fingerprints) -> tantivy.Document:
        fields = indexed_fields(document)
        indexed = tantivy.Document()
        indexed.add_text("id", document.id)
        for name in TEXT_FIELDS:
            for value in fields[name]:
                indexed.add_text(name, value)
                bigrams = _bigram_text(_analyse(value))
                if bigrams:
                    indexed.add_text(name + _BIGRAMS, bigrams)
        for name in KEYWORD_FIELDS:
            for value in fields[name]:
                indexed.add_text(name, value)
        if document.published:
            indexed.add_date("published", _midnight(document.published))
        indexed.add_date("sort_date", _midnight(date.fromisoformat(fields["sort_date"])))
        packed = f"{fingerprints.content} {fingerprints.tags} {fingerprints.row}"
        indexed.add_bytes("fingerprints", packed.encode())
        indexed.add_bytes("body", document.model_dump_json().encode())
        return indexed

    # ----------------------------------------------------------------- reads

    @staticmethod
    def _body(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> Document:
        return Document.model_validate_json(bytes(searcher.doc(address).get_first("body")))

    def get(self, document_id: str) -> Document | None:
        found = self.get_many([document_id])
        return found[0] if found else None

    def get_many(self, document_ids: Sequence[str]) -> list[Document]:
        """The stored documents among ``document_ids``, in the order asked (missing ones skipped)."""
        wanted = list(dict.fromkeys(document_ids))
        if not wanted:
            return []
        searcher = self._index.searcher()
        query = _Q.term_set_query(self._schema, "id", wanted)
        found = [self._body(searcher, address) for _, address in searcher.search(query, len(wanted)).hits]
        by_id = {document.id: document for document in found}
        return [by_id[i] for i in wanted if i in by_id]

    def iter_documents(self, batch_size: int = 500) -> Iterator[list[Document]]:
        # One searcher for the whole walk: its segments stay readable while the caller upserts
        # between batches (retro-matching does), so nothing is skipped or read twice.
        searcher = self._index.searcher()
        total = searcher.num_docs
        if total == 0:
            return
        addresses = [address for _, address in searcher.search(_Q.all_query(), total, count=False).hits]
        for start in range(0, len(addresses), batch_size):
            yield [self._body(searcher, address) for address in addresses[start : start + batch_size]]

    def count(self) -> int:
        return int(self._index.searcher().num_docs)

    def close(self) -> None:
        """Stops the facet threads; the writer is only held during an upsert, and readers are
        dropped with the index object."""
        self._facet_pool.shutdown(wait=True)

    # ----------------------------------------------------------------- search

    def _query(self, tree: Node, request: SearchRequest, *, ranked: bool) -> tantivy.Query:
        """The search: membership and filters scoring nothing, the positive text scoring, so a
        document matching through structure alone scores 0 (as on the other backends).  A tree
        of positive text alone scores as it matches: the sum of the leaves it matched."""
        filters = [(_MUST, _Q.const_score_query(f, 0.0)) for f in self._compile.filters(request)]
        if ranked and _only_positive_text(tree):
            return _Q.boolean_query([(_MUST, self._compile.tree(tree, scored=True)), *filters])
        clauses = [(_MUST, _Q.const_score_query(self._compile.tree(tree), 0.0)), *filters]
        if ranked:
            leaves = positive_text_leaves(tree)
            clauses += [(_SHOULD, self._compile.text(leaf, scored=True)) for leaf in leaves]
        return _Q.boolean_query(clauses)

    def _page_scores(self, searcher: tantivy.Searcher, tree: Node, ids: list[str]) -> dict[str, float]:
        """bm25 of the page's hits when the page is sorted by date (scores are shown anyway)."""
        query = _Q.boolean_query(
            [
                (_MUST, _Q.const_score_query(_Q.term_set_query(self._schema, "id", ids), 0.0)),
                *((_SHOULD, self._compile.text(leaf, scored=True)) for leaf in positive_text_leaves(tree)),
            ]
        )
        return {
            searcher.doc(address).get_first("id"): float(score)
            for score, address in searcher.search(query, len(ids)).hits
        }

    @staticmethod
    def _facets(
        searcher: tantivy.Searcher, query: tantivy.Query, names: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        names = list(dict.fromkeys(names))
        if not names:
            return {}
        spec = {
            name: {"terms": {"field": name, "size": _FACET_SIZE, "segment_size": _FACET_SIZE * 10}}
            for name in names
        }
        found: dict[str, Any] = searcher.aggregate(query, spec)
        facets = {}
        for name in names:
            counts = {str(b["key"]): int(b["doc_count"]) for b in found.get(name, {}).get("buckets", [])}
            facets[name] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        return facets

    def search(self, request: SearchRequest) -> SearchResult:
        check_request(request)
        tree = parse_query(request.query)
        has_text = bool(positive_text_leaves(tree))
        ranked = request.sort == "relevance" and has_text
        searcher = self._index.searcher()
        query = self._query(tree, request, ranked=ranked)
        # The facets walk the matches a second time; tantivy lets go of the GIL while it
        # searches, so they are counted on another core while this thread ranks (at 1,000,000
        # documents, 30 ms one after the other, 20 ms side by side).
        counting = None
        if request.facets:
            counting = self._facet_pool.submit(self._facets, searcher, query, request.facets)
        window = max(request.limit, 1)  # tantivy refuses a page of 0; the hits are dropped below
        if ranked:
            found = searcher.search(query, window, count=True, offset=request.offset)
        else:  # by date; also relevance without any text to be relevant to
            order = tantivy.Order.Asc if request.sort == "date_asc" else tantivy.Order.Desc
            found = searcher.search(
                query, window, count=True, offset=request.offset, order_by_field="sort_date", order=order
            )
        page = found.hits[: request.limit]
        facets = counting.result() if counting is not None else {}
        documents = [self._body(searcher, address) for _, address in page]
        scores: dict[str, float] = {}
        if has_text and not ranked and documents:
            scores = self._page_scores(searcher, tree, [document.id for document in documents])
        wanted = _wanted_tokens(tree) if request.highlight else {}
        hits = []
        for (key, _), document in zip(page, documents, strict=True):
            score = float(key) if ranked else scores.get(document.id, 0.0)
            highlights = _highlights(indexed_fields(document), wanted) if wanted else {}
            hits.append(SearchHit(document=document, score=score, highlights=highlights))
        return SearchResult(total=int(found.count), hits=hits, facets=facets)


__all__ = ["IndexSchemaError", "TantivyDocumentIndex"]
