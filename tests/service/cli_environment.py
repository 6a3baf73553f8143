"""Running an ipsentry CLI command in-process against a test's running context."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest

from ipsentry.config.settings import Settings, get_settings


@contextmanager
def cli_environment(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, variables: Mapping[str, str]
) -> Iterator[None]:
    """The environment a CLI command reads its settings from: the data directory, database and
    index of ``settings`` plus ``variables`` (sources, keys…); the cached settings are dropped
    on the way in and on the way out, so the command reads these and later code does not."""
    for name, value in {
        "IPSENTRY_ENVIRONMENT": "test",
        "IPSENTRY_DATA_DIR": str(settings.data_dir),
        "IPSENTRY_DATABASE_URL": settings.resolved_database_url,
        "IPSENTRY_SEARCH_INDEX_PATH": str(settings.resolved_index_path),
        **variables,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()
