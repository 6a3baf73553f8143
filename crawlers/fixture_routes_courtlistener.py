"""Fixture routes: CourtListener REST API v4 (search ``type=r``, dockets, parties).

CONSTRUCTED RESPONSES.  No real CourtListener response is among the samples, so the data
served here is built, and labelled so (``CONSTRUCTED`` in names and docstrings):

* the cases are the real ones of ``ecommerce/us_ip_case_captions.json`` (captions, docket
  numbers, courts, filing dates; TTAB proceedings are not court dockets and are left out);
* docket and party records use only the field names the real OPTIONS dump documents
  (``ecommerce/courtlistener_v4_options.json``); the routes check that at start-up and refuse
  an undocumented field.  Search results use the field names SOURCES.md documents (the
  OPTIONS dump has none for search);
* docket ids, natures of suit, causes, firms, attorneys, docket texts and party lists are
  MADE UP for the tests, in the wording N.D. Ill. and S.D. Fla. Schedule A dockets use.

Behaviour, as the real API: ``Authorization: Token <token>`` is required (401 otherwise,
and when :attr:`CourtListenerFixture.token` is set, that exact token); cursor pagination
(opaque ``cursor``, absolute ``next`` / ``previous`` URLs); filters ``court`` (space
separated), ``filed_after`` / ``filed_before`` (case filing date), ``entry_date_filed_after``
(dockets with an entry filed on or after that day, nesting only those entries); ordering by
``dateFiled`` or ``entry_date_filed``.  ``q`` is accepted but not parsed (no Lucene here): the
data holds IP suits only, which is what the spider's query asks for, and a docket outside the
configured courts is filtered by ``court``.  :func:`throttle_next` scripts a 429 with
``Retry-After``.  Tests change the data through ``server.sources["courtlistener"]``
(:meth:`CourtListenerFixture.unseal`, :meth:`~CourtListenerFixture.add_entry`, …).
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ipsentry.crawlers.fixture_server import JSON, FixtureRequest, FixtureResponse
from ipsentry.crawlers.parsers.dockets import court_id_from_abbreviation, normalise_docket_number

if TYPE_CHECKING:
    from ipsentry.crawlers.fixture_server import FixtureServer

API = "/api/rest/v4"
SEARCH_PATH = f"{API}/search/"
DOCKETS_PATH = f"{API}/dockets/"
PARTIES_PATH = f"{API}/parties/"
SAMPLE_DIR = "ecommerce"
CAPTIONS = "us_ip_case_captions.json"
OPTIONS = "courtlistener_v4_options.json"
PAGE_SIZE = 20  # the real search answers 20 results a page
PARTIES_PAGE_SIZE = 20
NESTED_DOCUMENTS = 5  # matching entries nested per search result (``more_docs`` beyond)
# CONSTRUCTED: docket ids are made up; this keeps them clear of small numbers tests use.
DOCKET_ID_BASE = 68_000_000


@dataclass
class ConstructedEntry:
    """CONSTRUCTED docket entry (made-up text in real docket wording)."""

    entry_number: int
    date_filed: date
    description: str
    short_description: str = ""


@dataclass
class ConstructedParty:
    """CONSTRUCTED party: name, PACER party type ("Plaintiff", "Defendant"), extra info."""

    name: str
    party_type: str
    extra_info: str = ""


@dataclass
class ConstructedDocket:
    """One CONSTRUCTED docket around a real caption, docket number, court and filing date."""

    id: int
    court_id: str
    case_name: str
    docket_number: str
    date_filed: date
    nature_of_suit: str
    cause: str
    firms: list[str] = field(default_factory=list)
    attorneys: list[str] = field(default_factory=list)
    parties: list[ConstructedParty] = field(default_factory=list)
    entries: list[ConstructedEntry] = field(default_factory=list)
    date_terminated: date | None = None
    date_modified: datetime = field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=UTC))

    @property
    def latest_entry_date(self) -> date | None:
        return max((e.date_filed for e in self.entries), default=None)


@dataclass
class CourtListenerFixture:
    """The data and switches of the CourtListener routes (``server.sources["courtlistener"]``)."""

    dockets: dict[int, ConstructedDocket]
    token: str | None = None  # None: any token is accepted, but one must be sent
    page_size: int = PAGE_SIZE
    authorized: int = 0  # requests that carried an accepted token (never the token itself)
    refused: int = 0  # requests answered 401
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def docket(self, docket_number: str) -> ConstructedDocket:
        """The docket with this (normalised) docket number."""
        wanted = normalise_docket_number(docket_number) or docket_number
        for docket in self.dockets.values():
            if docket.docket_number == wanted:
                return docket
        raise KeyError(docket_number)

    def add_docket(self, docket: ConstructedDocket) -> None:
        with self._lock:
            self.dockets[docket.id] = docket

    def add_entry(self, docket_id: int, description: str, filed: date, short_description: str = "") -> None:
        """A new docket entry (the case moved): the docket is modified at that moment."""
        with self._lock:
            docket = self.dockets[docket_id]
            number = max((e.entry_number for e in docket.entries), default=0) + 1
            docket.entries.append(ConstructedEntry(number, filed, description, short_description))
            docket.date_modified = max(
                docket.date_modified, datetime.combine(filed, datetime.min.time(), tzinfo=UTC)
            )

    def unseal(self, docket_id: int, sellers: list[str], filed: date) -> None:
        """The Schedule A is unsealed: the sellers become defendant parties (a CONSTRUCTED
        entry records it), as CourtListener shows once someone refreshes the docket."""
        with self._lock:
            docket = self.dockets[docket_id]
            docket.parties.extend(ConstructedParty(name, "Defendant") for name in sellers)
        self.add_entry(
            docket_id,
            "ORDER: Plaintiff's motion to unseal is granted. The Clerk is directed to unseal "
            "Schedule A to the Complaint and the Temporary Restraining Order.",
            filed,
            "Order on Motion to Unseal",
        )


# ---------------------------------------------------------------------------------------------
# The CONSTRUCTED data set


def _constructed_dockets(captions: list[dict[str, Any]]) -> dict[int, ConstructedDocket]:
    """CONSTRUCTED dockets for the court cases among the real caption records."""
    made_up: dict[str, dict[str, Any]] = {
        # River Light V, LP holds the TORY BURCH marks; a trademark Schedule A suit.
        "1-24-cv-03089": {
            "nature_of_suit": "840 Trademark",
            "cause": "15:1114 Trademark Infringement",
            "firms": ["Greer, Burns & Crain, Ltd."],
            "attorneys": ["A. Example (constructed)"],
            "entries": [
                (
                    0,
                    "COMPLAINT filed by River Light V, LP (the TORY BURCH Trademarks); Filing fee $ 405. "
                    "(Attachments: # 1 Exhibit Schedule A (sealed))",
                    "Complaint",
                ),
                (0, "NOTICE of Claims Involving Trademarks by River Light V, LP", "Notice of Claims"),
                (
                    6,
                    "SEALED MOTION by Plaintiff River Light V, LP for temporary restraining order "
                    "including a temporary asset restraint",
                    "Motion for TRO",
                ),
                (
                    9,
                    "MINUTE entry before the Honorable Judge: Plaintiff's motion for entry of a "
                    "temporary restraining order is granted. Enter Sealed Temporary Restraining Order.",
                    "Order on Motion for TRO",
                ),
            ],
        },
        "1-24-cv-02174": {
            "nature_of_suit": "840 Trademark",
            "cause": "15:1114 Trademark Infringement",
            "firms": ["Greer Burns & Crain Ltd"],
            "attorneys": ["B. Example (constructed)"],
            "entries": [
                (0, "COMPLAINT filed by General Motors LLC (the GM Trademarks); Jury Demand.", "Complaint"),
            ],
        },
        # GoPro's S.D. Fla. suit, here a design-patent one; one entry carries markup.
        "1-24-cv-20037": {
            "nature_of_suit": "830 Patent",
            "cause": "35:271 Patent Infringement",
            "firms": ["Stephen M. Gaffigan, P.A."],
            "attorneys": ["C. Example (constructed)"],
            "entries": [
                (
                    0,
                    "COMPLAINT against The Individuals, Corporations, Limited Liability Companies, "
                    "Partnerships, and Unincorporated Associations Identified on Schedule A. "
                    "(the GoPro Design Patents)",
                    "Complaint",
                ),
                (
                    3,
                    "Ex Parte MOTION for Temporary Restraining Order by GoPro, Inc. "
                    '(<a href="/docket/68340000/3/">Attachments</a>: # 1 Exhibit Schedule A)',
                    "Motion for TRO",
                ),
                (
                    8,
                    "ORDER GRANTING Ex Parte Application for Entry of Temporary Restraining Order. "
                    "<b>Signed by Judge.</b>",
                    "Order on Motion for TRO",
                ),
            ],
        },
        # A copyright suit in C.D. Cal.: outside the default courts, the court filter drops it.
        "2-23-cv-10738": {
            "nature_of_suit": "820 Copyright",
            "cause": "17:501 Copyright Infringement",
            "firms": [],
            "attorneys": [],
            "entries": [(0, "COMPLAINT filed by Dahdoul Textiles, Inc.", "Complaint")],
        },
    }
    dockets: dict[int, ConstructedDocket] = {}
    for record in captions:
        facts = made_up.get(str(record.get("case_number")))
        if facts is None or record.get("court_abbreviation") == "TTAB":
            continue
        filed = date.fromisoformat(str(record["case_filing_date"]))
        docket_id = DOCKET_ID_BASE + int(record["case_id"])
        caption = str(record["case_name"])
        plaintiff = caption.split(" v. ", 1)[0]
        defendant = caption.split(" v. ", 1)[1] if " v. " in caption else ""
        entries = [
            ConstructedEntry(number, filed + timedelta(days=offset), text, short)
            for number, (offset, text, short) in enumerate(facts["entries"], start=1)
        ]
        latest = max(e.date_filed for e in entries)
        dockets[docket_id] = ConstructedDocket(
            id=docket_id,
            court_id=court_id_from_abbreviation(str(record["court_abbreviation"])),
            case_name=caption,
            docket_number=normalise_docket_number(str(record["case_number"])) or str(record["case_number"]),
            date_filed=filed,
            nature_of_suit=facts["nature_of_suit"],
            cause=facts["cause"],
            firms=list(facts["firms"]),
            attorneys=list(facts["attorneys"]),
            parties=[
                ConstructedParty(plaintiff, "Plaintiff"),
                ConstructedParty(defendant.removesuffix(" et al"), "Defendant"),
            ],
            entries=entries,
            date_modified=datetime.combine(latest, datetime.min.time(), tzinfo=UTC),
        )
    return dockets


# ---------------------------------------------------------------------------------------------
# Documented field names (from the real OPTIONS dump)


def _documented_fields(options: dict[str, Any]) -> dict[str, set[str]]:
    def names(endpoint: str) -> set[str]:
        return set(options[endpoint]["actions"]["POST"])

    party_types = set(options["parties"]["actions"]["POST"]["party_types"]["children"])
    return {"dockets": names("dockets"), "parties": names("parties"), "party_types": party_types}


def _checked(record: dict[str, Any], documented: set[str], endpoint: str) -> dict[str, Any]:
    undocumented = set(record) - documented
    if undocumented:
        raise ValueError(f"constructed {endpoint} record uses undocumented fields: {sorted(undocumented)}")
    return record


# ---------------------------------------------------------------------------------------------
# Routes


def register_routes(server: FixtureServer) -> None:
    folder = server.samples_dir / SAMPLE_DIR
    captions = json.loads((folder / CAPTIONS).read_text(encoding="utf-8"))
    fixture = CourtListenerFixture(dockets=_constructed_dockets(captions))
    documented = _documented_fields(_load_options(folder / OPTIONS))
    server.sources["courtlistener"] = fixture
    server.add_route(SEARCH_PATH, _authorized(fixture, lambda r: _search(r, fixture)))
    server.add_route(
        rf"{DOCKETS_PATH}(?P<id>\d+)/", _authorized(fixture, lambda r: _docket(r, fixture, documented))
    )
    server.add_route(PARTIES_PATH, _authorized(fixture, lambda r: _parties(r, fixture, documented)))


def _load_options(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def throttle_next(
    server: FixtureServer, *, path: str = SEARCH_PATH, retry_after: float = 1, times: int = 1
) -> None:
    """The next ``times`` requests under ``path`` get CourtListener's 429 with Retry-After."""
    body = json.dumps({"detail": f"Request was throttled. Expected available in {retry_after:g} seconds."})
    server.fail_next(
        path, status=429, retry_after=retry_after, times=times, body=body.encode(), content_type=JSON
    )


