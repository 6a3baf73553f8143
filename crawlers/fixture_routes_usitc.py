"""Fixture routes of the two USITC sources: IDS ``/investigations.json`` and the EDIS RSS feed.

Neither response was captured, so both are CONSTRUCTED, each in the shape public code documents
(see :mod:`ipsentry.crawlers.parsers.usitc_ids` and :mod:`ipsentry.crawlers.parsers.edis_rss`),
filled only with real case data read from the shared samples at start-up:

* IDS: one "Violation" row for 337-TA-1414, from the real notice
  ``fr_raw_text_2026-02297.html`` (Infineon complainants, the four Innoscience respondents with
  their countries, instituted 2024-08-30), and one for each investigation a real USITC news release
  in the samples announces (337-TA-947, 1157, 1161, 1424).  Investigation IDs are made up (the
  real ones are in no sample); a release's date stands in for the start date; no docket numbers,
  since no sample states them.
* EDIS: one item per real EDIS row of ``edis_documents_337-1414_subset.json`` (re-serialised by
  likesdonuts/itc-api, so its field names are that project's, not EDIS's), titled as the live feed
  titles items; the description's "Label: value" lines are our own layout.

Tests change ``server.sources["usitc_ids"]`` (rows) and ``server.sources["edis_rss"]`` (items).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from lxml import etree

from ipsentry.core.documents import Document, Role
from ipsentry.crawlers.fixture_server import FixtureRequest, FixtureResponse, FixtureServer

SAMPLE_DIR = "itc337"
IDS_NOTICE = "fr_raw_text_2026-02297.html"
IDS_RELEASES = "usitc_news_release_*.txt"
EDIS_ROWS = "edis_documents_337-1414_subset.json"
RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
# The captured rows carry no time zone; EDIS keeps Washington time, written here as EST.
EDIS_ZONE = timezone(timedelta(hours=-5))
IDS_FEED_DATE = "2026-09-21T22:00:01.996+00:00"


@dataclass
class IdsFixture:
    """The constructed ``investigations.json``; tests drop or add rows."""

    rows: list[dict[str, Any]]
    feed_date: str = IDS_FEED_DATE

    def payload(self) -> dict[str, Any]:
        return {"date": self.feed_date, "count": len(self.rows), "data": self.rows}

    def remove(self, investigation_number: str) -> None:
        self.rows = [r for r in self.rows if r.get("Investigation Number") != investigation_number]


@dataclass
class EdisFixture:
    """The constructed feed's items (dicts of RSS element → text), newest first."""

    items: list[dict[str, str]] = field(default_factory=list)

    def add_item(self, item: dict[str, str]) -> None:
        self.items.insert(0, item)


def register_routes(server: FixtureServer) -> None:
    folder = server.samples_dir / SAMPLE_DIR
    ids = IdsFixture(rows=constructed_ids_rows(folder))
    edis = EdisFixture(items=constructed_edis_items(folder))
    server.sources["usitc_ids"] = ids
    server.sources["edis_rss"] = edis
    server.add_route(r"/investigations\.json", lambda request: FixtureResponse.json(ids.payload()))
    server.add_route(r"/external/rss/render\.rss", lambda request: _render_feed(request, edis))


# ---------------------------------------------------------------------------------------------
# IDS


def constructed_ids_rows(folder: Path) -> list[dict[str, Any]]:
    """CONSTRUCTED FROM SAMPLES: IDS rows for the investigations the real samples describe."""
    from ipsentry.crawlers.parsers.federal_register import parse_raw_text
    from ipsentry.crawlers.parsers.itc337_news_release import parse_news_release

    sources: list[tuple[Document, date | None]] = []
    notice = parse_raw_text((folder / IDS_NOTICE).read_bytes())
    for document in notice.documents:
        instituted = document.extra.get("dates", {}).get("instituted")
        sources.append((document, date.fromisoformat(instituted) if instituted else None))
    for path in sorted(folder.glob(IDS_RELEASES)):
        for document in parse_news_release(path.read_bytes()).documents:
            sources.append((document, document.published))
    return [
        _ids_row(document, start, investigation_id=index)
        for index, (document, start) in enumerate(sources, start=1)
        if document.case_numbers and document.products
    ]


