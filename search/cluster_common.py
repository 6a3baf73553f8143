"""What the Elasticsearch and OpenSearch backends share: index names and versions, the analysis
and mapping, the document as the cluster stores it, the compiler from the query tree to
bool / match_phrase / term / range clauses, the search body (sort, facets, highlights), the
mapping of a response back to a :class:`~ipsentry.search.index.SearchResult`, and the
:class:`~ipsentry.search.index.DocumentIndex` implementation itself.  The two backends differ
only in how their client is built (``opensearch_index.py``, ``elasticsearch_index.py``): every
call made here (``body=`` dictionaries, ``refresh``, ``mget``, ``msearch``, aliases) means the
same on both.

Analysis mirrors the embedded index token for token, so both return the same documents:

* text is NFKC-normalised before it is sent (full-width letters and digits become ASCII), as the
  embedded index does before FTS5 sees it;
* tokens are what FTS5 ``unicode61`` makes them: runs of letters and digits, except that every
  CJK or kana character is a token of its own.  A ``pattern`` tokenizer says exactly that.  The
  ``standard`` tokenizer would split Han characters the same way but keeps ``U.S.``,
  ``respondent's`` and katakana runs whole (UAX #29), where ``unicode61`` splits them, so a
  query would find different documents on the two backends;
* then ``lowercase``, ``asciifolding`` and ``porter_stem``: FTS5's case folding,
  ``remove_diacritics`` and ``porter``, the same Porter algorithm.

A word or phrase is a ``match_phrase`` (a Chinese word is a phrase over its characters), each
free-text field its own clause with the embedded column weight, so relevance adds up across
fields as bm25 does there.  Multi-valued fields keep the default position gap of 100, so a
phrase never spans two party names (the embedded index puts a filler token between values).
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import time
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

from ipsentry.core.documents import Document, utcnow
from ipsentry.search.index import SearchHit, SearchRequest, SearchResult, UpsertResult, keyword_filters
from ipsentry.search.index import check_request as check_basics
from ipsentry.search.query import (
    FIELDS,
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
    format_query,
    keyword_values,
    parse_query,
    positive_text_leaves,
    text_field_values,
)

if TYPE_CHECKING:
    from ipsentry.config.settings import Settings

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- names and versions

# Bumped whenever the analysis, the mapping or what document_source() writes changes; an index
# of an older version keeps working for reads but should be rebuilt with reindex().
MAPPING_VERSION = 1
DOCUMENTS = "documents"
SAVED_SEARCHES = "saved-searches"

_PREFIX = re.compile(r"[a-z0-9][a-z0-9_-]{0,100}")


def check_prefix(prefix: str) -> str:
    """Index names must be lower case without spaces, commas, ``*`` or a leading ``-``/``_``."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"bad index prefix {prefix!r}: use lower-case letters, digits, '-' and '_'")
    return prefix


def alias_name(prefix: str, what: str) -> str:
    """The stable name clients use, e.g. ``ipsentry-documents``."""
    return f"{prefix}-{what}"


def version_name(prefix: str, what: str, version: int) -> str:
    """The concrete index behind the alias, e.g. ``ipsentry-documents-v1``."""
    return f"{prefix}-{what}-v{version}"


def version_of(index: str, prefix: str, what: str) -> int | None:
    match = re.fullmatch(re.escape(f"{prefix}-{what}-v") + r"(\d+)", index)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class ClusterConnection:
    """How to reach a cluster, from settings: one or more node URLs, credentials and TLS."""

    urls: tuple[str, ...]
    username: str | None = None
    password: str | None = None
    api_key: str | None = None
    verify_certs: bool = True
    ca_certs: str | None = None
    timeout: float = 30.0
    index_prefix: str = "ipsentry"

    @classmethod
    def from_settings(cls, settings: Settings) -> ClusterConnection:
        urls = tuple(url.strip() for url in (settings.search_url or "").split(",") if url.strip())
        if not urls:
            raise ValueError("IPSENTRY_SEARCH_URL is not set")
        return cls(
            urls=urls,
            username=settings.search_username,
            password=settings.search_password.get_secret_value() if settings.search_password else None,
            api_key=settings.search_api_key.get_secret_value() if settings.search_api_key else None,
            verify_certs=settings.search_verify_certs,
            ca_certs=str(settings.search_ca_certs) if settings.search_ca_certs else None,
            timeout=settings.search_timeout_seconds,
            index_prefix=check_prefix(settings.search_index_prefix),
        )


