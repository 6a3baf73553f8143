"""The Elasticsearch 8/9 backend (``IPSENTRY_SEARCH_BACKEND=elasticsearch``): the shared cluster
index of ``cluster_common`` on the official ``elasticsearch`` client.  Use the client major
version of the cluster (the 9.x client asks a server for its 9.x API)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from elasticsearch import ApiError, Elasticsearch

from ipsentry.search.cluster_common import ClusterConnection, ClusterDocumentIndex

if TYPE_CHECKING:
    from ipsentry.config.settings import Settings


def elasticsearch_client(connection: ClusterConnection) -> Elasticsearch:
    """A client for the connection; it retries a request on a timeout or a dropped
    connection (another node, when there are several URLs)."""
    options: dict[str, Any] = {
        "verify_certs": connection.verify_certs,
        "request_timeout": connection.timeout,
        "max_retries": 3,
        "retry_on_timeout": True,
    }
    if connection.ca_certs:
        options["ca_certs"] = connection.ca_certs
    if connection.api_key:
        options["api_key"] = connection.api_key
    elif connection.username:
        options["basic_auth"] = (connection.username, connection.password or "")
    return Elasticsearch(hosts=list(connection.urls), **options)


class ElasticsearchDocumentIndex(ClusterDocumentIndex):
    backend = "elasticsearch"
    api_error = ApiError

    @classmethod
    def from_settings(cls, settings: Settings, *, refresh: bool = True) -> ElasticsearchDocumentIndex:
        connection = ClusterConnection.from_settings(settings)
        return cls(elasticsearch_client(connection), prefix=connection.index_prefix, refresh=refresh)


__all__ = ["ElasticsearchDocumentIndex", "elasticsearch_client"]