def _authorized(fixture: CourtListenerFixture, handler: Any) -> Any:
    def guarded(request: FixtureRequest) -> FixtureResponse:
        header = (request.headers.get("Authorization") or "").strip()
        scheme, _, token = header.partition(" ")
        if scheme != "Token" or not token.strip():
            with fixture._lock:
                fixture.refused += 1
            return FixtureResponse.json({"detail": "Authentication credentials were not provided."}, 401)
        if fixture.token is not None and token.strip() != fixture.token:
            with fixture._lock:
                fixture.refused += 1
            return FixtureResponse.json({"detail": "Invalid token."}, 401)
        with fixture._lock:
            fixture.authorized += 1
        response: FixtureResponse = handler(request)
        return response

    return guarded


def _day(value: str | None) -> date | None:
    """``2024-04-17`` or ``04/17/2024`` (the site's form writes US dates)."""
    if not value:
        return None
    try:
        if "/" in value:
            month, day, year = (int(part) for part in value.split("/"))
            return date(year, month, day)
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    padded = cursor + "=" * (-len(cursor) % 4)
    return int(json.loads(base64.urlsafe_b64decode(padded))["o"])


def _page_url(request: FixtureRequest, offset: int) -> str:
    query = {k: v for k, v in request.query.items() if k != "cursor"}
    if offset:
        query["cursor"] = [_cursor(offset)]
    suffix = urlencode(query, doseq=True)
    return f"{request.server.url}{request.path}" + (f"?{suffix}" if suffix else "")


