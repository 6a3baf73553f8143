"""Fixture route of the Federal Register public-inspection search:
``/api/v1/public-inspection-documents.json?conditions[available_on]=DAY&conditions[agencies][]=…``.

No public-inspection response was captured, so the records are CONSTRUCTED from the real notices
the Federal Register fixture serves (the 792 records of
``federal_register_337_titles_abstracts.json`` and the two built from captured full texts): each
keeps its real document number, title and publication date, and is put on public inspection the
business day before publication at 8:45 a.m. Eastern (the desk's regular filing time, as the real
``filed_at`` values show).  Field names follow the API's public-inspection fields (see
:mod:`ipsentry.crawlers.parsers.fr_public_inspection`); there is no abstract, as in the real API,
and no docket numbers, since the samples do not give them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ipsentry.crawlers.fixture_server import USITC_AGENCY, FixtureRequest, FixtureResponse, FixtureServer

PI_PATH = r"/api/v1/public-inspection-documents\.json"
FILING_TIME = "T08:45:00.000-05:00"


@dataclass
class PublicInspectionFixture:
    """Constructed public-inspection records, each with the day it became available."""

    records: list[dict[str, Any]]

    def on_day(self, day: date) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("last_public_inspection_issue") == day.isoformat()]


def register_routes(server: FixtureServer) -> None:
    federal_register = server.sources["federal_register"]
    records = [r for r in (public_inspection_record(r) for r in federal_register.records) if r]
    fixture = PublicInspectionFixture(records=records)
    server.sources["fr_public_inspection"] = fixture
    server.add_route(PI_PATH, lambda request: _search(request, fixture))


def available_on(published: date) -> date:
    """The business day before publication (Monday's issue is on inspection the Friday before)."""
    day = published - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def public_inspection_record(record: dict[str, Any]) -> dict[str, Any] | None:
    """CONSTRUCTED FROM A REAL NOTICE: its public-inspection record (None if it has no date)."""
    number = str(record.get("document_number") or "")
    try:
        published = date.fromisoformat(str(record.get("publication_date")))
    except ValueError:
        return None
    title = str(record.get("title") or "")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:100]
    day = available_on(published)
    return {
        "document_number": number,
        "title": title,
        "type": "Notice",
        "agencies": [dict(USITC_AGENCY)],
        "agency_names": [USITC_AGENCY["name"]],
        "docket_numbers": [],
        "editorial_note": None,
        "filed_at": f"{day.isoformat()}{FILING_TIME}",
        "filing_type": "regular",
        "last_public_inspection_issue": day.isoformat(),
        "publication_date": published.isoformat(),
        "html_url": f"https://www.federalregister.gov/public-inspection/{number}/{slug}",
        "pdf_url": f"https://public-inspection.federalregister.gov/{number}.pdf",
    }


def _search(request: FixtureRequest, fixture: PublicInspectionFixture) -> FixtureResponse:
    value = request.param("conditions[available_on]")
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        errors = {"available_on": [f"is not a valid date: {value!r}"]}
        return FixtureResponse.json({"errors": errors}, status=400)
    agencies = request.query.get("conditions[agencies][]")
    matched = [] if agencies and USITC_AGENCY["slug"] not in agencies else fixture.on_day(day)
    payload: dict[str, Any] = {"count": len(matched)}
    if matched:
        # Like the documents search, an empty answer has no "results" key at all.
        payload["results"] = matched
    return FixtureResponse.json(payload)
