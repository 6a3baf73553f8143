"""open_index picks the backend the settings name."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipsentry.config.settings import Settings
from ipsentry.search.factory import open_index
from ipsentry.search.index import SearchRequest
from ipsentry.search.sqlite_index import SqliteDocumentIndex


def test_sqlite_backend_creates_its_directory(tmp_path: Path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path / "nested" / "var", search_backend="sqlite")
    index = open_index(settings)
    try:
        assert isinstance(index, SqliteDocumentIndex)
        assert settings.resolved_index_path.is_file()
        assert index.search(SearchRequest()).total == 0
    finally:
        index.close()


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