# --------------------------------------------------------------------------- analysis and mapping

ANALYZER = "ipsentry_text"
# The embedded index's CJK ranges (Han incl. extension A, compatibility, supplementary planes;
# kana), in Java regex syntax; only letters among them become tokens (``・`` is punctuation).
_CJK_JAVA = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\\x{20000}-\\x{3134f}"
_TOKEN_PATTERN = rf"[[{_CJK_JAVA}]&&[\p{{L}}\p{{N}}]]|[\p{{L}}\p{{N}}&&[^{_CJK_JAVA}]]+"
# The same token definition in Python, to count the tokens of a phrase or a highlighted span.
_CJK_PY = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
TOKEN = re.compile(rf"(?=[^\W_])[{_CJK_PY}]|(?:(?![{_CJK_PY}])[^\W_])+")

# Free-text fields first (what a word or phrase searches), then the field-only text fields.
TEXT_FIELDS = (*FREE_TEXT_FIELDS, "firm", "brand")
# ``party:`` searches the party names, as the embedded index does.
FIELD_TEXT_TARGET = {"party": "parties", "firm": "firm", "brand": "brand"}
# The embedded index's bm25 column weights, so relevance orders alike.
FIELD_WEIGHTS = {
    "title": 8.0,
    "summary": 3.0,
    "text": 1.0,
    "products": 2.0,
    "parties": 4.0,
    "firm": 2.0,
    "brand": 4.0,
}
KEYWORD_FIELDS = (*(name for name, spec in FIELDS.items() if spec.type == "keyword"), "year")
# (field, snippet or whole value) of the highlights, as on the embedded index.
HIGHLIGHTED = (("title", False), ("summary", True), ("text", True), ("products", False), ("parties", False))
_UNINDEXED_KEYWORD = {"type": "keyword", "index": False, "doc_values": False}


def analysis_settings() -> dict[str, Any]:
    return {
        "tokenizer": {"ipsentry_tokens": {"type": "pattern", "pattern": _TOKEN_PATTERN, "group": 0}},
        "analyzer": {
            ANALYZER: {
                "type": "custom",
                "tokenizer": "ipsentry_tokens",
                "filter": ["lowercase", "asciifolding", "porter_stem"],
            }
        },
    }


def document_properties() -> dict[str, Any]:
    """The fields of a stored document; the saved-search index mirrors them so that its
    percolator queries are parsed exactly as searches are."""
    highlighted = {name for name, _ in HIGHLIGHTED}
    properties: dict[str, Any] = {"id": {"type": "keyword"}}
    for name in TEXT_FIELDS:
        text: dict[str, Any] = {"type": "text", "analyzer": ANALYZER}
        if name in highlighted:
            # Offsets in the postings let the unified highlighter skip re-analysing the text.
            text["index_options"] = "offsets"
        properties[name] = text
    properties.update({name: {"type": "keyword"} for name in KEYWORD_FIELDS})
    properties.update(
        {
            "published": {"type": "date", "format": "strict_date"},
            "sort_date": {"type": "date", "format": "strict_date"},
            # When the source content or the tags last changed (what the nightly sweep reads),
            # and when the row was last written (what reindex() catches up on).
            "changed_at": {"type": "date"},
            "indexed_at": {"type": "date"},
            "content_hash": _UNINDEXED_KEYWORD,
            "tags_hash": _UNINDEXED_KEYWORD,
            "row_hash": _UNINDEXED_KEYWORD,
            # The whole Document, returned as stored; never searched.
            "doc": {"type": "object", "enabled": False},
        }
    )
    return properties


def index_settings(*, shards: int = 1) -> dict[str, Any]:
    # One replica where there is a second node to hold it; none on a single node (green, not
    # yellow, in development and CI).
    return {"number_of_shards": shards, "auto_expand_replicas": "0-1", "analysis": analysis_settings()}


def documents_index_body(*, shards: int = 1) -> dict[str, Any]:
    return {
        "settings": index_settings(shards=shards),
        "mappings": {
            "dynamic": "strict",
            "_meta": {"ipsentry_mapping": MAPPING_VERSION},
            "properties": document_properties(),
        },
    }


# --------------------------------------------------------------------------- the stored document

_RESERVED = re.compile("[\ue000-\uf8ff]")  # private use: our highlight markers, never real text
_OPEN, _CLOSE = "\ue000", "\ue001"


