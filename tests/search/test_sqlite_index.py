"""What is particular to the embedded SQLite backend: text preparation, the file on disk,
transactions, threads and the schema version."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from ipsentry.core.documents import Document
from ipsentry.search.index import SearchRequest, SearchResult
from ipsentry.search.sqlite_index import SqliteDocumentIndex, prepare_text


def test_prepare_text_fences_cjk_and_folds_width() -> None:
    fence = "\u200b"
    assert prepare_text("ＬＥＤ华为P30") == f"LED{fence}华{fence}{fence}为{fence}P30"
    assert prepare_text("アップル") == "".join(f"{fence}{ch}{fence}" for ch in "アップル")
    # Characters the index reserves for its own markers never come through from the source.
    assert prepare_text("a\ue000b\u200bc") == "abc"


def test_data_survives_reopening_and_uses_wal(tmp_path: Path, make_doc: Callable[..., Document]) -> None:
    path = tmp_path / "documents.sqlite"
    index = SqliteDocumentIndex(path)
    index.upsert([make_doc(id="fr:2025-1", title="Certain Robotic Vacuum Cleaners; 扫地机器人")])
    index.close()
    with pytest.raises(RuntimeError, match="closed"):
        index.count()

    reopened = SqliteDocumentIndex(path)
    try:
        assert reopened.count() == 1
        assert reopened.search(SearchRequest(query="机器人")).total == 1
        assert reopened.upsert(
            [make_doc(id="fr:2025-1", title="Certain Robotic Vacuum Cleaners; 扫地机器人")]
        ).unchanged
    finally:
        reopened.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failed_batch_leaves_nothing_behind(tmp_path: Path, make_doc: Callable[..., Document]) -> None:
    index = SqliteDocumentIndex(tmp_path / "documents.sqlite")
    try:
        good = make_doc(id="fr:2025-2", title="Certain Drones")
        with pytest.raises(AttributeError):
            index.upsert([good, object()])  # type: ignore[list-item]
        assert index.count() == 0
        assert index.search(SearchRequest(query="drones")).total == 0
    finally:
        index.close()


def _hit_ids(result: SearchResult) -> list[str]:
    return [hit.document.id for hit in result.hits]


def _as_schema_1(path: Path) -> None:
    """Turns an index file back into what schema 1 wrote: no document_keys table, the dates
    indexed on documents."""
    with sqlite3.connect(path) as raw:
        raw.executescript(
            "DROP TABLE document_keys;"
            "CREATE INDEX documents_sort_date ON documents (sort_date, id);"
            "CREATE INDEX documents_published ON documents (published);"
            "PRAGMA user_version = 1;"
        )


def test_an_index_of_schema_1_is_upgraded_in_place(tmp_path: Path) -> None:
    from tests.search.conftest import corpus_documents

    path = tmp_path / "documents.sqlite"
    requests = [
        SearchRequest(query="", facets=["kind", "source", "stage", "year", "authority", "enterprise"]),
        SearchRequest(query="semiconductor stage:institution", kinds=["itc337"], facets=["stage", "year"]),
        SearchRequest(query="case:337-TA-1414", published_from=date(2024, 1, 1), sort="date_desc"),
    ]
    index = SqliteDocumentIndex(path)
    index.upsert(corpus_documents())
    expected = [index.search(request) for request in requests]
    index.close()
    _as_schema_1(path)

    upgraded = SqliteDocumentIndex(path)
    try:
        results = [upgraded.search(request) for request in requests]
        assert [r.total for r in results] == [e.total for e in expected]
        assert [r.facets for r in results] == [e.facets for e in expected]
        assert [_hit_ids(r) for r in results] == [_hit_ids(e) for e in expected]
        assert expected[0].total == len(corpus_documents())
    finally:
        upgraded.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
        keys = raw.execute("SELECT count(*), count(kind), count(stage) FROM document_keys").fetchone()
        assert keys == (len(corpus_documents()),) * 3
        indices = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "documents_published" not in indices


def test_refuses_an_index_written_by_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(RuntimeError, match="schema 99"):
        SqliteDocumentIndex(path)


def test_threads_search_while_another_writes(tmp_path: Path, make_doc: Callable[..., Document]) -> None:
    index = SqliteDocumentIndex(tmp_path / "documents.sqlite")
    errors: list[BaseException] = []
    totals: list[int] = []

    def write() -> None:
        try:
            for batch in range(20):
                index.upsert(
                    [
                        make_doc(id=f"fr:w{batch}-{n}", title=f"Certain Semiconductor Devices {batch} {n}")
                        for n in range(10)
                    ]
                )
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    def read() -> None:
        try:
            for _ in range(30):
                result = index.search(SearchRequest(query="semiconductor", limit=5, facets=["kind"]))
                # One snapshot per search: the facet and the total agree even mid-write.
                assert result.facets["kind"].get("itc337", 0) == result.total
                totals.append(result.total)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert index.count() == 200
        assert all(total % 10 == 0 for total in totals)  # never half a batch
        assert index.search(SearchRequest(query="semiconductor")).total == 200
    finally:
        index.close()


def test_rejects_unknown_facets_and_negative_pages(tmp_path: Path) -> None:
    index = SqliteDocumentIndex(tmp_path / "documents.sqlite")
    try:
        with pytest.raises(ValueError, match="unknown facet"):
            index.search(SearchRequest(facets=["colour"]))
        with pytest.raises(ValueError, match="negative"):
            index.search(SearchRequest(offset=-1))
    finally:
        index.close()
