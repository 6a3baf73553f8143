"""The OpenSearch 2.x backend (``IPSENTRY_SEARCH_BACKEND=opensearch``): the shared cluster index
of ``cluster_common`` on an ``opensearch-py`` client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensearchpy import OpenSearch, TransportError

from ipsentry.search.cluster_common import ClusterConnection, ClusterDocumentIndex

if TYPE_CHECKING:
    from ipsentry.config.settings import Settings


def opensearch_client(connection: ClusterConnection) -> OpenSearch:
    """A client for the connection; it retries a request on a timeout or a dropped
    connection (another node, when there are several URLs)."""
    options: dict[str, Any] = {
        "verify_certs": connection.verify_certs,
        "timeout": connection.timeout,
        "max_retries": 3,
        "retry_on_timeout": True,
    }
    if connection.ca_certs:
        options["ca_certs"] = connection.ca_certs
    if connection.username:
        options["http_auth"] = (connection.username, connection.password or "")
    if connection.api_key:
        # The security plugin of OpenSearch 2.x has no API keys; refuse rather than
        # connect anonymously.
        raise ValueError("OpenSearch takes a username and password, not IPSENTRY_SEARCH_API_KEY")
    return OpenSearch(hosts=list(connection.urls), **options)


class OpenSearchDocumentIndex(ClusterDocumentIndex):
    backend = "opensearch"
    api_error = TransportError

    @classmethod
    def from_settings(cls, settings: Settings, *, refresh: bool = True) -> OpenSearchDocumentIndex:
        connection = ClusterConnection.from_settings(settings)
        return cls(opensearch_client(connection), prefix=connection.index_prefix, refresh=refresh)


__all__ = ["OpenSearchDocumentIndex", "opensearch_client"]