def _paged(request: FixtureRequest, items: list[dict[str, Any]], size: int) -> dict[str, Any]:
    try:
        offset = _offset(request.param("cursor"))
    except (ValueError, KeyError, json.JSONDecodeError):
        raise ValueError("Invalid cursor") from None
    chunk = items[offset : offset + size]
    return {
        "count": len(items),
        "next": _page_url(request, offset + size) if offset + size < len(items) else None,
        "previous": _page_url(request, max(0, offset - size)) if offset else None,
        "results": chunk,
    }


def _search(request: FixtureRequest, fixture: CourtListenerFixture) -> FixtureResponse:
    if request.param("type", "o") != "r":
        return FixtureResponse.json({"detail": "only type=r is served by this fixture"}, 400)
    try:
        filed_after = _day(request.param("filed_after"))
        filed_before = _day(request.param("filed_before"))
        entries_after = _day(request.param("entry_date_filed_after"))
    except ValueError as error:
        return FixtureResponse.json({"detail": str(error)}, 400)
    courts = {c for c in (request.param("court") or "").replace(",", " ").split() if c}
    with fixture._lock:
        dockets = list(fixture.dockets.values())
    matched: list[tuple[ConstructedDocket, list[ConstructedEntry]]] = []
    for docket in dockets:
        if courts and docket.court_id not in courts:
            continue
        if (filed_after and docket.date_filed < filed_after) or (
            filed_before and docket.date_filed > filed_before
        ):
            continue
        entries = [e for e in docket.entries if entries_after is None or e.date_filed >= entries_after]
        if entries_after is not None and not entries:
            continue
        matched.append((docket, entries))
    order = (request.param("order_by") or "score desc").split()
    field_name, descending = order[0], (order[1:] or ["desc"])[0] == "desc"
    if field_name == "entry_date_filed":
        matched.sort(
            key=lambda m: (max(e.date_filed for e in m[1]) if m[1] else date.min, m[0].id), reverse=descending
        )
    else:  # dateFiled, and relevance (no scores here)
        matched.sort(key=lambda m: (m[0].date_filed, m[0].id), reverse=descending)
    results = [_search_result(docket, entries) for docket, entries in matched]
    try:
        return FixtureResponse.json(_paged(request, results, fixture.page_size))
    except ValueError as error:
        return FixtureResponse.json({"detail": str(error)}, 404)


