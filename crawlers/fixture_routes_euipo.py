"""Fixture routes of the EUIPO trademark search API and its OAuth2 token endpoint.

* ``POST /oidc/accessToken`` — client-credentials token endpoint (client id and secret in HTTP
  Basic, ``grant_type=client_credentials``).  CONSTRUCTED: answers ``access_token``,
  ``token_type``, ``expires_in`` as an OAuth2 server does.  (The fixture server dispatches GET
  and HEAD only so far: this route answers once it dispatches POST; tests may point the spider's
  ``token_url`` at a receiver of their own meanwhile.)
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
    server.add_route(re.escape(TOKEN_PATH), lambda r: token_response(r.headers, fixture), methods=("POST",))
    server.add_route(re.escape(SEARCH_PATH), lambda r: _search(r, fixture))


def token_response(headers: Any, fixture: EuipoFixture) -> FixtureResponse:
    """The token endpoint's answer for a request with these headers (also used by tests that
    serve the token from a receiver of their own)."""
    authorization = (headers.get("Authorization") or "") if headers is not None else ""
    scheme, _, encoded = authorization.partition(" ")
    try:
        client_id, _, secret = base64.b64decode(encoded).decode("utf-8").partition(":")
    except ValueError:
        client_id, secret = "", ""
    if scheme.lower() != "basic" or (client_id, secret) != (fixture.client_id, fixture.client_secret):
        return FixtureResponse.json({"error": "invalid_client"}, status=401)
    return FixtureResponse.json(
        {"access_token": fixture.issue(), "token_type": "Bearer", "expires_in": fixture.expires_in}
    )


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
