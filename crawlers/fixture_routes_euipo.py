"""Fixture routes of the EUIPO trademark search API and its OAuth2 token endpoint.

* ``POST /oidc/accessToken`` — the client-credentials token endpoint.  CONSTRUCTED, as RFC 6749
  (sections 2.3.1, 4.4, 5) describes one: a form body (``application/x-www-form-urlencoded``)
  with ``grant_type=client_credentials`` and an optional ``scope`` (``uid``, what EUIPO grants);
  the client authenticates with HTTP Basic or with ``client_id`` / ``client_secret`` in the body
  (one way only).  Answers ``access_token``, ``token_type``, ``expires_in`` with
  ``Cache-Control: no-store``; else 400 ``invalid_request`` / ``unsupported_grant_type`` /
  ``invalid_scope``, or 401 ``invalid_client``.  GET there answers 405.  Each token request is
  recorded in ``token_requests`` (the secret reduced to whether it was right).
* ``GET /trademark-search/trademarks?query=…&page=…&size=…&sort=applicationDate:desc`` — needs
  ``Authorization: Bearer <token>`` and ``X-IBM-Client-Id``.  Understands the RSQL the spider
  sends (``applicationDate>=D and applicationDate<=D``), pages from 0.

The response shape is the real sample's (``trademark/euipo-tmsearch-api-search-response-
000274084.json``: ``trademarks[]``, ``totalElements``, ``totalPages``, ``size``, ``page``) and the
real record 000274084 is served as captured.  The other trademarks are CONSTRUCTED in that shape
(made-up application numbers and applicants, ``applicantReference`` "CONSTRUCTED"; marks are the
real USPTO sample marks, refiled here as EU applications in September 2024) so that the spider's
date windows, paging and increments have something to read.  Tests change
``server.sources["euipo"]``.
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ipsentry.crawlers.fixture_server import FixtureRequest, FixtureResponse, FixtureServer

SAMPLE = "trademark/euipo-tmsearch-api-search-response-000274084.json"
TOKEN_PATH = "/oidc/accessToken"
SEARCH_PATH = "/trademark-search/trademarks"
TOKEN_SCOPE = "uid"
CONSTRUCTED = "CONSTRUCTED"
_DATE_BOUND = re.compile(r"applicationDate\s*(>=|<=|==|>|<)\s*(\d{4}-\d{2}-\d{2})")

# (application number, mark, applicant, Nice classes, application date): CONSTRUCTED filings.
CONSTRUCTED_FILINGS = (
    ("019080001", "SUVENEER", "Constructed Applicant One", (16,), "2024-09-24"),
    ("019080002", "NITRO GLISSERIN", "Constructed Applicant Two", (3, 18), "2024-09-24"),
    ("019080003", "MADISON SQUARE GARDEN", "Constructed Applicant Three", (41,), "2024-09-25"),
    ("019080004", "GRIGIOPERLA", "Constructed Applicant Four", (25,), "2024-09-26"),
    ("019080005", "SARGENT", "Constructed Applicant Five", (6, 20), "2024-09-27"),
)


@dataclass
class EuipoFixture:
    trademarks: list[dict[str, Any]]
    client_id: str = "constructed-client"
    client_secret: str = "constructed-secret"
    expires_in: int = 3600
    tokens: list[str] = field(default_factory=list)  # accepted bearer tokens
    token_uses: int | None = None  # searches a token serves before it is refused (expired)
    searches: list[dict[str, list[str]]] = field(default_factory=list)
    uses: dict[str, int] = field(default_factory=dict)
    # What each token request carried: grant_type, scope, client_id, how the client
    # authenticated ("basic" or "body") and whether the secret was right.
    token_requests: list[dict[str, Any]] = field(default_factory=list)

    def accepts(self, token: str) -> bool:
        if token not in self.tokens:
            return False
        self.uses[token] = self.uses.get(token, 0) + 1
        return self.token_uses is None or self.uses[token] <= self.token_uses

    def issue(self) -> str:
        token = secrets.token_hex(16)
        self.tokens.append(token)
        return token


def constructed_trademark(
    number: str, mark: str, applicant: str, classes: tuple[int, ...], day: str
) -> dict[str, Any]:
    """One search result in the sample's shape (CONSTRUCTED values)."""
    return {
        "applicationNumber": number,
        "applicantReference": CONSTRUCTED,
        "markKind": "INDIVIDUAL",
        "markFeature": "WORD",
        "markBasis": "EU_TRADEMARK",
        "niceClasses": list(classes),
        "wordMarkSpecification": {"verbalElement": mark},
        "applicants": [{"office": "EM", "identifier": f"C{number[-4:]}", "name": applicant}],
        "representatives": [],
        "applicationDate": day,
        "status": "RECEIVED",
    }


