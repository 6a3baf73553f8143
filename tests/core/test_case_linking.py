"""Linking a receipt-of-complaint docket (DN NNNN) to its investigation (337-TA-NNNN).

The receipt and institution notices are the real search results of the shared sample.  Search
results carry no investigation number (it is in the full text's bracketed header), so where a test
needs the institution notice as its full text would read, it adds the number itself and says so:
337-TA-1191 is the public record of the Sonos complaint (DN 3428), not read from a sample."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.config.settings import Settings
from ipsentry.core.case_linking import CaseLink, link_receipts, normalise_party, normalise_product
from ipsentry.core.cases import record_case_events
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Party, RiskKind, Role
from ipsentry.core.models import Case, CaseEvent
from ipsentry.crawlers.parsers.federal_register import parse_search_response
from ipsentry.crawlers.parsers.usitc_ids import documents_from_rows

SONOS_RECEIPT = "2020-00353"  # DN 3428, Certain Audio Players and Controllers…, 2020-01-14
SONOS_INSTITUTION = "2020-02680"  # the same product, on behalf of Sonos, Inc., 2020-02-11
SONOS_CASE = "337-TA-1191"
LCD_RECEIPT = "2020-08915"  # DN 3451, Certain Liquid Crystal Display Devices…, 2020-04-28
LCD_INSTITUTION = "2025-21350"  # the same product title, five and a half years later


@pytest.fixture(scope="module")
def listing() -> dict[str, Document]:
    content = (Settings().samples_dir / "itc337" / "federal_register_337_titles_abstracts.json").read_bytes()
    return {d.native_id: d for d in parse_search_response(content).documents}


def _with_case_number(document: Document, case: str) -> Document:
    """The listing record as its full text reads: with the bracketed header's number."""
    return document.model_copy(update={"case_numbers": [case]})


def _ingest(factory: sessionmaker[Session], documents: Sequence[Document]) -> list[CaseLink]:
    with transaction(factory) as session:
        record_case_events(session, documents)
        return link_receipts(session, documents)


def _case(factory: sessionmaker[Session], case_id: str) -> Case | None:
    with factory() as session:
        return session.get(Case, case_id)


def _timeline(factory: sessionmaker[Session], case_id: str) -> list[tuple[str, str, date | None]]:
    with factory() as session:
        events = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.occurred)
        ).all()
        return [(e.document_id, e.stage, e.occurred) for e in events]


def test_normalisation_of_products_and_complainants() -> None:
    assert normalise_product("Certain Capacitive Touch- Controlled Mobile Devices, Computers") == (
        "capacitive touch controlled mobile devices computers"
    )
    assert normalise_product(
        "Certain Audio Players …, and Products Containing the Same"
    ) == normalise_product("certain audio players …; and products containing same")
    assert normalise_party("Sonos, Inc.") == "sonos"
    assert normalise_party("Infineon Technologies Austria AG") == "infineon technologies austria"


def test_institution_notice_links_the_earlier_receipt_docket(
    session_factory: sessionmaker[Session], listing: dict[str, Document]
) -> None:
    receipt = listing[SONOS_RECEIPT]
    assert receipt.docket_number == "DN 3428" and receipt.case_numbers == []
    assert _ingest(session_factory, [receipt]) == []
    institution = _with_case_number(listing[SONOS_INSTITUTION], SONOS_CASE)
    links = _ingest(session_factory, [institution])
    assert links == [CaseLink("DN 3428", SONOS_CASE, "product_complainant", "fr:2020-02680")]
    docket = _case(session_factory, "DN 3428")
    assert docket is not None and docket.linked_to == SONOS_CASE
    investigation = _case(session_factory, SONOS_CASE)
    assert investigation is not None
    assert investigation.first_seen == date(2020, 1, 14)  # the receipt now opens the timeline
    assert investigation.complainant_keys == ["sonos"]
    assert investigation.current_stage == "institution"
    assert _timeline(session_factory, SONOS_CASE) == [
        ("fr:2020-00353", "receipt_of_complaint", date(2020, 1, 14)),
        ("fr:2020-02680", "institution", date(2020, 2, 11)),
    ]
    # Ingesting the same notices again changes nothing.
    assert _ingest(session_factory, [receipt, institution]) == []
    assert len(_timeline(session_factory, SONOS_CASE)) == 2


def test_receipt_arriving_after_its_investigation_is_linked_too(
    session_factory: sessionmaker[Session], listing: dict[str, Document]
) -> None:
    institution = _with_case_number(listing[SONOS_INSTITUTION], SONOS_CASE)
    assert _ingest(session_factory, [institution]) == []
    links = _ingest(session_factory, [listing[SONOS_RECEIPT]])
    assert links == [CaseLink("DN 3428", SONOS_CASE, "product_complainant", "fr:2020-00353")]
    assert [e[0] for e in _timeline(session_factory, SONOS_CASE)] == ["fr:2020-00353", "fr:2020-02680"]