def clean_text(text: str) -> str:
    """Text as it is indexed and queried: NFKC, without the highlight marker characters."""
    return _RESERVED.sub("", unicodedata.normalize("NFKC", text))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Fingerprints:
    """What tells created / updated / unchanged apart, as on the embedded index: the source
    content, the tags, and everything but the fetch time (a changed url is rewritten silently)."""

    content: str
    tags: str
    row: str

    @classmethod
    def of(cls, document: Document) -> Fingerprints:
        return cls(
            content=document.content_fingerprint(),
            tags=_digest(document.model_dump_json(include={"matches", "severity", "industries"})),
            row=_digest(document.model_dump_json(exclude={"fetched"})),
        )


def _sort_date(document: Document) -> date:
    return document.published or document.filed or document.fetched.date()


def indexed_fields(document: Document) -> dict[str, Any]:
    """The searchable fields of a document (also what a percolated document consists of)."""
    texts = text_field_values(document)
    fields: dict[str, Any] = {"id": document.id}
    for name in TEXT_FIELDS:
        fields[name] = [clean_text(t) for t in texts[name] if t]
    fields.update(keyword_values(document))
    fields["year"] = [str(document.published.year)] if document.published else []
    fields["published"] = document.published.isoformat() if document.published else None
    fields["sort_date"] = _sort_date(document).isoformat()
    return fields


def document_source(
    document: Document, fingerprints: Fingerprints, *, changed_at: datetime, indexed_at: datetime
) -> dict[str, Any]:
    return {
        **indexed_fields(document),
        "changed_at": changed_at.isoformat(),
        "indexed_at": indexed_at.isoformat(),
        "content_hash": fingerprints.content,
        "tags_hash": fingerprints.tags,
        "row_hash": fingerprints.row,
        "doc": document.model_dump(mode="json"),
    }


# --------------------------------------------------------------------------- query compilation


def _phrase(field_name: str, text: str, boost: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"query": clean_text(text)}
    if boost is not None:
        body["boost"] = boost
    return {"match_phrase": {field_name: body}}


def _text_fields(leaf: TextLeaf) -> tuple[str, ...]:
    if isinstance(leaf, FieldText):
        return (FIELD_TEXT_TARGET[leaf.field],)
    return FREE_TEXT_FIELDS


