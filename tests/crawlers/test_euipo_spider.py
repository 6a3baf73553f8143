"""The EUIPO spider end to end: run_spider (a child process) against the fixture server's search
route (the real sample record plus trademarks CONSTRUCTED in its shape) and an OAuth2 token
endpoint.  The token endpoint is POST; the fixture server dispatches GET only so far, so the
tokens come from the test's own receiver (a real HTTP server, tests/conftest.py) answering as
the fixture's token route does."""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr

from ipsentry.config.settings import Settings, SourceKeys, SourceURLs
from ipsentry.core.documents import Role
from ipsentry.crawlers.fixture_routes_euipo import EuipoFixture
from ipsentry.crawlers.fixture_server import FixtureServer
from ipsentry.crawlers.runner import CrawlOutput, run_spider

CLIENT_ID = "constructed-client"
SECRET = "constructed-secret"
SEARCH = "/trademark-search/trademarks"
SINCE = date(2024, 9, 20)
UNTIL = date(2024, 9, 30)


@pytest.fixture
def euipo(fixture_server: FixtureServer) -> EuipoFixture:
    fixture: EuipoFixture = fixture_server.sources["euipo"]
    fixture.tokens = ["token-one", "token-two"]
    return fixture


@pytest.fixture
def euipo_settings(
    fixture_server: FixtureServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    # The child process reads the credentials from its environment until the crawl settings
    # carry them.
    monkeypatch.setenv("IPSENTRY_KEYS__EUIPO_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("IPSENTRY_KEYS__EUIPO_CLIENT_SECRET", SECRET)
    return Settings(
        environment="test",
        data_dir=tmp_path / "var",
        sources=SourceURLs(euipo=fixture_server.url),
        keys=SourceKeys(euipo_client_id=CLIENT_ID, euipo_client_secret=SecretStr(SECRET)),
    )


def _token(value: str, expires_in: int = 3600) -> tuple[int, bytes]:
    return 200, json.dumps({"access_token": value, "token_type": "Bearer", "expires_in": expires_in}).encode()


def _crawl(
    settings: Settings, receiver: Any, work_dir: Path, state: dict[str, Any] | None = None
) -> CrawlOutput:
    return run_spider(
        "euipo",
        settings=settings,
        state=state or {},
        since=SINCE,
        until=UNTIL,
        work_dir=work_dir,
        spider_args={"token_url": f"{receiver.url}/oidc/accessToken", "page_size": 2},
    )


def test_polls_by_application_date_with_a_cached_token_and_pages(
    fixture_server: FixtureServer,
    euipo: EuipoFixture,
    euipo_settings: Settings,
    receiver: Any,
    tmp_path: Path,
) -> None:
    receiver.responses = [_token("token-one")]
    output = _crawl(euipo_settings, receiver, tmp_path / "run1")

    assert output.ok, output.stats
    documents = {d.id: d for d in output.documents}
    assert sorted(documents) == [f"euipo:01908000{n}" for n in range(1, 6)]
    suveneer = documents["euipo:019080001"]
    assert (suveneer.title, suveneer.classes, suveneer.filed) == ("SUVENEER", [16], date(2024, 9, 24))
    assert suveneer.stage == "new_application" and suveneer.jurisdiction == "EU"
    assert [(p.name, p.role) for p in suveneer.parties] == [("Constructed Applicant One", Role.APPLICANT)]

    # One token for the whole run, bought with the client credentials in HTTP Basic.
    [token_request] = receiver.requests
    assert token_request.headers["authorization"] == "Basic " + base64.b64encode(
        f"{CLIENT_ID}:{SECRET}".encode()
    ).decode("ascii")
    assert parse_qs(token_request.body.decode()) == {"grant_type": ["client_credentials"], "scope": ["uid"]}
    # Two windows of seven days; the first has four filings, two pages of two.
    queries = sorted((q["query"][0], q["page"][0]) for q in euipo.searches)
    assert queries == [
        ("applicationDate>=2024-09-20 and applicationDate<=2024-09-26", "0"),
        ("applicationDate>=2024-09-20 and applicationDate<=2024-09-26", "1"),
        ("applicationDate>=2024-09-27 and applicationDate<=2024-09-30", "0"),
    ]
    assert all(q["sort"] == ["applicationDate:desc"] and q["size"] == ["2"] for q in euipo.searches)
    assert output.state["last_date"] == "2024-09-30"
    assert output.state["seen"]["2024-09-24"] == ["019080001", "019080002"]

    # Next run: a week of overlap is searched again, nothing is yielded twice.
    receiver.responses = [_token("token-two")]
    second = _crawl(euipo_settings, receiver, tmp_path / "run2", output.state)
    assert second.ok, second.stats
    assert second.documents == []
    assert second.stats["source"]["skipped_seen"] == 5


def test_a_refused_token_is_renewed_once(
    euipo: EuipoFixture, euipo_settings: Settings, receiver: Any, tmp_path: Path
) -> None:
    euipo.token_uses = 2  # a token expires after two searches; the run makes three
    receiver.responses = [_token("token-one"), _token("token-two")]
    output = _crawl(euipo_settings, receiver, tmp_path / "run")

    assert output.ok, output.stats
    assert len(output.documents) == 5
    assert len(receiver.requests) == 2
    assert output.stats["source"]["token_renewals"] >= 1


def test_without_credentials_nothing_is_fetched(
    fixture_server: FixtureServer,
    euipo: EuipoFixture,
    receiver: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IPSENTRY_KEYS__EUIPO_CLIENT_ID", raising=False)
    monkeypatch.delenv("IPSENTRY_KEYS__EUIPO_CLIENT_SECRET", raising=False)
    settings = Settings(
        environment="test", data_dir=tmp_path / "var", sources=SourceURLs(euipo=fixture_server.url)
    )
    output = _crawl(settings, receiver, tmp_path / "run")
    assert not output.ok
    assert output.documents == [] and receiver.requests == [] and euipo.searches == []
    assert any(sample.startswith("config:") for sample in output.stats["error_samples"])


def test_bad_credentials_fail_the_run(
    euipo: EuipoFixture, euipo_settings: Settings, receiver: Any, tmp_path: Path
) -> None:
    receiver.responses = [(401, b'{"error": "invalid_client"}')]
    output = _crawl(euipo_settings, receiver, tmp_path / "run")
    assert not output.ok
    assert output.documents == [] and euipo.searches == []
    assert output.state.get("retry_from") == "2024-09-20"
