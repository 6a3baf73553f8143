"""Opens the document index the settings name (``search_backend``), and the saved-search matcher
that goes with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ipsentry.config.settings import Settings
from ipsentry.search.index import DocumentIndex

if TYPE_CHECKING:
    from ipsentry.search.percolate import SavedSearchMatcher

_CLUSTER_BACKENDS = ("opensearch", "elasticsearch")


class BackendUnavailableError(NotImplementedError):
    """The configured search backend cannot be used here: its client library is not installed
    or it is not configured (no ``search_url``)."""


def _check_cluster(settings: Settings) -> None:
    backend = settings.search_backend
    if not settings.search_url:
        raise BackendUnavailableError(
            f"IPSENTRY_SEARCH_BACKEND={backend!r} needs IPSENTRY_SEARCH_URL (the cluster's address, "
            "e.g. http://127.0.0.1:9200); set it, or set search_backend to 'sqlite' (the embedded index)"
        )


def open_index(settings: Settings) -> DocumentIndex:
    """The configured index, ready to use (a cluster index creates its index and alias on first
    use); the caller closes it."""
    backend = settings.search_backend
    if backend == "sqlite":
        # Imported here so that a cluster deployment never needs the embedded backend's module.
        from ipsentry.search.sqlite_index import SqliteDocumentIndex

        path = settings.resolved_index_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteDocumentIndex(path)
    if backend == "tantivy":
        from ipsentry.search.tantivy_index import TantivyDocumentIndex

        return TantivyDocumentIndex(settings.resolved_index_path)
    if backend in _CLUSTER_BACKENDS:
        _check_cluster(settings)
        try:
            if backend == "opensearch":
                from ipsentry.search.opensearch_index import OpenSearchDocumentIndex

                return OpenSearchDocumentIndex.from_settings(settings)
            from ipsentry.search.elasticsearch_index import ElasticsearchDocumentIndex

            return ElasticsearchDocumentIndex.from_settings(settings)
        except ImportError as error:
            raise BackendUnavailableError(
                f"IPSENTRY_SEARCH_BACKEND={backend!r} needs its client library ({error.name}): "
                "pip install 'ipsentry[cluster]', or set search_backend to 'sqlite'"
            ) from error
    raise BackendUnavailableError(f"unknown search_backend {backend!r}")


def open_saved_search_matcher(index: DocumentIndex) -> SavedSearchMatcher:
    """Saved-search matching for an index: percolator queries on a cluster (in their own index,
    beside ``index``'s), the queries run over the batch on the embedded index."""
    from ipsentry.search.cluster_common import ClusterDocumentIndex
    from ipsentry.search.percolate import IndexQueryMatcher, PercolatorMatcher

    if isinstance(index, ClusterDocumentIndex):
        return PercolatorMatcher(index)
    return IndexQueryMatcher(index)
