"""The EUIPO spider end to end: run_spider (a child process) against the fixture server's search
route (the real sample record plus trademarks CONSTRUCTED in its shape) and its OAuth2 token
endpoint (POST, client credentials).  The credentials reach the crawl as deployed: through the
Settings given to run_spider, none in the environment."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from ipsentry.config.settings import Settings, SourceKeys
from ipsentry.core.documents import Role
from ipsentry.crawlers.fixture_routes_euipo import EuipoFixture, token_response
from ipsentry.crawlers.fixture_server import FixtureServer
from ipsentry.crawlers.runner import CrawlOutput, run_spider

from .keyed_sources import settings_with_keys

CLIENT_ID = "constructed-client"
SECRET = "constructed-secret"
SEARCH = "/trademark-search/trademarks"
TOKEN = "/oidc/accessToken"
SINCE = date(2024, 9, 20)
UNTIL = date(2024, 9, 30)
# Where the token server of the token URL tests serves the token endpoint: neither the default
# path nor the API's host and port, as with EUIPO's production token endpoint.
OTHER_TOKEN = "/test-only/oauth2/token"


@pytest.fixture
def euipo(fixture_server: FixtureServer) -> EuipoFixture:
    fixture: EuipoFixture = fixture_server.sources["euipo"]
    assert (fixture.client_id, fixture.client_secret) == (CLIENT_ID, SECRET)
    return fixture


@pytest.fixture
def euipo_settings(
    fixture_server: FixtureServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    keys = SourceKeys(euipo_client_id=CLIENT_ID, euipo_client_secret=SecretStr(SECRET))
    return settings_with_keys(monkeypatch, tmp_path, source="euipo", url=fixture_server.url, keys=keys)


@pytest.fixture
def token_server(fixture_server: FixtureServer, euipo: EuipoFixture) -> Iterator[FixtureServer]:
    """A second fixture server (another port) whose only EUIPO route is the token endpoint at
    OTHER_TOKEN, issuing tokens of the same fixture, which the API's search route accepts."""
    with FixtureServer(fixture_server.samples_dir, route_modules=[]) as server:
        server.add_route(re.escape(OTHER_TOKEN), lambda r: token_response(r, euipo), methods=("POST",))
        yield server


def _crawl(
    settings: Settings,
    work_dir: Path,
    state: dict[str, Any] | None = None,
    extra_args: dict[str, Any] | None = None,
) -> CrawlOutput:
    return run_spider(
        "euipo",
        settings=settings,
        state=state or {},
        since=SINCE,
        until=UNTIL,
        work_dir=work_dir,
        spider_args={"page_size": 2, **(extra_args or {})},
    )


def _settings_with_token_url_from_environment(
    monkeypatch: pytest.MonkeyPatch, euipo_settings: Settings, token_url: str
) -> Settings:
    """Settings whose EUIPO base URL and token URL come from the environment, as deployed."""
    monkeypatch.setenv("IPSENTRY_SOURCES__EUIPO", euipo_settings.sources.euipo)
    monkeypatch.setenv("IPSENTRY_SOURCES__EUIPO_TOKEN", token_url)
    settings = Settings(environment="test", data_dir=euipo_settings.data_dir, keys=euipo_settings.keys)
    assert (settings.sources.euipo, settings.sources.euipo_token) == (euipo_settings.sources.euipo, token_url)
    return settings


def _with_keys(settings: Settings, client_id: str | None, secret: str | None) -> Settings:
    keys = SourceKeys(euipo_client_id=client_id, euipo_client_secret=SecretStr(secret) if secret else None)
    return settings.model_copy(update={"keys": keys})


def test_polls_by_application_date_with_a_cached_token_and_pages(
    fixture_server: FixtureServer, euipo: EuipoFixture, euipo_settings: Settings, tmp_path: Path
) -> None:
    output = _crawl(euipo_settings, tmp_path / "run1")

    assert output.ok, output.stats
    documents = {d.id: d for d in output.documents}
    assert sorted(documents) == [f"euipo:01908000{n}" for n in range(1, 6)]
    suveneer = documents["euipo:019080001"]
    assert (suveneer.title, suveneer.classes, suveneer.filed) == ("SUVENEER", [16], date(2024, 9, 24))
    assert suveneer.stage == "new_application" and suveneer.jurisdiction == "EU"
    assert [(p.name, p.role) for p in suveneer.parties] == [("Constructed Applicant One", Role.APPLICANT)]

    # One token for the whole run, bought from the fixture's token endpoint: a POST with the
    # client-credentials grant in a form body, the client id and secret in HTTP Basic.
    assert fixture_server.requests_to(TOKEN) == [TOKEN]
    assert fixture_server.requests_to(TOKEN, method="POST") == [TOKEN]
    assert euipo.token_requests == [
        {
            "grant_type": "client_credentials",
            "scope": "uid",
            "client_id": CLIENT_ID,
            "via": "basic",
            "secret_ok": True,
        }
    ]
    [issued] = euipo.tokens
    assert euipo.uses == {issued: 3}  # every search carried the token bought
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
    # Neither the secret nor the token reaches the log.
    log = (tmp_path / "run1" / "crawl.log").read_text()
    assert SECRET not in log and issued not in log

    # Next run: a week of overlap is searched again, nothing is yielded twice.
    second = _crawl(euipo_settings, tmp_path / "run2", output.state)
    assert second.ok, second.stats
    assert second.documents == []
    assert second.stats["source"]["skipped_seen"] == 5
    assert len(euipo.token_requests) == 2  # a new run buys a new token


