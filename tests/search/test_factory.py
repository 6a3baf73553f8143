"""open_index picks the backend the settings name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ipsentry.config.settings import Settings
from ipsentry.core.documents import Document
from ipsentry.search.factory import open_index
from ipsentry.search.index import SearchRequest
from ipsentry.search.sqlite_index import SqliteDocumentIndex
from ipsentry.search.tantivy_index import TantivyDocumentIndex


def test_sqlite_backend_creates_its_directory(tmp_path: Path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path / "nested" / "var", search_backend="sqlite")
    index = open_index(settings)
    try:
        assert isinstance(index, SqliteDocumentIndex)
        assert settings.resolved_index_path.is_file()
        assert index.search(SearchRequest()).total == 0
    finally:
        index.close()


def test_tantivy_backend_opens_an_index_directory(tmp_path: Path, make_doc: Callable[..., Document]) -> None:
    settings = Settings(environment="test", data_dir=tmp_path / "var", search_backend="tantivy")
    assert settings.resolved_index_path == tmp_path / "var" / "documents.tantivy"
    index = open_index(settings)
    try:
        assert isinstance(index, TantivyDocumentIndex)
        index.upsert([make_doc(id="fr:2025-1", title="Certain Drones; Institution of Investigation")])
    finally:
        index.close()
    # Opened again (as by the next command): the document is there.
    again = open_index(settings)
    try:
        assert [hit.document.id for hit in again.search(SearchRequest(query="drones")).hits] == ["fr:2025-1"]
    finally:
        again.close()


def test_explicit_index_path_wins(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "index.sqlite"
    index = open_index(Settings(environment="test", data_dir=tmp_path / "var", search_index_path=path))
    try:
        assert path.is_file()
    finally:
        index.close()


@pytest.mark.parametrize("backend", ["elasticsearch", "opensearch"])
def test_cluster_backends_are_not_available_yet(tmp_path: Path, backend: str) -> None:
    settings = Settings(environment="test", data_dir=tmp_path / "var", search_backend=backend)
    with pytest.raises(NotImplementedError) as error:
        open_index(settings)
    assert backend in str(error.value) and "search_backend" in str(error.value).lower()
