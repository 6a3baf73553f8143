"""Rebuilding a cluster index for a mapping change, without downtime: clients use the aliases
``<prefix>-documents`` and ``<prefix>-saved-searches``; a reindex builds the next version
(``…-v2``) from the current one, swaps the alias in one atomic step, and leaves the old version
in place for a rollback (or deletes it when asked).

Documents are re-derived in Python from the stored ``Document`` (what ``document_source``
writes may have changed with the mapping), keeping their change and write times.  Documents
written while the copy runs are caught up twice: once before the swap, and once after it for
what was written to the old version in between (only where the old copy is the newer one).
Saved searches are compiled again from their stored query text, since a mapping change usually
comes with a compiler change.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipsentry.core.documents import Document, utcnow
from ipsentry.search.cluster_common import (
    DOCUMENTS,
    MAX_RESULT_WINDOW,
    SAVED_SEARCHES,
    ClusterDocumentIndex,
    Fingerprints,
    Write,
    alias_name,
    bulk_write,
    current_index,
    document_source,
    documents_index_body,
    response_body,
    version_name,
    version_of,
)
from ipsentry.search.index import DocumentIndex, UpsertResult
from ipsentry.search.percolate import (
    PercolatorMatcher,
    saved_search_entries,
    saved_searches_index_body,
)

if TYPE_CHECKING:
    from ipsentry.config.settings import Settings

log = logging.getLogger(__name__)


def next_version(client: Any, prefix: str, what: str) -> int:
    names = response_body(client.indices.get(index=f"{prefix}-{what}-v*"))
    versions = [v for v in (version_of(name, prefix, what) for name in names) if v is not None]
    return max(versions, default=0) + 1


def swap_alias(client: Any, alias: str, old: str, new: str) -> None:
    """Moves the alias from ``old`` to ``new`` in one step: readers never see neither or both."""
    client.indices.update_aliases(
        body={
            "actions": [{"remove": {"index": old, "alias": alias}}, {"add": {"index": new, "alias": alias}}]
        }
    )


def _pages(client: Any, index: str, query: dict[str, Any], batch_size: int) -> Iterator[list[dict[str, Any]]]:
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {"query": query, "size": batch_size, "sort": [{"id": "asc"}]}
        if after is not None:
            body["search_after"] = after
        hits = response_body(client.search(index=index, body=body))["hits"]["hits"]
        if not hits:
            return
        yield hits
        after = hits[-1]["sort"]


def _rewrite(hit: dict[str, Any], target: str) -> Write:
    source = hit["_source"]
    document = Document.model_validate(source["doc"])
    rebuilt = document_source(
        document,
        Fingerprints.of(document),
        changed_at=datetime.fromisoformat(source["changed_at"]),
        indexed_at=datetime.fromisoformat(source["indexed_at"]),
    )
    return {"index": {"_index": target, "_id": hit["_id"]}}, rebuilt


def _copy(
    client: Any, old: str, new: str, query: dict[str, Any], batch_size: int, *, newer_only: bool
) -> int:
    """Copies the documents of ``old`` that ``query`` selects into ``new``; with ``newer_only``
    a document is skipped when ``new`` holds a copy written at the same time or later."""
    copied = 0
    for hits in _pages(client, old, query, batch_size):
        writes = {hit["_id"]: _rewrite(hit, new) for hit in hits}
        if newer_only:
            response = response_body(
                client.mget(
                    index=new,
                    body={"docs": [{"_id": i, "_source": ["indexed_at"]} for i in writes]},
                )
            )
            for item in response["docs"]:
                if (
                    item.get("found")
                    and item["_source"]["indexed_at"] >= writes[item["_id"]][1]["indexed_at"]
                ):
                    del writes[item["_id"]]
        failed = bulk_write(client, writes)
        if failed:
            raise RuntimeError(
                f"reindex {old} -> {new}: {len(failed)} documents refused, e.g. {next(iter(failed.items()))}"
            )
        copied += len(writes)
    return copied


def reindex_documents(
    index: ClusterDocumentIndex, *, batch_size: int = 1_000, delete_old: bool = False
) -> str:
    """Builds the next version of the documents index from the current one and points the alias
    at it; returns its name."""
    client, prefix = index.client, index.prefix
    alias = alias_name(prefix, DOCUMENTS)
    old = current_index(client, alias)
    new = version_name(prefix, DOCUMENTS, next_version(client, prefix, DOCUMENTS))
    body = documents_index_body()
    # Loading is faster without refreshes and replicas; both come back before the swap.
    loading = {
        **body,
        "settings": {**body["settings"], "refresh_interval": "-1", "auto_expand_replicas": False},
    }
    loading["settings"]["number_of_replicas"] = 0
    client.indices.create(index=new, body=loading)
    size = max(1, min(batch_size, MAX_RESULT_WINDOW))

    started = utcnow()
    copied = _copy(client, old, new, {"match_all": {}}, size, newer_only=False)
    caught_up = utcnow()
    since_start = {"range": {"indexed_at": {"gte": started.isoformat()}}}
    copied += _copy(client, old, new, since_start, size, newer_only=True)

    client.indices.put_settings(
        index=new,
        body={
            "index": {
                "refresh_interval": None,
                "auto_expand_replicas": body["settings"]["auto_expand_replicas"],
            }
        },
    )
    client.indices.refresh(index=new)
    swap_alias(client, alias, old, new)
    since_catch_up = {"range": {"indexed_at": {"gte": caught_up.isoformat()}}}
    copied += _copy(client, old, new, since_catch_up, size, newer_only=True)
    client.indices.refresh(index=new)
    log.info("reindexed %s documents: %s -> %s", copied, old, new)
    if delete_old:
        client.indices.delete(index=old)
    return new


def rebuild_saved_searches(index: ClusterDocumentIndex, *, delete_old: bool = False) -> str | None:
    """Builds the next version of the saved-search index, every search compiled again from its
    query text, and points the alias at it; None when there are no saved searches yet.  A query
    the current parser refuses is left out, with a warning."""
    client, prefix = index.client, index.prefix
    alias = alias_name(prefix, SAVED_SEARCHES)
    if not client.indices.exists_alias(name=alias):
        return None
    old = current_index(client, alias)
    new = version_name(prefix, SAVED_SEARCHES, next_version(client, prefix, SAVED_SEARCHES))
    client.indices.create(index=new, body=saved_searches_index_body())
    writes: dict[str, Write] = {}
    for search in PercolatorMatcher(index).saved_searches():
        try:
            entries = saved_search_entries(search)
        except ValueError as error:  # QueryError too
            log.warning("saved search %s dropped by the rebuild: %s", search.subscription_id, error)
            continue
        writes.update({key: ({"index": {"_index": new, "_id": key}}, src) for key, src in entries.items()})
    failed = bulk_write(client, writes, refresh="true")
    if failed:
        raise RuntimeError(
            f"rebuild of {alias}: {len(failed)} entries refused, e.g. {next(iter(failed.items()))}"
        )
    swap_alias(client, alias, old, new)
    if delete_old:
        client.indices.delete(index=old)
    return new


def open_embedded_index(path: Path) -> DocumentIndex:
    """The embedded index at ``path``, a tantivy directory or a SQLite file, to read from.  Only
    an existing index is opened: anything else (the relational database file, say, named by
    mistake) is refused with ValueError before it is touched, since opening creates a schema."""
    if path.is_dir():
        if not (path / "meta.json").is_file():
            raise ValueError("not a tantivy index (no meta.json in that directory)")
        from ipsentry.search.tantivy_index import TantivyDocumentIndex

        return TantivyDocumentIndex(path)
    if not path.is_file():
        raise FileNotFoundError("no embedded index there (neither a SQLite file nor a tantivy directory)")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise ValueError(f"not a SQLite file ({error})") from error
    if not {"documents", "document_text"} <= tables:
        raise ValueError("a SQLite file, but not an ipsentry document index (no documents/document_text)")
    from ipsentry.search.sqlite_index import SqliteDocumentIndex

    return SqliteDocumentIndex(path)


def copy_documents(
    source: DocumentIndex,
    target: DocumentIndex,
    *,
    batch_size: int = 500,
    on_batch: Callable[[UpsertResult], None] | None = None,
) -> UpsertResult:
    """Every document of ``source`` upserted into ``target`` (moving from the SQLite index to
    tantivy or to a cluster); ids, tags and fingerprints travel with the documents, so a second
    copy reports them unchanged.  ``on_batch`` hears each batch's result (progress)."""
    total = UpsertResult()
    for batch in source.iter_documents(batch_size=batch_size):
        result = target.upsert(batch)
        total.created += result.created
        total.updated += result.updated
        total.unchanged += result.unchanged
        if on_batch is not None:
            on_batch(result)
    return total


def reindex(settings: Settings, *, delete_old: bool = False) -> str:
    """``ipsentry reindex``: rebuilds the configured cluster's documents index (and its saved
    searches) with the current mapping; returns the new documents index name."""
    from ipsentry.search.factory import open_index

    if settings.search_backend not in ("opensearch", "elasticsearch"):
        raise ValueError(
            "reindex rebuilds an Elasticsearch/OpenSearch index; "
            f"search_backend is {settings.search_backend!r}"
        )
    index = open_index(settings)
    assert isinstance(index, ClusterDocumentIndex)
    try:
        new = reindex_documents(index, delete_old=delete_old)
        rebuild_saved_searches(index, delete_old=delete_old)
        return new
    finally:
        index.close()


__all__ = [
    "copy_documents",
    "open_embedded_index",
    "rebuild_saved_searches",
    "reindex",
    "reindex_documents",
    "swap_alias",
]
