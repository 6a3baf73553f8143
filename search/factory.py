"""Opens the document index the settings name (``search_backend``)."""

from __future__ import annotations

from ipsentry.config.settings import Settings
from ipsentry.search.index import DocumentIndex


class BackendUnavailableError(NotImplementedError):
    """The configured search backend is not available in this build."""


def open_index(settings: Settings) -> DocumentIndex:
    """The configured index, ready to use; the caller closes it."""
    backend = settings.search_backend
    if backend == "sqlite":
        # Imported here so that a cluster deployment never needs the embedded backend's module.
        from ipsentry.search.sqlite_index import SqliteDocumentIndex

        path = settings.resolved_index_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteDocumentIndex(path)
    raise BackendUnavailableError(
        f"IPSENTRY_SEARCH_BACKEND={backend!r}: the {backend} backend is not implemented yet; "
        "set search_backend to 'sqlite' (the embedded index)"
    )