def _any_of(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


def _leaf(node: Node) -> dict[str, Any]:
    match node:
        case Word(text) | Phrase(text) | FieldText(_, text):
            return _any_of([_phrase(name, text) for name in _text_fields(node)])
        case FieldValue(field_name, value):
            return {"term": {field_name: value}}
        case DateRange(_, start, end):
            bounds = {}
            if start is not None:
                bounds["gte"] = start.isoformat()
            if end is not None:
                bounds["lte"] = end.isoformat()
            return {"range": {"published": bounds}}
    raise TypeError(f"not a leaf: {node!r}")


def is_leaf(node: Node) -> bool:
    return isinstance(node, Word | Phrase | FieldText | FieldValue | DateRange)


def clause_name(node: Node) -> str:
    """The name a clause is reported by: its canonical query text (``kind:trademark``, ``华为``)."""
    return format_query(node)


def compile_query(node: Node, *, named: bool = False) -> dict[str, Any]:
    """The query DSL for a tree: membership only (boosts are for scoring, see
    :func:`scoring_clauses`).  ``named`` gives every positive leaf a ``_name`` (its
    :func:`clause_name`) so that a hit's ``matched_queries`` says which clauses held."""

    def compile_node(item: Node, positive: bool) -> dict[str, Any]:
        if is_leaf(item):
            query = _leaf(item)
            if named and positive:
                return {"bool": {"filter": [query], "_name": clause_name(item)}}
            return query
        match item:
            case MatchAll():
                return {"match_all": {}}
            case Not(inner):
                return {"bool": {"must_not": [compile_node(inner, False)]}}
            case And(items):
                # NOT items become must_not of this bool: no extra level, and a bool of only
                # must_not still matches everything else, which is what "NOT x" means.
                must = [compile_node(i, positive) for i in items if not isinstance(i, Not)]
                must_not = [compile_node(i.item, False) for i in items if isinstance(i, Not)]
                body: dict[str, Any] = {}
                if must:
                    body["filter"] = must
                if must_not:
                    body["must_not"] = must_not
                return {"bool": body}
            case Or(items):
                return {
                    "bool": {"should": [compile_node(i, positive) for i in items], "minimum_should_match": 1}
                }
        raise TypeError(f"not a query node: {item!r}")

    return compile_node(node, True)


def named_clauses(tree: Node) -> list[tuple[str, Node]]:
    """The clauses a match is explained by: the leaves not under a NOT, once each, in query
    order; a query without any (``NOT kind:itc337``) is explained by itself as a whole."""
    found: dict[str, Node] = {}

    def walk(node: Node) -> None:
        if is_leaf(node):
            found.setdefault(clause_name(node), node)
        elif isinstance(node, And | Or):
            for item in node.items:
                walk(item)

    walk(tree)
    if not found:
        return [(clause_name(tree), tree)]
    return list(found.items())


def necessary_clause_names(node: Node) -> set[str]:
    """The named clauses every match of ``node`` satisfies (those ANDed at the top, and those
    common to all branches of an OR): a match needs no test to be explained by them."""
    if is_leaf(node):
        return {clause_name(node)}
    match node:
        case And(items):
            return set().union(*(necessary_clause_names(i) for i in items if not isinstance(i, Not)))
        case Or(items):
            return set.intersection(*(necessary_clause_names(i) for i in items))
    return set()  # MatchAll, Not


def scoring_clauses(tree: Node) -> list[dict[str, Any]]:
    """What relevance means whatever the query's shape (as on the embedded index): the positive
    text clauses, one weighted phrase per field so that scores add up across fields."""
    return [
        _phrase(name, leaf.text, FIELD_WEIGHTS[name])
        for leaf in positive_text_leaves(tree)
        for name in _text_fields(leaf)
    ]


def request_filters(request: SearchRequest) -> list[dict[str, Any]]:
    """The structured filters of a request, normalised like the query language's values."""
    filters: list[dict[str, Any]] = [{"terms": {name: values}} for name, values in keyword_filters(request)]
    if request.document_ids:
        filters.append({"terms": {"id": list(request.document_ids)}})
    if request.published_from or request.published_to:
        filters.append(_leaf(DateRange("published", request.published_from, request.published_to)))
    return filters


# --------------------------------------------------------------------------- the search body

# Elasticsearch and OpenSearch refuse from + size beyond this (index.max_result_window).
MAX_RESULT_WINDOW = 10_000
# Facets list at most this many values per field (the embedded index lists every value).
FACET_SIZE = 1_000
SNIPPET_CHARS = 200


def check_request(request: SearchRequest) -> None:
    check_basics(request)
    if request.offset + request.limit > MAX_RESULT_WINDOW:
        raise ValueError(
            f"offset + limit may not exceed {MAX_RESULT_WINDOW:,} on a cluster index; "
            "narrow the query or read everything with iter_documents()"
        )


def _sort(request: SearchRequest, scored: bool) -> list[dict[str, str]]:
    if request.sort == "relevance" and scored:
        return [{"_score": "desc"}, {"sort_date": "desc"}, {"id": "asc"}]
    direction = "asc" if request.sort == "date_asc" else "desc"
    return [{"sort_date": direction}, {"id": "asc"}]


def search_body(request: SearchRequest, tree: Node) -> dict[str, Any]:
    """The body of one search: membership and filters in filter context, the positive text as
    optional scoring clauses (so a document matching through structure alone scores 0)."""
    scoring = scoring_clauses(tree)
    query: dict[str, Any] = {"bool": {"filter": [compile_query(tree), *request_filters(request)]}}
    if scoring:
        query["bool"]["should"] = scoring
    highlight = request.highlight and bool(scoring) and request.limit > 0
    body: dict[str, Any] = {
        "query": query,
        "from": request.offset,
        "size": request.limit,
        "track_total_hits": True,
        "sort": _sort(request, bool(scoring)),
        # Scores on date-sorted pages too, as the embedded index gives them.
        "track_scores": bool(scoring),
        "_source": ["doc", *(name for name, _ in HIGHLIGHTED)] if highlight else ["doc"],
    }
    facets = list(dict.fromkeys(request.facets))
    if facets:
        body["aggs"] = {
            name: {
                "terms": {"field": name, "size": FACET_SIZE, "order": [{"_count": "desc"}, {"_key": "asc"}]}
            }
            for name in facets
        }
    if highlight:
        body["highlight"] = {
            "type": "unified",
            # Markers rather than HTML, and no encoder: the text is escaped here, exactly as on
            # the embedded index, and only <mark> survives as markup.
            "pre_tags": [_OPEN],
            "post_tags": [_CLOSE],
            "require_field_match": True,
            "highlight_query": {"bool": {"should": scoring}},
            "fields": {
                name: {"number_of_fragments": 1, "fragment_size": SNIPPET_CHARS, "no_match_size": 0}
                if snippet
                else {"number_of_fragments": 0}
                for name, snippet in HIGHLIGHTED
            },
        }
    return body


# --------------------------------------------------------------------------- the response


def _tokens(text: str) -> list[str]:
    """The tokens of a text, case- and accent-folded (stems are not computed here)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return TOKEN.findall("".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _phrase_pieces(units: list[list[str]], phrases: list[list[str]]) -> list[tuple[int, int]]:
    """Cuts a run of adjacent marked units (each a list of tokens) into phrase occurrences.
    First the exact occurrences of a query phrase, longest first, left to right; what is left
    is cut by token count alone (a phrase may match through its stem: "exclusion orders")."""
    pieces: list[tuple[int, int]] = []

    def by_count(start: int, stop: int) -> None:
        lengths = {len(p) for p in phrases if len(p) > 1}
        while start < stop:
            end = next(
                (e for e in range(stop, start + 1, -1) if sum(len(u) for u in units[start:e]) in lengths),
                start + 1,
            )
            pieces.append((start, end))
            start = end

    loose = 0
    position = 0
    while position < len(units):
        exact = next(
            (
                end
                for end in range(len(units), position + 1, -1)
                if [t for u in units[position:end] for t in u] in phrases
            ),
            None,
        )
        if exact is None:
            position += 1
            continue
        by_count(loose, position)
        pieces.append((position, exact))
        position = loose = exact
    by_count(loose, len(units))
    return pieces


def merge_phrase_marks(fragment: str, phrases: list[list[str]]) -> str:
    """Joins the per-token marks of one phrase occurrence into one mark, as FTS5 marks a phrase
    (``<mark>Limited Exclusion Order</mark>``, ``<mark>英诺</mark>``) where Lucene marks each
    token; separate words stay marked one by one, as on the embedded index.  ``phrases`` are
    the token lists of the query's positive text clauses."""
    # Alternating text and marks: text, mark, text, mark, …, text.
    parts = re.split(f"({_OPEN}[^{_CLOSE}]*{_CLOSE})", fragment)
    out = [parts[0]]
    index = 1
    while index < len(parts):
        # A run: marks with nothing but separators (no token) between them.
        run, seps = [parts[index]], []
        while index + 2 < len(parts) and not TOKEN.search(parts[index + 1]):
            seps.append(parts[index + 1])
            run.append(parts[index + 2])
            index += 2
        for number, (start, stop) in enumerate(_phrase_pieces([_tokens(m[1:-1]) for m in run], phrases)):
            if number:
                out.append(seps[start - 1])
            inner = "".join(run[i][1:-1] + (seps[i] if i < stop - 1 else "") for i in range(start, stop))
            out.append(_OPEN + inner + _CLOSE)
        out.append(parts[index + 1])
        index += 2
    return "".join(out)


def _to_html(fragment: str) -> str:
    return html.escape(fragment).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def _strip_marks(fragment: str) -> str:
    return fragment.replace(_OPEN, "").replace(_CLOSE, "")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]