def _search_result(docket: ConstructedDocket, entries: list[ConstructedEntry]) -> dict[str, Any]:
    """One CONSTRUCTED search result, with the field names SOURCES.md documents."""
    nested = sorted(entries, key=lambda e: (e.date_filed, e.entry_number), reverse=True)[:NESTED_DOCUMENTS]
    return {
        "docket_id": docket.id,
        "caseName": docket.case_name,
        "docketNumber": docket.docket_number,
        "court_id": docket.court_id,
        "dateFiled": docket.date_filed.isoformat(),
        "dateTerminated": docket.date_terminated.isoformat() if docket.date_terminated else None,
        "suitNature": docket.nature_of_suit,
        "cause": docket.cause,
        "party": [party.name for party in docket.parties],
        "attorney": list(docket.attorneys),
        "firm": list(docket.firms),
        "docket_absolute_url": f"/docket/{docket.id}/constructed/",
        "recap_documents": [
            {
                "description": entry.description,
                "short_description": entry.short_description,
                "entry_number": entry.entry_number,
                "entry_date_filed": entry.date_filed.isoformat(),
            }
            for entry in nested
        ],
    }


def _docket(
    request: FixtureRequest, fixture: CourtListenerFixture, documented: dict[str, set[str]]
) -> FixtureResponse:
    docket = fixture.dockets.get(int(request.match["id"]))
    if docket is None:
        return FixtureResponse.json({"detail": "No Docket matches the given query."}, 404)
    base = request.server.url
    record = {
        "resource_uri": f"{base}{DOCKETS_PATH}{docket.id}/",
        "id": docket.id,
        "court": f"{base}{API}/courts/{docket.court_id}/",
        "court_id": docket.court_id,
        "absolute_url": f"/docket/{docket.id}/constructed/",
        "case_name": docket.case_name,
        "case_name_full": docket.case_name,
        "docket_number": docket.docket_number,
        "date_filed": docket.date_filed.isoformat(),
        "date_terminated": docket.date_terminated.isoformat() if docket.date_terminated else None,
        "date_last_filing": (docket.latest_entry_date or docket.date_filed).isoformat(),
        "date_modified": docket.date_modified.isoformat(),
        "nature_of_suit": docket.nature_of_suit,
        "cause": docket.cause,
        "pacer_case_id": str(docket.id % 1_000_000),
        "assigned_to_str": "",
        "jury_demand": "Plaintiff",
        "jurisdiction_type": "Federal question",
    }
    return FixtureResponse.json(_checked(record, documented["dockets"], "dockets"))


