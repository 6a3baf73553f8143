"""Fixtures of the crawler tests: the real samples, a fixture server, settings pointing at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ipsentry.config.settings import Settings, SourceURLs
from ipsentry.crawlers.fixture_server import FixtureServer

SAMPLES = Settings().samples_dir
ITC337 = SAMPLES / "itc337"


@pytest.fixture(scope="session")
def itc337_dir() -> Path:
    if not ITC337.is_dir():
        pytest.fail(f"the shared samples are missing at {ITC337} (set IPSENTRY_SAMPLES_DIR)")
    return ITC337


@pytest.fixture(scope="session")
def listing_records(itc337_dir: Path) -> list[dict[str, Any]]:
    """The 792 real search-result records, by document number order as stored."""
    return json.loads((itc337_dir / "federal_register_337_titles_abstracts.json").read_text(encoding="utf-8"))


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    with FixtureServer(SAMPLES) as server:
        yield server


@pytest.fixture
def crawl_settings(fixture_server: FixtureServer, tmp_path: Path) -> Settings:
    """Settings whose Federal Register is the fixture server; fast enough for tests (50 rps)."""
    return Settings(
        environment="test",
        data_dir=tmp_path / "var",
        samples_dir=SAMPLES,
        sources=SourceURLs(federal_register=fixture_server.url),
        federal_register_max_rps=50,
    )
