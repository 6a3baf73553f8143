"""The document index behind one interface.  Backends: embedded SQLite FTS5 (default) or
tantivy (embedded, for large collections), Elasticsearch and OpenSearch (cluster).  Every
backend answers the same query the same way; the conformance tests check that."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from ipsentry.core.documents import Document

FACET_FIELDS = ("kind", "source", "stage", "jurisdiction", "authority", "enterprise", "year")


@dataclass(frozen=True)
class SearchRequest:
    """A search: the query-language text plus structured filters (all optional, ANDed)."""

    query: str = ""
    kinds: Sequence[str] = ()
    sources: Sequence[str] = ()
    stages: Sequence[str] = ()
    jurisdictions: Sequence[str] = ()
    enterprise_ids: Sequence[int] = ()
    document_ids: Sequence[str] = ()  # restrict to these (saved-search matching of a batch)
    published_from: date | None = None
    published_to: date | None = None
    sort: Literal["relevance", "date_desc", "date_asc"] = "relevance"
    offset: int = 0
    limit: int = 20
    facets: Sequence[str] = ()  # names from FACET_FIELDS
    highlight: bool = True


@dataclass
class SearchHit:
    document: Document
    score: float
    # field name -> snippet with matched terms wrapped in <mark>…</mark> (HTML-escaped otherwise)
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResult:
    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class UpsertResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def check_request(request: SearchRequest) -> None:
    """Refuses what no backend can answer: an unknown facet, a negative offset or limit."""
    unknown = [name for name in request.facets if name not in FACET_FIELDS]
    if unknown:
        raise ValueError(f"unknown facet(s) {', '.join(unknown)}; known: {', '.join(FACET_FIELDS)}")
    if request.offset < 0 or request.limit < 0:
        raise ValueError("offset and limit must not be negative")


def keyword_filters(request: SearchRequest) -> list[tuple[str, list[str]]]:
    """(field, accepted values) of a request's keyword filters, normalised like the query
    language's values; ``document_ids`` are not among them (each backend has its own id)."""
    candidates = (
        ("kind", [v.lower() for v in request.kinds]),
        ("source", [v.lower() for v in request.sources]),
        ("stage", [v.lower() for v in request.stages]),
        ("jurisdiction", [v.upper() for v in request.jurisdictions]),
        ("enterprise", [str(int(v)) for v in request.enterprise_ids]),
    )
    return [(field_name, values) for field_name, values in candidates if values]


class QueryError(ValueError):
    """The query text does not parse; the message says where and why (API answers 400)."""


class DocumentIndex(Protocol):
    def upsert(self, documents: Sequence[Document]) -> UpsertResult:
        """Insert or replace by ``Document.id``; idempotent.  A document whose source content
        (``content_fingerprint``) and tags are unchanged is reported as unchanged."""
        ...

    def get(self, document_id: str) -> Document | None: ...

    def get_many(self, document_ids: Sequence[str]) -> list[Document]: ...

    def search(self, request: SearchRequest) -> SearchResult: ...

    def iter_documents(self, batch_size: int = 500) -> Iterator[list[Document]]:
        """Every stored document, in batches (retro-matching, reindexing)."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...