def _ids_row(document: Document, start: date | None, *, investigation_id: int) -> dict[str, Any]:
    case = document.case_numbers[0]
    topic = document.products[0]
    participants = []
    for party in document.parties:
        if party.role not in (Role.COMPLAINANT, Role.RESPONDENT):
            continue
        participant: dict[str, Any] = {"Name": party.name}
        if party.country:
            participant["Country"] = {"name": party.country}
        participants.append(
            {"Participant Type": {"name": party.role.value.title()}, "Participant": participant}
        )
    row: dict[str, Any] = {
        "Investigation ID": investigation_id,
        "Investigation Number": case.replace("337-TA-", "337-"),
        "Investigation Type": {"Name": "Unfair Imports"},
        "Investigation Categories": [{"ID": 6, "Name": "337 - Unfair Imports", "Is Active?": True}],
        "Investigation Phase": {"Name": "Violation"},
        "Investigation Status": {"ID": 1, "Name": "Active"},
        "Topic": topic,
        "Full Title": f"{topic}; Inv. No. {case} (Violation)",
        "Is Active?": True,
        "Participants": participants,
    }
    if start:
        row["Start Date"] = start.strftime("%m-%d-%Y")
    return row


# ---------------------------------------------------------------------------------------------
# EDIS RSS


def constructed_edis_items(folder: Path) -> list[dict[str, str]]:
    """CONSTRUCTED FROM SAMPLES: feed items for the real EDIS rows of investigation 337-1414."""
    path = folder / EDIS_ROWS
    number = re.search(r"337-\d+", path.name)
    assert number is not None
    rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    rows.sort(key=lambda r: str(r.get("official_received_date") or ""), reverse=True)
    return [edis_item(row, edis_number=number.group(0)) for row in rows]


def edis_item(row: dict[str, Any], *, edis_number: str) -> dict[str, str]:
    """One feed item for one EDIS document row (field names as in the shared sample)."""
    received = datetime.fromisoformat(str(row["official_received_date"])).replace(tzinfo=EDIS_ZONE)
    lines = [
        ("Document Title", row.get("title")),
        ("Document Type", row.get("document_type")),
        ("Filed By", row.get("filed_by")),
        ("Firm/Organization", row.get("firm_organization")),
        ("On Behalf Of", row.get("on_behalf_of")),
        ("Document Date", row.get("document_date")),
        ("Security Level", row.get("security_level")),
    ]
    return {
        "title": f"Document Approved : {edis_number} Violation : Doc ID {row['id']}, {row['document_type']}",
        "link": f"/external/document/{row['id']}",
        "guid": str(row["id"]),
        "pubDate": format_datetime(received),
        "description": "\n".join(f"{label}: {value}" for label, value in lines if value),
    }


def _render_feed(request: FixtureRequest, fixture: EdisFixture) -> FixtureResponse:
    rss = etree.Element("rss", version="2.0")
    channel = etree.SubElement(rss, "channel")
    for tag, text in (
        ("title", "EDIS - Section 337 complaints (constructed fixture)"),
        ("link", f"{request.server.url}/external/rss/render.rss"),
        ("description", "Constructed from real EDIS rows in the shared samples"),
    ):
        etree.SubElement(channel, tag).text = text
    for item in fixture.items:
        element = etree.SubElement(channel, "item")
        for tag, text in item.items():
            if tag == "link" and text.startswith("/"):
                text = f"{request.server.url}{text}"
            etree.SubElement(element, tag).text = text
    body = etree.tostring(rss, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return FixtureResponse(200, body, RSS_CONTENT_TYPE)
