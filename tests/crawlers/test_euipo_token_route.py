"""The fixture's EUIPO token endpoint answers a POST as an OAuth2 client-credentials token
endpoint does (RFC 6749 sections 2.3.1, 4.4 and 5): form body checked, client authenticated,
tokens issued that the search route then accepts."""

from __future__ import annotations

import base64

import httpx
import pytest

from ipsentry.crawlers.fixture_routes_euipo import EuipoFixture
from ipsentry.crawlers.fixture_server import FixtureServer

TOKEN = "/oidc/accessToken"
SEARCH = "/trademark-search/trademarks"


@pytest.fixture
def euipo(fixture_server: FixtureServer) -> EuipoFixture:
    fixture: EuipoFixture = fixture_server.sources["euipo"]
    return fixture


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_client_credentials_in_basic_or_in_the_body_buy_a_token_the_search_accepts(
    fixture_server: FixtureServer, euipo: EuipoFixture
) -> None:
    grant = {"grant_type": "client_credentials", "scope": "uid"}
    with httpx.Client(base_url=fixture_server.url) as client:
        basic = client.post(TOKEN, data=grant, headers=_basic(euipo.client_id, euipo.client_secret))
        body = client.post(
            TOKEN, data={**grant, "client_id": euipo.client_id, "client_secret": euipo.client_secret}
        )
        for answer in (basic, body):
            assert answer.status_code == 200
            assert answer.headers["Cache-Control"] == "no-store"
            payload = answer.json()
            assert payload["token_type"] == "Bearer" and payload["expires_in"] == euipo.expires_in
            search = client.get(
                SEARCH,
                params={"query": "applicationDate==2024-09-24"},
                headers={
                    "Authorization": f"Bearer {payload['access_token']}",
                    "X-IBM-Client-Id": euipo.client_id,
                },
            )
            assert search.status_code == 200 and search.json()["totalElements"] == 2
        unknown = client.get(SEARCH, headers={"Authorization": "Bearer made-up", "X-IBM-Client-Id": "x"})
        assert unknown.status_code == 401
    assert basic.json()["access_token"] != body.json()["access_token"]
    assert [(r["via"], r["secret_ok"]) for r in euipo.token_requests] == [("basic", True), ("body", True)]


@pytest.mark.parametrize(
    ("data", "headers", "status", "error"),
    [
        # No grant type, another grant, a scope EUIPO does not grant.
        ({"scope": "uid"}, "basic", 400, "invalid_request"),
        ({"grant_type": "password", "scope": "uid"}, "basic", 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "admin"}, "basic", 400, "invalid_scope"),
        # Wrong or missing client authentication.
        ({"grant_type": "client_credentials"}, "wrong", 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        (
            {"grant_type": "client_credentials", "client_id": "constructed-client", "client_secret": "x"},
            None,
            401,
            "invalid_client",
        ),
        # Two authentication methods at once.
        (
            {"grant_type": "client_credentials", "client_id": "constructed-client"},
            "basic",
            400,
            "invalid_request",
        ),
    ],
)
def test_bad_token_requests_get_oauth2_errors(
    fixture_server: FixtureServer,
    euipo: EuipoFixture,
    data: dict[str, str],
    headers: str | None,
    status: int,
    error: str,
) -> None:
    sent = {
        "basic": _basic(euipo.client_id, euipo.client_secret),
        "wrong": _basic(euipo.client_id, "not-the-secret"),
        None: {},
    }[headers]
    answer = httpx.post(f"{fixture_server.url}{TOKEN}", data=data, headers=sent)
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    assert euipo.tokens == []  # nothing issued
    if headers == "wrong":
        assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_the_token_endpoint_takes_a_form_post_only(
    fixture_server: FixtureServer, euipo: EuipoFixture
) -> None:
    url = f"{fixture_server.url}{TOKEN}"
    credentials = _basic(euipo.client_id, euipo.client_secret)
    as_json = httpx.post(url, json={"grant_type": "client_credentials"}, headers=credentials)
    assert (as_json.status_code, as_json.json()["error"]) == (400, "invalid_request")
    assert httpx.get(url, headers=credentials).status_code == 405
    assert euipo.tokens == []
