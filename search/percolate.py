"""Saved searches matched against crawled batches: which stored queries does each new document
satisfy, and through which of their clauses.

On Elasticsearch / OpenSearch (:class:`PercolatorMatcher`) each saved search is a percolator
query in an index of its own, ``<prefix>-saved-searches-vN`` behind the alias
``<prefix>-saved-searches``, whose mapping mirrors the documents index (same fields, same
analysis), so a stored query means exactly what the same search means.  Its metadata (owner,
risk kind, active flag) filters which queries a batch is percolated against.  A batch is
percolated at once (``documents[]``) and each hit is mapped back to its documents through
``_percolator_document_slot``.

Which clause matched: OpenSearch 2.x does not report named queries of percolator hits (checked
on 2.19), so the clauses are found another way, the same on every backend.  Clauses ANDed at the
top hold for every match and need no test (:class:`ClausePlan`); the optional ones (under an OR)
are stored as percolator queries of their own (role ``clause``, named by their query text), and
the documents a batch matched are percolated once more against the optional clauses of the
searches they matched.  The nightly :meth:`PercolatorMatcher.sweep` re-runs every saved search as a
search over the documents changed in a window, with ``_name`` on its clauses (``matched_queries``
says which held): it catches what percolating the crawled batch could not see: documents
changed after they were percolated (retro-matching adds an enterprise to old documents) and
searches saved after the document arrived.

On the embedded index (:class:`IndexQueryMatcher`) the same questions are answered by running
each saved query restricted to the batch's ids; its registry lives in the process's memory.
Alerting (``alerting/saved_searches.py``) keeps either registry in step with the subscriptions
table and matches each batch once for every search subscription.

A match is ``(subscription_id, [clause names])``; a clause name is the clause's canonical query
text (``kind:trademark``, ``华为``, ``published:2024-01-01..2024-12-31``).  Subscription ids are
strings here (a database id is registered as its decimal text).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar, Protocol

from ipsentry.core.documents import Document, RiskKind
from ipsentry.search.cluster_common import (
    MAX_RESULT_WINDOW,
    SAVED_SEARCHES,
    ClusterDocumentIndex,
    alias_name,
    bulk_write,
    compile_query,
    document_properties,
    ensure_alias,
    index_settings,
    indexed_fields,
    named_clauses,
    necessary_clause_names,
    response_body,
    utc_datetime,
)
from ipsentry.search.index import DocumentIndex, QueryError, SearchRequest
from ipsentry.search.query import Node, parse_query

log = logging.getLogger(__name__)

BatchMatches = dict[str, list[tuple[str, list[str]]]]
"""document id -> [(subscription id, names of the clauses that matched)], by subscription id."""

PERCOLATE_DOCUMENTS = 1_000  # documents per percolate request
# Percolation verifies candidate queries shard by shard: more shards spread a batch over the
# nodes of a cluster.  On one 2-core node a second shard measured no faster (benchmarks/README.md).
SAVED_SEARCH_SHARDS = 1
SWEEP_SEARCHES = 100  # saved searches per msearch request of the sweep
REGISTER_SEARCHES = 1_000  # saved searches per clean-up request when many are registered
SAVED_MAPPING_VERSION = 1


@dataclass(frozen=True)
class SavedSearch:
    subscription_id: str
    query: str
    owner: str | None = None
    kind: str | None = None  # a risk kind: the search only sees documents of that kind
    active: bool = True


class SavedSearchMatcher(Protocol):
    # True when the registry is shared by every process (the cluster's index); False when it
    # lives in this process's memory and must be brought in step with the subscriptions there.
    shared: ClassVar[bool]

    def register(
        self,
        subscription_id: int | str,
        query: str,
        *,
        owner: str | None = None,
        kind: str | None = None,
        active: bool = True,
    ) -> None:
        """Stores (or replaces) a saved search; raises ``QueryError`` for a bad query."""
        ...

    def register_many(self, searches: Iterable[SavedSearch]) -> dict[str, str]:
        """Stores (or replaces) many saved searches at once; returns those refused (a query
        that does not parse, a bad kind, an entry the cluster refused) with the reason.  A
        refused search keeps what was stored for it before, if anything."""
        ...

    def remove(self, subscription_id: int | str) -> bool:
        """Forgets a saved search; False when there was none."""
        ...

    def saved_searches(self) -> list[SavedSearch]: ...

    def match_batch(self, documents: Sequence[Document], *, owners: Sequence[str] = ()) -> BatchMatches:
        """Which active saved searches (of these owners, if any are given) each document
        satisfies, and through which clauses."""
        ...

    def sweep(self, since: datetime, until: datetime | None = None) -> BatchMatches:
        """Every active saved search re-run over the documents changed in [since, until)."""
        ...


def _checked(subscription_id: int | str, query: str, kind: str | None) -> tuple[str, Node]:
    sid = str(subscription_id).strip()
    if not sid:
        raise ValueError("a saved search needs a subscription id")
    if kind is not None:
        RiskKind(kind)  # a ValueError names the bad kind
    return sid, parse_query(query)


def _sid_order(sid: str) -> tuple[bool, int, str]:
    """Database ids in numeric order, other ids after them in text order."""
    return (not sid.isdigit(), int(sid) if sid.isdigit() else 0, sid)


def _ordered(found: Mapping[str, Mapping[str, list[str]]]) -> BatchMatches:
    return {
        doc_id: [(sid, clauses) for sid, clauses in sorted(by_sid.items(), key=lambda i: _sid_order(i[0]))]
        for doc_id, by_sid in found.items()
    }


@dataclass(frozen=True)
class ClausePlan:
    """How a saved search's matches are explained: its named clauses in query order, those
    every match satisfies (no test needed), and the optional ones (under an OR) that are tested
    per document.  A one-clause query, or one without positive clauses (``NOT kind:itc337``),
    is explained by the query as a whole."""

    names: tuple[str, ...]
    always: frozenset[str]
    optional: tuple[tuple[str, Node], ...]

    @classmethod
    def of(cls, tree: Node) -> ClausePlan:
        clauses = named_clauses(tree)
        if len(clauses) == 1 and clauses[0][1] is tree:
            return cls((clauses[0][0],), frozenset({clauses[0][0]}), ())
        always = necessary_clause_names(tree)
        return cls(
            tuple(name for name, _ in clauses),
            frozenset(always),
            tuple((name, node) for name, node in clauses if name not in always),
        )

    def explain(self, held: set[str]) -> list[str]:
        return [name for name in self.names if name in self.always or name in held]


# --------------------------------------------------------------------------- the cluster


def saved_searches_index_body() -> dict[str, Any]:
    """The documents' fields (percolator queries are parsed against them) plus the query and
    the metadata the matcher filters on."""
    keyword = {"type": "keyword"}
    return {
        "settings": index_settings(shards=SAVED_SEARCH_SHARDS),
        "mappings": {
            "dynamic": "strict",
            "_meta": {"ipsentry_saved_searches": SAVED_MAPPING_VERSION},
            "properties": {
                **document_properties(),
                "query": {"type": "percolator"},
                "saved": {
                    "properties": {
                        "key": keyword,  # the _id, sortable for search_after
                        "subscription_id": keyword,
                        "owner": keyword,
                        "kind": keyword,
                        "active": {"type": "boolean"},
                        "role": keyword,  # "query" (the whole search) or "clause" (one clause)
                        "clause": keyword,
                        "position": {"type": "integer"},
                        "query_text": {"type": "keyword", "index": False, "doc_values": False},
                    }
                },
            },
        },
    }


def saved_search_entries(search: SavedSearch) -> dict[str, dict[str, Any]]:
    """The percolator entries of a saved search, by id: the whole query, and each of its
    optional clauses (see :class:`ClausePlan`; the others need no test)."""
    tree = parse_query(search.query)
    saved = {
        "subscription_id": search.subscription_id,
        "owner": search.owner,
        "kind": search.kind,
        "active": search.active,
        "query_text": search.query,
    }
    key = search.subscription_id
    entries = {
        key: {"saved": {**saved, "key": key, "role": "query", "position": 0}, "query": compile_query(tree)}
    }
    for position, (name, node) in enumerate(ClausePlan.of(tree).optional, start=1):
        key = f"{search.subscription_id}#{position}"
        meta = {**saved, "key": key, "role": "clause", "clause": name, "position": position}
        entries[key] = {"saved": meta, "query": compile_query(node)}
    return entries


class PercolatorMatcher:
    """:class:`SavedSearchMatcher` with percolator queries beside a cluster document index (it
    shares the index's client: close the index, not this)."""

    shared: ClassVar[bool] = True

    def __init__(self, index: ClusterDocumentIndex) -> None:
        self.documents = index
        self.client = index.client
        self.alias = alias_name(index.prefix, SAVED_SEARCHES)
        self.index_name = ensure_alias(
            index.client, index.prefix, SAVED_SEARCHES, saved_searches_index_body(), api_error=index.api_error
        )

    # ----------------------------------------------------------------- registry

    def register(
        self,
        subscription_id: int | str,
        query: str,
        *,
        owner: str | None = None,
        kind: str | None = None,
        active: bool = True,
    ) -> None:
        sid, _ = _checked(subscription_id, query, kind)
        refused = self.register_many([SavedSearch(sid, query, owner, kind, active)])
        if refused:
            raise RuntimeError(f"saved search {sid} not stored: {refused[sid]}")

    def register_many(self, searches: Iterable[SavedSearch]) -> dict[str, str]:
        refused: dict[str, str] = {}
        entries: dict[str, dict[str, dict[str, Any]]] = {}  # subscription id -> key -> source
        for search in searches:
            try:
                sid, _ = _checked(search.subscription_id, search.query, search.kind)
                entries[sid] = saved_search_entries(replace(search, subscription_id=sid))
            except ValueError as error:  # QueryError too
                refused[str(search.subscription_id)] = str(error)
        if not entries:
            return refused
        owner_of = {key: sid for sid, keyed in entries.items() for key in keyed}
        writes = {
            key: ({"index": {"_index": self.alias, "_id": key}}, source)
            for keyed in entries.values()
            for key, source in keyed.items()
        }
        for key, (status, reason) in bulk_write(self.client, writes, refresh="true").items():
            refused.setdefault(owner_of[key], f"{status} {reason}")
        stored = [sid for sid in entries if sid not in refused]
        # The new entries overwrote the old ones of the same keys; drop clauses a search no
        # longer has (after writing, so a search is never missing in between).
        for start in range(0, len(stored), REGISTER_SEARCHES):
            sids = stored[start : start + REGISTER_SEARCHES]
            self.client.delete_by_query(
                index=self.alias,
                body={
                    "query": {
                        "bool": {
                            "filter": [{"terms": {"saved.subscription_id": sids}}],
                            "must_not": [{"ids": {"values": [k for sid in sids for k in entries[sid]]}}],
                        }
                    }
                },
                refresh=True,
                conflicts="proceed",
            )
        return refused

    def remove(self, subscription_id: int | str) -> bool:
        response = self.client.delete_by_query(
            index=self.alias,
            body={"query": {"term": {"saved.subscription_id": str(subscription_id)}}},
            refresh=True,
            conflicts="proceed",
        )
        return int(response_body(response).get("deleted", 0)) > 0

    def saved_searches(self) -> list[SavedSearch]:
        found = [
            SavedSearch(
                subscription_id=saved["subscription_id"],
                query=saved["query_text"],
                owner=saved.get("owner"),
                kind=saved.get("kind"),
                active=bool(saved.get("active", True)),
            )
            for saved in self._scan({"term": {"saved.role": "query"}})
        ]
        return sorted(found, key=lambda s: _sid_order(s.subscription_id))

    def _pages(self, query: dict[str, Any], source: list[str]) -> Iterator[list[dict[str, Any]]]:
        """Every hit of a query on the saved-search index, a page at a time (search_after)."""
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {
                "query": query,
                "size": MAX_RESULT_WINDOW,
                "sort": [{"saved.key": "asc"}],
                "_source": source,
            }
            if after is not None:
                body["search_after"] = after
            hits = response_body(self.client.search(index=self.alias, body=body))["hits"]["hits"]
            if not hits:
                return
            yield hits
            if len(hits) < MAX_RESULT_WINDOW:
                return
            after = hits[-1]["sort"]

    def _scan(self, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for page in self._pages({"bool": {"filter": [query]}}, ["saved"]):
            for hit in page:
                yield hit["_source"]["saved"]

    # ----------------------------------------------------------------- matching

    def _percolate(
        self, documents: list[Document], filters: list[dict[str, Any]]
    ) -> Iterator[tuple[Document, dict[str, Any]]]:
        """(document, saved metadata) for every stored query of ``filters`` each document matches."""
        percolate = {"percolate": {"field": "query", "documents": [indexed_fields(d) for d in documents]}}
        for page in self._pages({"bool": {"filter": filters, "must": [percolate]}}, ["saved"]):
            for hit in page:
                for slot in hit.get("fields", {}).get("_percolator_document_slot", []):
                    yield documents[slot], hit["_source"]["saved"]

    def match_batch(self, documents: Sequence[Document], *, owners: Sequence[str] = ()) -> BatchMatches:
        latest = list({document.id: document for document in documents}.values())
        found: dict[str, dict[str, list[str]]] = {}
        by_kind: dict[str, list[Document]] = {}
        for document in latest:
            by_kind.setdefault(document.kind.value, []).append(document)
        for kind, group in by_kind.items():
            # A search restricted to a risk kind is not even tried on other kinds' documents.
            common = [
                {"term": {"saved.active": True}},
                {
                    "bool": {
                        "should": [
                            {"term": {"saved.kind": kind}},
                            {"bool": {"must_not": [{"exists": {"field": "saved.kind"}}]}},
                        ],
                        "minimum_should_match": 1,
                    }
                },
            ]
            if owners:
                common.append({"terms": {"saved.owner": list(owners)}})
            for start in range(0, len(group), PERCOLATE_DOCUMENTS):
                self._match_chunk(group[start : start + PERCOLATE_DOCUMENTS], common, found)
        return _ordered(found)

    def _match_chunk(
        self, chunk: list[Document], common: list[dict[str, Any]], found: dict[str, dict[str, list[str]]]
    ) -> None:
        whole: dict[tuple[str, str], str] = {}  # (document, subscription) -> query text
        for document, saved in self._percolate(chunk, [*common, {"term": {"saved.role": "query"}}]):
            whole[(document.id, saved["subscription_id"])] = saved["query_text"]
        if not whole:
            return
        plans = {text: ClausePlan.of(parse_query(text)) for text in set(whole.values())}
        # Only the searches with optional clauses need a second look, and only at their documents.
        testing = {pair for pair, text in whole.items() if plans[text].optional}
        held = self._held_clauses(chunk, testing) if testing else {}
        for (doc_id, sid), text in whole.items():
            found.setdefault(doc_id, {})[sid] = plans[text].explain(held.get((doc_id, sid), set()))

    def _held_clauses(
        self, chunk: list[Document], pairs: set[tuple[str, str]]
    ) -> dict[tuple[str, str], set[str]]:
        """Which optional clauses hold, for each (document, subscription) pair: the documents
        concerned are percolated once more, against the clauses of the searches concerned.
        (Percolating each document alone against just its own searches' clauses tests fewer
        pairs, but a request per document costs more than the pairs saved.)"""
        sids = sorted({sid for _, sid in pairs})
        ids = {doc_id for doc_id, _ in pairs}
        filters = [{"term": {"saved.role": "clause"}}, {"terms": {"saved.subscription_id": sids}}]
        held: dict[tuple[str, str], set[str]] = {}
        for document, saved in self._percolate([d for d in chunk if d.id in ids], filters):
            pair = (document.id, saved["subscription_id"])
            if pair in pairs:
                held.setdefault(pair, set()).add(saved["clause"])
        return held

    def sweep(self, since: datetime, until: datetime | None = None) -> BatchMatches:
        window: dict[str, str] = {"gte": utc_datetime(since).isoformat()}
        if until is not None:
            window["lt"] = utc_datetime(until).isoformat()
        searches = [s for s in self.saved_searches() if s.active]
        found: dict[str, dict[str, list[str]]] = {}
        for start in range(0, len(searches), SWEEP_SEARCHES):
            self._sweep_chunk(searches[start : start + SWEEP_SEARCHES], window, found)
        return _ordered(found)

    def _sweep_chunk(
        self, searches: list[SavedSearch], window: dict[str, str], found: dict[str, dict[str, list[str]]]
    ) -> None:
        trees = [parse_query(s.query) for s in searches]
        requests: list[dict[str, Any]] = []
        for search, tree in zip(searches, trees, strict=True):
            filters = [compile_query(tree, named=True), {"range": {"changed_at": window}}]
            if search.kind:
                filters.append({"term": {"kind": search.kind}})
            requests.append({"index": self.documents.alias})
            requests.append(
                {"query": {"bool": {"filter": filters}}, "size": MAX_RESULT_WINDOW, "_source": False}
            )
        responses = response_body(self.client.msearch(body=requests))["responses"]
        for search, tree, response in zip(searches, trees, responses, strict=True):
            plan = ClausePlan.of(tree)
            if "error" in response:
                log.warning(
                    "saved search %s failed in the sweep: %s", search.subscription_id, response["error"]
                )
                continue
            hits = response["hits"]["hits"]
            if len(hits) == MAX_RESULT_WINDOW:
                log.warning(
                    "saved search %s matched more than %s changed documents; the sweep reports the first",
                    search.subscription_id,
                    MAX_RESULT_WINDOW,
                )
            for hit in hits:
                names = plan.explain(set(hit.get("matched_queries", [])))
                found.setdefault(hit["_id"], {})[search.subscription_id] = names


# --------------------------------------------------------------------------- the embedded index


def _within(moment: datetime, low: datetime, high: datetime | None) -> bool:
    return low <= moment and (high is None or moment < high)


class IndexQueryMatcher:
    """:class:`SavedSearchMatcher` for any :class:`DocumentIndex` (the embedded one): each saved
    query is run restricted to the batch's ids, so the batch must be upserted first.  The
    registry lives in memory: the subscriptions table is the record, register them at start."""

    shared: ClassVar[bool] = False

    def __init__(self, index: DocumentIndex) -> None:
        self.index = index
        self._searches: dict[str, tuple[SavedSearch, Node]] = {}

    def register(
        self,
        subscription_id: int | str,
        query: str,
        *,
        owner: str | None = None,
        kind: str | None = None,
        active: bool = True,
    ) -> None:
        sid, tree = _checked(subscription_id, query, kind)
        self._searches[sid] = (SavedSearch(sid, query, owner, kind, active), tree)

    def register_many(self, searches: Iterable[SavedSearch]) -> dict[str, str]:
        refused: dict[str, str] = {}
        for search in searches:
            try:
                self.register(
                    search.subscription_id,
                    search.query,
                    owner=search.owner,
                    kind=search.kind,
                    active=search.active,
                )
            except ValueError as error:  # QueryError too
                refused[str(search.subscription_id)] = str(error)
        return refused

    def remove(self, subscription_id: int | str) -> bool:
        return self._searches.pop(str(subscription_id), None) is not None

    def saved_searches(self) -> list[SavedSearch]:
        # A copy first: another thread may register while this one reads.
        searches = list(self._searches.values())
        return sorted((s for s, _ in searches), key=lambda s: _sid_order(s.subscription_id))

    def _matching(self, query: str, ids: list[str], kind: str | None) -> set[str]:
        request = SearchRequest(
            query=query, document_ids=ids, kinds=[kind] if kind else (), limit=len(ids), highlight=False
        )
        return {hit.document.id for hit in self.index.search(request).hits}

    def match_batch(self, documents: Sequence[Document], *, owners: Sequence[str] = ()) -> BatchMatches:
        ids = list(dict.fromkeys(document.id for document in documents))
        found: dict[str, dict[str, list[str]]] = {}
        if not ids:
            return {}
        for search, tree in list(self._searches.values()):  # a copy: others may register meanwhile
            if not search.active or (owners and search.owner not in owners):
                continue
            plan = ClausePlan.of(tree)
            try:
                matched = self._matching(search.query, ids, search.kind)
                if not matched:
                    continue
                # A clause name is its query text, so an optional clause is run as a query of
                # its own.
                holds = {name: self._matching(name, sorted(matched), None) for name, _ in plan.optional}
            except QueryError as error:
                # One search the index refuses must not stop the others.
                log.warning("saved search %s not matched: %s", search.subscription_id, error)
                continue
            for doc_id in matched:
                held = {name for name, ids in holds.items() if doc_id in ids}
                found.setdefault(doc_id, {})[search.subscription_id] = plan.explain(held)
        return _ordered(found)

    def sweep(self, since: datetime, until: datetime | None = None) -> BatchMatches:
        """The embedded index keeps no change time: documents fetched in the window stand in
        for the changed ones (a re-fetched unchanged document is included; alerts dedupe)."""
        low = utc_datetime(since)
        high = utc_datetime(until) if until is not None else None
        found: BatchMatches = {}
        for batch in self.index.iter_documents():
            window = [d for d in batch if _within(utc_datetime(d.fetched), low, high)]
            if window:
                found.update(self.match_batch(window))
        return found


__all__ = [
    "BatchMatches",
    "IndexQueryMatcher",
    "PercolatorMatcher",
    "SavedSearch",
    "SavedSearchMatcher",
    "saved_search_entries",
    "saved_searches_index_body",
]
