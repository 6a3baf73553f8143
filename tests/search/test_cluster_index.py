"""What only the cluster backends have: versioned indices behind an alias, per-item bulk errors
and retries, reindexing, and an analysis that tokenises exactly like the embedded index.
Run against a real node (see conftest.py); skipped without one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ipsentry.config.settings import Settings
from ipsentry.core.documents import Document, Party
from ipsentry.search.cluster_common import (
    MAPPING_VERSION,
    BulkUpsertError,
    ClusterDocumentIndex,
    documents_index_body,
    response_body,
)
from ipsentry.search.factory import open_index
from ipsentry.search.index import SearchRequest
from ipsentry.search.reindex import reindex_documents
from ipsentry.search.sqlite_index import SqliteDocumentIndex


def ids(index: Any, query: str) -> set[str]:
    return {hit.document.id for hit in index.search(SearchRequest(query=query, limit=100)).hits}


def test_documents_live_in_a_versioned_index_behind_an_alias(cluster_index: ClusterDocumentIndex) -> None:
    prefix = cluster_index.prefix
    aliases = response_body(cluster_index.client.indices.get_alias(name=f"{prefix}-documents"))
    assert list(aliases) == [f"{prefix}-documents-v1"]
    mapping = response_body(cluster_index.client.indices.get_mapping(index=f"{prefix}-documents"))
    assert mapping[f"{prefix}-documents-v1"]["mappings"]["_meta"] == {"ipsentry_mapping": MAPPING_VERSION}


def test_a_second_instance_uses_the_existing_index(
    cluster_index: ClusterDocumentIndex, make_doc: Callable[..., Document]
) -> None:
    cluster_index.upsert([make_doc(id="fr:1", title="Certain Drones")])
    other = type(cluster_index)(cluster_index.client, prefix=cluster_index.prefix)
    assert other.index_name == cluster_index.index_name
    assert other.count() == 1


def test_an_index_of_a_newer_mapping_is_refused(cluster_index: ClusterDocumentIndex) -> None:
    prefix = f"{cluster_index.prefix}-newer"
    body = documents_index_body()
    body["mappings"]["_meta"] = {"ipsentry_mapping": MAPPING_VERSION + 1}
    cluster_index.client.indices.create(
        index=f"{prefix}-documents-v1", body={**body, "aliases": {f"{prefix}-documents": {}}}
    )
    try:
        with pytest.raises(RuntimeError, match="mapping version"):
            type(cluster_index)(cluster_index.client, prefix=prefix)
    finally:
        cluster_index.client.indices.delete(index=f"{prefix}-documents-v1")


def test_a_refused_document_does_not_stop_the_others(
    cluster_index: ClusterDocumentIndex, make_doc: Callable[..., Document]
) -> None:
    # A keyword longer than Lucene's 32,766-byte term limit is refused by the cluster itself.
    refused = make_doc(id="fr:huge", title="Certain Widgets", case_numbers=["X" * 40_000])
    good = [make_doc(id="fr:a", title="Certain Drones"), make_doc(id="fr:b", title="Certain Lamps")]
    with pytest.raises(BulkUpsertError) as raised:
        cluster_index.upsert([good[0], refused, good[1]])
    assert list(raised.value.errors) == ["fr:huge"]
    assert "immense" in raised.value.errors["fr:huge"] or "max_bytes" in raised.value.errors["fr:huge"]
    assert raised.value.result.created == ["fr:a", "fr:b"]
    assert cluster_index.count() == 2
    assert ids(cluster_index, "drones OR lamps") == {"fr:a", "fr:b"}


def test_a_conflicting_writer_is_detected_and_the_document_classified_again(
    cluster_index: ClusterDocumentIndex, make_doc: Callable[..., Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = make_doc(id="fr:c", title="Certain Drones; Institution of Investigation")
    cluster_index.upsert([original])
    theirs = original.model_copy(update={"title": "Certain Drones; Termination of the Investigation"})
    ours = original.model_copy(update={"title": "Certain Drones; Final Determination"})
    real_stored = cluster_index._stored
    calls = 0

    def stored_then_raced(document_ids: Any) -> Any:
        nonlocal calls
        calls += 1
        found = real_stored(document_ids)
        if calls == 1:
            # Another process writes between our read and our write: our write must not win
            # blindly over it (optimistic concurrency: 409, then read again).
            other = type(cluster_index)(cluster_index.client, prefix=cluster_index.prefix)
            other.upsert([theirs])
        return found

    monkeypatch.setattr(cluster_index, "_stored", stored_then_raced)
    result = cluster_index.upsert([ours])
    assert calls == 2  # read, conflict, read again
    assert result.updated == ["fr:c"]
    stored = cluster_index.get("fr:c")
    assert stored is not None and stored.title == ours.title


def test_searching_past_the_result_window_is_refused(cluster_index: ClusterDocumentIndex) -> None:
    with pytest.raises(ValueError, match="offset \\+ limit"):
        cluster_index.search(SearchRequest(offset=9_990, limit=20))


def test_reindex_moves_the_alias_and_keeps_everything(
    cluster_index: ClusterDocumentIndex, corpus: list[Document]
) -> None:
    cluster_index.upsert(corpus)
    before = cluster_index.search(SearchRequest(query="英诺 OR exclusion", limit=100, facets=["kind"]))
    new = reindex_documents(cluster_index)
    prefix = cluster_index.prefix
    assert new == f"{prefix}-documents-v2"
    aliases = response_body(cluster_index.client.indices.get_alias(index=f"{prefix}-documents-v*"))
    assert aliases == {
        f"{prefix}-documents-v2": {"aliases": {f"{prefix}-documents": {}}},
        f"{prefix}-documents-v1": {"aliases": {}},  # kept for a rollback
    }
    after = cluster_index.search(SearchRequest(query="英诺 OR exclusion", limit=100, facets=["kind"]))
    assert [h.document.id for h in after.hits] == [h.document.id for h in before.hits]
    assert after.facets == before.facets
    # Change times survive: nothing was reported changed by the reindex.
    assert cluster_index.upsert(corpus).unchanged == [d.id for d in corpus]
    assert reindex_documents(cluster_index, delete_old=True) == f"{prefix}-documents-v3"
    remaining = response_body(cluster_index.client.indices.get(index=f"{prefix}-documents-v*"))
    assert sorted(remaining) == [f"{prefix}-documents-v1", f"{prefix}-documents-v3"]


# --------------------------------------------------------------------------- same tokens as embedded

# Texts where the standard tokenizer (UAX #29) and FTS5's unicode61 disagree, or where NFKC
# matters; each query must find the same documents on both backends.
TRICKY = [
    ("t:1", "The U.S. International Trade Commission"),
    ("t:2", "the respondent's products and the respondents' stores"),
    ("t:3", "ＨＵＡＷＥＩ ＳＭＡＲＴ full-width mark"),
    ("t:4", "ソニー株式会社 and ａｂｃ１２３"),
    ("t:5", "Shoe-Outlet-2024 sells e-cigarettes"),
    ("t:6", "Société Générale café"),
]
QUERIES = [
    "u",
    '"U.S."',
    "respondent",
    "respondents",
    "s",
    "huawei",
    '"huawei smart"',
    "ソニー",
    "ニ",
    "abc123",
    "outlet",
    '"shoe outlet 2024"',
    "cigarette",
    "societe",
    "CAFE",
]


@pytest.mark.parametrize("query", QUERIES)
def test_tokens_are_those_of_the_embedded_index(
    cluster_index: ClusterDocumentIndex, tmp_path: Path, make_doc: Callable[..., Document], query: str
) -> None:
    documents = [make_doc(id=doc_id, title=text) for doc_id, text in TRICKY]
    embedded = SqliteDocumentIndex(tmp_path / "documents.sqlite")
    try:
        embedded.upsert(documents)
        cluster_index.upsert(documents)
        assert ids(cluster_index, query) == ids(embedded, query)
    finally:
        embedded.close()


def test_a_phrase_never_spans_two_party_names(
    cluster_index: ClusterDocumentIndex, make_doc: Callable[..., Document]
) -> None:
    document = make_doc(
        id="fr:p", title="Notice", parties=[Party(name="Acme Shenzhen"), Party(name="Hairun Battery")]
    )
    cluster_index.upsert([document])
    assert ids(cluster_index, '"acme shenzhen"') == {"fr:p"}
    assert ids(cluster_index, '"shenzhen hairun"') == set()


def test_bulk_loads_may_defer_the_refresh(
    cluster_index_factory: Callable[..., ClusterDocumentIndex], corpus: list[Document]
) -> None:
    index = cluster_index_factory(refresh=False)
    index.upsert(corpus)
    index.refresh()
    assert index.count() == len(corpus)


def test_open_index_reads_the_settings(cluster_index: ClusterDocumentIndex, tmp_path: Path) -> None:
    backend = cluster_index.backend
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "var",
        search_backend=backend,
        search_url=os.environ[f"IPSENTRY_TEST_{backend.upper()}_URL"],
        search_index_prefix=f"{cluster_index.prefix}-settings",
    )
    index = open_index(settings)
    try:
        assert isinstance(index, ClusterDocumentIndex) and index.backend == backend
        assert index.alias == f"{cluster_index.prefix}-settings-documents"
        assert index.count() == 0
    finally:
        index.drop()
        index.close()