def _snippet(fragment: str, values: list[str]) -> str:
    """A snippet with an ellipsis where it cuts its value short, as FTS5's snippet() does."""
    plain = _strip_marks(fragment).strip()
    for value in values:
        at = value.find(plain)
        if at >= 0:
            return ("…" if at > 0 else "") + fragment.strip() + ("…" if at + len(plain) < len(value) else "")
    return fragment


def _whole(fragments: list[str], values: list[str]) -> str:
    """Every value of a whole-value field, each marked where it matched, joined by "; " as the
    embedded index shows a multi-valued column (the cluster returns matched values only)."""
    marked = {_strip_marks(fragment): fragment for fragment in fragments}
    return "; ".join(marked.get(value, value) for value in values)


def hit_highlights(hit: Mapping[str, Any], phrases: list[list[str]]) -> dict[str, str]:
    found = hit.get("highlight") or {}
    source = hit.get("_source") or {}
    highlights: dict[str, str] = {}
    for name, snippet in HIGHLIGHTED:
        fragments = [merge_phrase_marks(f, phrases) for f in found.get(name, []) if _OPEN in f]
        if not fragments:
            continue
        values = _as_list(source.get(name))
        text = _snippet(fragments[0], values) if snippet else _whole(fragments, values)
        highlights[name] = _to_html(text)
    return highlights


