"""A running ipsentry whose CourtListener is the fixture server, for the service tests that crawl
it end to end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pydantic import SecretStr

from ipsentry.config.settings import Settings
from ipsentry.crawlers.fixture_server import FixtureServer
from ipsentry.service.context import AppContext, build_context


@contextmanager
def courtlistener_context(
    settings: Settings, fixture_server: FixtureServer, monkeypatch: pytest.MonkeyPatch, token: str
) -> Iterator[AppContext]:
    """The token reaches the crawl through the settings, as deployed (not the environment)."""
    monkeypatch.delenv("IPSENTRY_KEYS__COURTLISTENER_TOKEN", raising=False)
    fixture_server.sources["courtlistener"].token = token
    sources = settings.sources.model_copy(update={"courtlistener": fixture_server.url})
    keys = settings.keys.model_copy(update={"courtlistener_token": SecretStr(token)})
    # The fixture's quota is not the real account's: no need to wait between the test's crawls.
    fast = {"sources": sources, "keys": keys, "courtlistener_rate_limits": "600/minute"}
    built = build_context(settings.model_copy(update=fast))
    try:
        yield built
    finally:
        built.close()