def test_same_product_years_apart_is_not_linked(
    session_factory: sessionmaker[Session], listing: dict[str, Document]
) -> None:
    receipt, institution = listing[LCD_RECEIPT], listing[LCD_INSTITUTION]
    assert normalise_product(receipt.products[0]) == normalise_product(institution.products[0])
    _ingest(session_factory, [receipt])
    # The test's own investigation number: the listing carries none and the real one is not in a sample.
    assert _ingest(session_factory, [_with_case_number(institution, "337-TA-9999")]) == []
    docket = _case(session_factory, "DN 3451")
    assert docket is not None and docket.linked_to is None


def test_known_complainants_must_agree(
    session_factory: sessionmaker[Session], listing: dict[str, Document]
) -> None:
    # CONSTRUCTED: the receipt as its full text would name a complainant ("filed on behalf of …"),
    # here deliberately another company than the institution notice's Sonos, Inc.
    receipt = listing[SONOS_RECEIPT].model_copy(
        update={"parties": [Party(name="Another Audio Company, Inc.", role=Role.COMPLAINANT)]}
    )
    _ingest(session_factory, [receipt])
    assert _ingest(session_factory, [_with_case_number(listing[SONOS_INSTITUTION], SONOS_CASE)]) == []
    docket = _case(session_factory, "DN 3428")
    assert docket is not None and docket.linked_to is None
    assert docket.complainant_keys == ["another audio"]  # suffix words dropped


def test_two_candidate_dockets_are_left_alone(
    session_factory: sessionmaker[Session], listing: dict[str, Document]
) -> None:
    receipt = listing[SONOS_RECEIPT]
    # CONSTRUCTED: a second receipt for the same product a week later under another docket.
    twin = receipt.model_copy(
        update={
            "id": "fr:test-twin",
            "native_id": "test-twin",
            "docket_number": "DN 3431",
            "published": date(2020, 1, 21),
        }
    )
    _ingest(session_factory, [receipt, twin])
    assert _ingest(session_factory, [_with_case_number(listing[SONOS_INSTITUTION], SONOS_CASE)]) == []
    for docket_id in ("DN 3428", "DN 3431"):
        docket = _case(session_factory, docket_id)
        assert docket is not None and docket.linked_to is None


def test_ids_record_links_by_docket_number_before_the_receipt_is_seen(
    session_factory: sessionmaker[Session], listing: dict[str, Document]
) -> None:
    # CONSTRUCTED IDS row (field names of the live feed): the Sonos investigation with its docket.
    row = {
        "Investigation ID": 1,
        "Investigation Number": "337-1191",
        "Docket Number": "3428",
        "Investigation Phase": {"Name": "Violation"},
        "Investigation Status": {"Name": "Active"},
        "Topic": listing[SONOS_INSTITUTION].products[0],
        "Full Title": f"{listing[SONOS_INSTITUTION].products[0]}; Inv. No. 337-TA-1191 (Violation)",
        "Start Date": "02-11-2020",
        "Participants": [
            {"Participant Type": {"name": "Complainant"}, "Participant": {"Name": "Sonos, Inc."}},
            {
                "Participant Type": {"name": "Respondent"},
                "Participant": {"Name": "Google LLC", "Country": {"name": "United States of America"}},
            },
        ],
    }
    [record] = documents_from_rows([row]).documents
    assert record.case_numbers == [SONOS_CASE] and record.docket_number == "DN 3428"
    links = _ingest(session_factory, [record])
    assert links == [CaseLink("DN 3428", SONOS_CASE, "docket", "ids:337-TA-1191")]
    # The receipt notice arrives later: its docket is already linked, its event joins the investigation.
    assert _ingest(session_factory, [listing[SONOS_RECEIPT]]) == []
    assert [e[0] for e in _timeline(session_factory, SONOS_CASE)] == ["fr:2020-00353", "ids:337-TA-1191"]
    docket = _case(session_factory, "DN 3428")
    assert docket is not None and docket.linked_to == SONOS_CASE
    assert docket.title == listing[SONOS_RECEIPT].products[0]


def test_documents_of_other_kinds_are_ignored(session_factory: sessionmaker[Session]) -> None:
    # A court case number in both fields must not read as a 337 docket-to-investigation link.
    court = Document(
        id="cl:docket:1",
        source="courtlistener",
        kind=RiskKind.ECOMMERCE,
        native_id="1",
        title="Doe v. The Partnerships and Unincorporated Associations Identified on Schedule A",
        docket_number="ilnd:1:24-cv-03089",
        case_numbers=["ilnd:1:24-cv-03089"],
    )
    assert _ingest(session_factory, [court]) == []
    with session_factory() as session:
        assert session.scalars(select(Case.linked_to).where(Case.linked_to.is_not(None))).all() == []