def search_result(response: Mapping[str, Any], request: SearchRequest, tree: Node) -> SearchResult:
    phrases = [_tokens(clean_text(leaf.text)) for leaf in positive_text_leaves(tree)]
    hits = []
    for hit in response["hits"]["hits"]:
        score = hit.get("_score")
        hits.append(
            SearchHit(
                document=Document.model_validate(hit["_source"]["doc"]),
                score=float(score) if score is not None else 0.0,
                highlights=hit_highlights(hit, phrases),
            )
        )
    facets: dict[str, dict[str, int]] = {}
    aggregations = response.get("aggregations") or {}
    for name in dict.fromkeys(request.facets):
        buckets = aggregations.get(name, {}).get("buckets", [])
        counts = {str(b.get("key_as_string", b["key"])): int(b["doc_count"]) for b in buckets}
        facets[name] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return SearchResult(total=int(response["hits"]["total"]["value"]), hits=hits, facets=facets)


# --------------------------------------------------------------------------- the index


class BulkUpsertError(RuntimeError):
    """Some documents of an upsert could not be written (after retries).  The others were:
    ``result`` reports them; ``errors`` maps each failed document id to the cluster's reason."""

    def __init__(self, errors: dict[str, str], result: UpsertResult) -> None:
        sample = "; ".join(f"{doc_id}: {reason}" for doc_id, reason in list(errors.items())[:3])
        super().__init__(f"{len(errors)} document(s) not indexed: {sample}")
        self.errors = errors
        self.result = result


# Per-item statuses worth another try: overload (429) and a shard briefly unavailable.
RETRYABLE = frozenset({429, 502, 503, 504})
CONFLICT = 409
BULK_ACTIONS = 1_000  # actions per bulk request

Write = tuple[dict[str, Any], dict[str, Any]]  # (bulk action line, document source)


def response_body(response: Any) -> Any:
    """The JSON of a response: elasticsearch-py wraps it (``.body``), opensearch-py does not."""
    return getattr(response, "body", response)


def bulk_write(
    client: Any, writes: Mapping[str, Write], *, refresh: str = "false"
) -> dict[str, tuple[int, str]]:
    """Sends the writes (by document id) in bulk requests; returns the ids the cluster refused,
    with status and reason.  A request that fails as a whole raises (the client has already
    retried it on timeouts and dropped connections)."""
    failed: dict[str, tuple[int, str]] = {}
    items = list(writes.values())
    for start in range(0, len(items), BULK_ACTIONS):
        operations = [line for write in items[start : start + BULK_ACTIONS] for line in write]
        response = response_body(client.bulk(body=operations, refresh=refresh))
        if not response.get("errors"):
            continue
        for item in response["items"]:
            result = next(iter(item.values()))
            if result.get("status", 200) >= 300:
                error = result.get("error")
                reason = (
                    f"{error.get('type')}: {error.get('reason')}" if isinstance(error, dict) else str(error)
                )
                failed[result["_id"]] = (int(result["status"]), reason)
    return failed


def _mget_body(ids: Sequence[str], source: list[str]) -> dict[str, Any]:
    # _source per doc in the body: the two clients spell the query parameter differently.
    return {"docs": [{"_id": doc_id, "_source": source} for doc_id in ids]}


@dataclass
class _Stored:
    """What the index holds for an id, as the upsert's classification needs it."""

    fingerprints: Fingerprints | None  # None: absent
    changed_at: datetime | None = None
    seq_no: int | None = None
    primary_term: int | None = None


@dataclass
class _Plan:
    """The classification of a batch: the outcome of each occurrence (in order) and, per id,
    the one write that brings the index to the last occurrence."""

    outcomes: list[tuple[str, Literal["created", "updated", "unchanged"]]] = field(default_factory=list)
    writes: dict[str, Write] = field(default_factory=dict)


def ensure_alias(
    client: Any, prefix: str, what: str, body: dict[str, Any], *, api_error: type[Exception]
) -> str:
    """The concrete index behind ``prefix-what``, creating version 1 with the alias when there is
    none.  Two processes starting at once both try; the loser finds the winner's index."""
    alias = alias_name(prefix, what)
    if client.indices.exists_alias(name=alias):
        return current_index(client, alias)
    try:
        client.indices.create(index=version_name(prefix, what, 1), body={**body, "aliases": {alias: {}}})
    except api_error as error:
        if getattr(error, "status_code", None) != 400 or "already_exists" not in str(error):
            raise
    return current_index(client, alias)