def test_a_refused_token_is_renewed_once(
    euipo: EuipoFixture, euipo_settings: Settings, tmp_path: Path
) -> None:
    euipo.token_uses = 2  # a token expires after two searches; the run makes three
    output = _crawl(euipo_settings, tmp_path / "run")

    assert output.ok, output.stats
    assert len(output.documents) == 5
    assert len(euipo.token_requests) == 2 and all(r["secret_ok"] for r in euipo.token_requests)
    assert output.stats["source"]["token_renewals"] >= 1


def test_without_credentials_nothing_is_fetched(
    fixture_server: FixtureServer, euipo: EuipoFixture, euipo_settings: Settings, tmp_path: Path
) -> None:
    for client_id, secret in ((None, None), (CLIENT_ID, None), (None, SECRET)):
        work = tmp_path / f"run-{client_id}-{secret}"
        output = _crawl(_with_keys(euipo_settings, client_id, secret), work)
        assert not output.ok
        assert output.stats["finish_reason"] == "finished" and output.stats["requests"] == 0
        assert output.documents == [] and euipo.searches == []
        assert output.stats["error_samples"][0].startswith("config: no EUIPO client credentials")
    assert fixture_server.requests_to(TOKEN) == []


def test_a_wrong_secret_given_through_settings_fails_the_run_clearly(
    fixture_server: FixtureServer, euipo: EuipoFixture, euipo_settings: Settings, tmp_path: Path
) -> None:
    output = _crawl(_with_keys(euipo_settings, CLIENT_ID, "not-the-secret"), tmp_path / "run")

    # Not a crash: the run finished, counted the refusal and failed.
    assert not output.ok and output.stats["finish_reason"] == "finished"
    assert output.documents == [] and euipo.searches == []
    assert euipo.token_requests == [
        {
            "grant_type": "client_credentials",
            "scope": "uid",
            "client_id": CLIENT_ID,
            "via": "basic",
            "secret_ok": False,
        }
    ]
    [sample] = output.stats["error_samples"]
    assert sample.startswith("unauthorized: the EUIPO token endpoint refused the token request (HTTP 401")
    assert "invalid_client" in sample
    assert output.stats["source"]["errors/unauthorized"] == 1
    assert output.stats["source"]["search_failures"] == 2  # both windows stay to be searched
    assert output.state.get("retry_from") == "2024-09-20"
    assert "not-the-secret" not in (tmp_path / "run" / "crawl.log").read_text()

    # A wrong client id, likewise.
    other = _crawl(_with_keys(euipo_settings, "another-client", SECRET), tmp_path / "other")
    assert not other.ok and other.stats["source"]["errors/unauthorized"] == 1


def test_the_token_url_setting_sends_the_token_request_to_another_host(
    fixture_server: FixtureServer,
    token_server: FixtureServer,
    euipo: EuipoFixture,
    euipo_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert euipo_settings.sources.euipo_token is None  # unset: the default path, as the tests above
    other_token_url = f"{token_server.url}{OTHER_TOKEN}"
    settings = _settings_with_token_url_from_environment(monkeypatch, euipo_settings, other_token_url)

    output = _crawl(settings, tmp_path / "run")

    assert output.ok, output.stats
    assert len(output.documents) == 5
    # The token was bought from the configured endpoint only, the searches went to the API.
    assert token_server.requests_to(OTHER_TOKEN, method="POST") == [OTHER_TOKEN]
    assert fixture_server.requests_to(TOKEN) == []
    assert [(r["via"], r["secret_ok"]) for r in euipo.token_requests] == [("basic", True)]
    [issued] = euipo.tokens
    assert euipo.uses == {issued: 3}

    # A token_url spider argument still wins over the setting.
    default_token_url = f"{fixture_server.url}{TOKEN}"
    argued = _crawl(settings, tmp_path / "argued", extra_args={"token_url": default_token_url})
    assert argued.ok, argued.stats
    assert fixture_server.requests_to(TOKEN, method="POST") == [TOKEN]
    assert token_server.requests_to(OTHER_TOKEN) == [OTHER_TOKEN]  # not asked again


def test_a_token_url_setting_that_answers_404_fails_the_run_clearly(
    fixture_server: FixtureServer,
    euipo: EuipoFixture,
    euipo_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing_token_url = f"{fixture_server.url}/no-such/oauth2/token"
    settings = _settings_with_token_url_from_environment(monkeypatch, euipo_settings, missing_token_url)

    output = _crawl(settings, tmp_path / "run")

    # Not a crash: the run finished, counted the 404 as an error of the source and failed.
    assert not output.ok and output.stats["finish_reason"] == "finished"
    assert output.documents == [] and euipo.searches == [] and euipo.token_requests == []
    assert fixture_server.requests_to("/no-such/oauth2/token", method="POST") == ["/no-such/oauth2/token"]
    assert fixture_server.requests_to(TOKEN) == []
    assert output.stats["errors"] == 1
    assert output.stats["error_samples"] == [f"http_404: {missing_token_url}"]
    assert output.stats["source"]["errors/http_404"] == 1
    assert output.stats["source"]["search_failures"] == 2  # both windows stay to be searched
    assert output.state.get("retry_from") == "2024-09-20"