def _parties(
    request: FixtureRequest, fixture: CourtListenerFixture, documented: dict[str, set[str]]
) -> FixtureResponse:
    raw = request.param("docket") or ""
    if not raw.isdigit():
        return FixtureResponse.json({"docket": ["Enter a number."]}, 400)
    docket = fixture.dockets.get(int(raw))
    base = request.server.url
    records: list[dict[str, Any]] = []
    for index, party in enumerate(docket.parties if docket else []):
        party_type = _checked(
            {
                "docket": f"{base}{DOCKETS_PATH}{docket.id}/" if docket else None,
                "docket_id": docket.id if docket else None,
                "name": party.party_type,
                "date_terminated": None,
                "extra_info": party.extra_info,
            },
            documented["party_types"],
            "party_types",
        )
        records.append(
            _checked(
                {
                    "resource_uri": f"{base}{PARTIES_PATH}{(docket.id if docket else 0) * 100 + index}/",
                    "id": (docket.id if docket else 0) * 100 + index,
                    "attorneys": [],
                    "party_types": [party_type],
                    "date_created": docket.date_modified.isoformat() if docket else None,
                    "date_modified": docket.date_modified.isoformat() if docket else None,
                    "name": party.name,
                    "extra_info": "",
                },
                documented["parties"],
                "parties",
            )
        )
    try:
        return FixtureResponse.json(_paged(request, records, PARTIES_PAGE_SIZE))
    except ValueError as error:
        return FixtureResponse.json({"detail": str(error)}, 404)