def current_index(client: Any, alias: str) -> str:
    indices = sorted(response_body(client.indices.get_alias(name=alias)))
    if len(indices) != 1:
        raise RuntimeError(f"alias {alias} points at {indices}; expected exactly one index")
    return indices[0]


class ClusterDocumentIndex:
    """:class:`~ipsentry.search.index.DocumentIndex` on Elasticsearch or OpenSearch, behind the
    alias ``<prefix>-documents`` (see ``reindex.py`` for new versions).

    ``refresh=True`` makes each upsert searchable when it returns, as on the embedded index
    (a crawl batch is then matched at once); bulk loads pass ``False`` and call
    :meth:`refresh` at the end."""

    backend = "cluster"
    # The client library's error for a refused request (subclasses name theirs).
    api_error: type[Exception] = Exception

    def __init__(self, client: Any, *, prefix: str = "ipsentry", refresh: bool = True) -> None:
        self.client = client
        self.prefix = check_prefix(prefix)
        self.alias = alias_name(prefix, DOCUMENTS)
        self._refresh = "true" if refresh else "false"
        self.index_name = ensure_alias(
            client, prefix, DOCUMENTS, documents_index_body(), api_error=self.api_error
        )
        self._check_mapping_version()

    def _check_mapping_version(self) -> None:
        mapping = response_body(self.client.indices.get_mapping(index=self.index_name))
        meta = mapping[self.index_name]["mappings"].get("_meta", {})
        version = int(meta.get("ipsentry_mapping", 0))
        if version > MAPPING_VERSION:
            raise RuntimeError(
                f"{self.index_name} has mapping version {version}; this ipsentry knows {MAPPING_VERSION}"
            )
        if version < MAPPING_VERSION:
            log.warning(
                "%s has mapping version %s, this ipsentry writes %s: run `ipsentry reindex`",
                self.index_name,
                version,
                MAPPING_VERSION,
            )

    # ----------------------------------------------------------------- writes

    def _stored(self, ids: Sequence[str]) -> dict[str, _Stored]:
        if not ids:
            return {}
        response = response_body(
            self.client.mget(
                index=self.alias,
                body=_mget_body(ids, ["content_hash", "tags_hash", "row_hash", "changed_at"]),
            )
        )
        stored: dict[str, _Stored] = {}
        for item in response["docs"]:
            if not item.get("found"):
                stored[item["_id"]] = _Stored(None)
                continue
            source = item["_source"]
            stored[item["_id"]] = _Stored(
                Fingerprints(source["content_hash"], source["tags_hash"], source["row_hash"]),
                datetime.fromisoformat(source["changed_at"]),
                item.get("_seq_no"),
                item.get("_primary_term"),
            )
        return stored

    def _plan(self, documents: Sequence[Document], now: datetime) -> _Plan:
        """Classifies each occurrence against what is stored, then against the earlier
        occurrences of the same id in the batch (the last one wins, as a re-crawl would)."""
        before = self._stored(list(dict.fromkeys(d.id for d in documents)))
        plan = _Plan()
        latest: dict[str, tuple[Document, Fingerprints, bool]] = {}  # id -> (doc, prints, changed)
        for document in documents:
            prints = Fingerprints.of(document)
            previous = latest.get(document.id)
            known = previous[1] if previous else before[document.id].fingerprints
            changed = previous[2] if previous else False
            if known is None:
                plan.outcomes.append((document.id, "created"))
                changed = True
            elif (known.content, known.tags) != (prints.content, prints.tags):
                plan.outcomes.append((document.id, "updated"))
                changed = True
            else:
                # Unchanged for alerting; a differing row (a parser fix of e.g. the url) is
                # still written below, without reporting it.
                plan.outcomes.append((document.id, "unchanged"))
            latest[document.id] = (document, prints, changed)
        for doc_id, (document, prints, changed) in latest.items():
            stored = before[doc_id]
            if stored.fingerprints is not None and stored.fingerprints.row == prints.row:
                continue
            changed_at = now if changed or stored.changed_at is None else stored.changed_at
            source = document_source(document, prints, changed_at=changed_at, indexed_at=now)
            if stored.fingerprints is None:
                action = {"create": {"_index": self.alias, "_id": doc_id}}
            else:
                # Optimistic concurrency: another writer in between makes this a 409 and the
                # document is classified again against what that writer stored.
                action = {
                    "index": {
                        "_index": self.alias,
                        "_id": doc_id,
                        "if_seq_no": stored.seq_no,
                        "if_primary_term": stored.primary_term,
                    }
                }
            plan.writes[doc_id] = (action, source)
        return plan

    def upsert(self, documents: Sequence[Document], *, attempts: int = 5) -> UpsertResult:
        """Writes the documents in bulk.  An item refused for a conflict (another writer got
        there first) or for overload is classified again and retried with backoff, up to
        ``attempts`` times; items that still fail, or fail for good (a mapping error), raise
        :class:`BulkUpsertError` after the others are written."""
        outcomes: dict[str, list[str]] = {}
        permanent: dict[str, str] = {}
        transient: dict[str, str] = {}
        pending = list(documents)
        for attempt in range(attempts):
            if attempt:
                time.sleep(min(10.0, 0.25 * 2**attempt))
            plan = self._plan(pending, utcnow())
            failed = bulk_write(self.client, plan.writes, refresh=self._refresh)
            transient = {}
            for doc_id, (status, reason) in failed.items():
                if status == CONFLICT or status in RETRYABLE:
                    transient[doc_id] = reason
                else:
                    permanent[doc_id] = reason
            for doc_id, outcome in plan.outcomes:
                if doc_id not in failed:
                    outcomes.setdefault(doc_id, []).append(outcome)
            pending = [d for d in pending if d.id in transient]
            if not pending:
                break
        # One entry per occurrence, in the order given, as on the embedded index.
        result = UpsertResult()
        cursors = {doc_id: iter(items) for doc_id, items in outcomes.items()}
        for document in documents:
            outcome = next(cursors[document.id], None) if document.id in cursors else None
            if outcome is not None:
                getattr(result, outcome).append(document.id)
        if permanent or transient:
            raise BulkUpsertError({**permanent, **transient}, result)
        return result

    def refresh(self) -> None:
        self.client.indices.refresh(index=self.alias)

    # ----------------------------------------------------------------- reads

    def get(self, document_id: str) -> Document | None:
        found = self.get_many([document_id])
        return found[0] if found else None

    def get_many(self, document_ids: Sequence[str]) -> list[Document]:
        """The stored documents among ``document_ids``, in the order asked (missing ones skipped)."""
        wanted = list(dict.fromkeys(document_ids))
        if not wanted:
            return []
        response = response_body(self.client.mget(index=self.alias, body=_mget_body(wanted, ["doc"])))
        found = {item["_id"]: item["_source"]["doc"] for item in response["docs"] if item.get("found")}
        return [Document.model_validate(found[i]) for i in wanted if i in found]

    def iter_documents(self, batch_size: int = 500) -> Iterator[list[Document]]:
        # search_after on the id: each page is a fresh request, so nothing stays open while the
        # caller works (and no scroll context expires under a slow consumer).
        size = max(1, min(batch_size, MAX_RESULT_WINDOW))
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {
                "query": {"match_all": {}},
                "size": size,
                "sort": [{"id": "asc"}],
                "_source": ["doc"],
            }
            if after is not None:
                body["search_after"] = after
            hits = response_body(self.client.search(index=self.alias, body=body))["hits"]["hits"]
            if not hits:
                return
            after = hits[-1]["sort"]
            yield [Document.model_validate(hit["_source"]["doc"]) for hit in hits]

    def count(self) -> int:
        return int(response_body(self.client.count(index=self.alias))["count"])

    def search(self, request: SearchRequest) -> SearchResult:
        check_request(request)
        tree = parse_query(request.query)
        response = response_body(self.client.search(index=self.alias, body=search_body(request, tree)))
        return search_result(response, request, tree)

    # ----------------------------------------------------------------- lifecycle

    def drop(self) -> None:
        """Deletes every index of this prefix (documents and saved searches, all versions):
        for tests and for retiring a deployment.  Names are listed explicitly, since clusters
        may refuse wildcard deletes (``action.destructive_requires_name``)."""
        names: list[str] = []
        for what in (DOCUMENTS, SAVED_SEARCHES):
            pattern = f"{self.prefix}-{what}-v*"
            names.extend(response_body(self.client.indices.get(index=pattern)))
        if names:
            self.client.indices.delete(index=",".join(sorted(names)), ignore_unavailable=True)

    def close(self) -> None:
        self.client.close()


def utc_datetime(value: datetime) -> datetime:
    """Datetimes compare and serialise as UTC (a naive one is taken to be UTC already)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