def register_routes(server: FixtureServer) -> None:
    sample = json.loads((server.samples_dir / SAMPLE).read_text(encoding="utf-8"))
    fixture = EuipoFixture(
        trademarks=[*sample["trademarks"], *(constructed_trademark(*row) for row in CONSTRUCTED_FILINGS)]
    )
    server.sources["euipo"] = fixture
    server.add_route(re.escape(TOKEN_PATH), lambda r: token_response(r, fixture), methods=("POST",))
    server.add_route(re.escape(SEARCH_PATH), lambda r: _search(r, fixture))


def token_response(request: FixtureRequest, fixture: EuipoFixture) -> FixtureResponse:
    """The token endpoint's answer to one POST (see the module docstring)."""
    form = request.form()
    if form is None:
        return _oauth_error(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
    fields = {name: values[0] for name, values in form.items() if values}
    if any(len(values) > 1 for values in form.values()):
        return _oauth_error(400, "invalid_request", "a parameter is repeated")
    basic = _basic_credentials(request.headers.get("Authorization") if request.headers is not None else None)
    in_body = "client_id" in fields or "client_secret" in fields
    record: dict[str, Any] = {
        "grant_type": fields.get("grant_type"),
        "scope": fields.get("scope"),
        "client_id": basic[0] if basic else fields.get("client_id"),
        "via": "basic" if basic else "body" if in_body else None,
        "secret_ok": False,
    }
    fixture.token_requests.append(record)
    if basic and in_body:
        return _oauth_error(400, "invalid_request", "more than one client authentication method")
    if "grant_type" not in fields:
        return _oauth_error(400, "invalid_request", "grant_type is missing")
    client_id, secret = basic or (fields.get("client_id", ""), fields.get("client_secret", ""))
    record["secret_ok"] = secret == fixture.client_secret
    if (client_id, secret) != (fixture.client_id, fixture.client_secret):
        headers = {"WWW-Authenticate": 'Basic realm="euipo"'} if basic else {}
        return _oauth_error(401, "invalid_client", "client authentication failed", headers)
    if fields["grant_type"] != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", f"grant_type {fields['grant_type']!r}")
    if "scope" in fields and set(fields["scope"].split()) - {TOKEN_SCOPE}:
        return _oauth_error(400, "invalid_scope", f"scope {fields['scope']!r}")
    response = FixtureResponse.json(
        {
            "access_token": fixture.issue(),
            "token_type": "Bearer",
            "expires_in": fixture.expires_in,
            "scope": TOKEN_SCOPE,
        }
    )
    response.headers.update({"Cache-Control": "no-store", "Pragma": "no-cache"})
    return response


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(client id, secret) of an HTTP Basic ``Authorization`` header; ``None`` without one, and
    ("", "") for one that cannot be read (which then fails as a wrong client)."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except ValueError:
        return "", ""
    return client_id, secret


def _oauth_error(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> FixtureResponse:
    response = FixtureResponse.json({"error": error, "error_description": description}, status=status)
    response.headers.update({"Cache-Control": "no-store", **(headers or {})})
    return response


def _search(request: FixtureRequest, fixture: EuipoFixture) -> FixtureResponse:
    authorization = request.headers.get("Authorization") or "" if request.headers is not None else ""
    client = request.headers.get("X-IBM-Client-Id") if request.headers is not None else None
    if client != fixture.client_id or not fixture.accepts(authorization.removeprefix("Bearer ")):
        return FixtureResponse.json({"error": "unauthorized", "message": "invalid or expired token"}, 401)
    fixture.searches.append(request.query)
    try:
        page = int(request.param("page", "0") or 0)
        size = min(max(int(request.param("size", "10") or 10), 1), 100)
    except ValueError:
        return FixtureResponse.json({"error": "bad request", "message": "page and size are numbers"}, 400)
    found = [t for t in fixture.trademarks if _matches(t, request.param("query") or "")]
    found.sort(key=lambda t: (str(t.get("applicationDate")), str(t.get("applicationNumber"))), reverse=True)
    return FixtureResponse.json(
        {
            "trademarks": found[page * size : (page + 1) * size],
            "totalElements": len(found),
            "totalPages": math.ceil(len(found) / size),
            "size": size,
            "page": page,
        }
    )


def _matches(trademark: dict[str, Any], query: str) -> bool:
    """The applicationDate bounds of an RSQL query (other clauses are not modelled)."""
    day = date.fromisoformat(str(trademark.get("applicationDate"))[:10])
    for operator, value in _DATE_BOUND.findall(query):
        bound = date.fromisoformat(value)
        if not {
            ">=": day >= bound,
            "<=": day <= bound,
            "==": day == bound,
            ">": day > bound,
            "<": day < bound,
        }[operator]:
            return False
    return True
