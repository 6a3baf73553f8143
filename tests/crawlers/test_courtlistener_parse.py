"""CourtListener REST v4 parsing.

No real search response is among the samples, so these tests CONSTRUCT responses: the
search result field names are the documented ones (SOURCES.md; the OPTIONS dump lists no
search fields), the docket and party field names are checked against the real OPTIONS dump
(courtlistener_v4_options.json), and the captions, docket numbers, courts and filing dates
are the real ones from us_ip_case_captions.json.  Parties, attorneys, firms, docket ids and
docket texts in the constructed responses are made up for the test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ipsentry.core.documents import RiskKind, Role
from ipsentry.crawlers.parsers.courtlistener import next_page_url, parse_docket, parse_parties, parse_search
from ipsentry.crawlers.parsers.registry import get_parser


@pytest.fixture
def captions(samples_dir: Path) -> dict[str, dict[str, Any]]:
    records = json.loads((samples_dir / "ecommerce" / "us_ip_case_captions.json").read_text())
    return {r["case_number"]: r for r in records}


@pytest.fixture
def options(samples_dir: Path) -> dict[str, Any]:
    return json.loads((samples_dir / "ecommerce" / "courtlistener_v4_options.json").read_text())


def _result(record: dict[str, Any], docket_id: int, court_id: str, **fields: Any) -> dict[str, Any]:
    # docketNumber as CourtListener writes it ("1:24-cv-03089"), from the list's "1-24-cv-03089"
    number = record["case_number"].replace("-", ":", 1)
    return {
        "caseName": record["case_name"],
        "docketNumber": number,
        "court_id": court_id,
        "dateFiled": record["case_filing_date"],
        "dateTerminated": None,
        "suitNature": "840 Trademark",
        "cause": "15:1114 Trademark Infringement",
        "party": [],
        "attorney": [],
        "firm": [],
        "docket_id": docket_id,
        "docket_absolute_url": f"/docket/{docket_id}/slug/",
        "recap_documents": [],
        **fields,
    }


@pytest.fixture
def constructed_response(captions: dict[str, dict[str, Any]]) -> bytes:
    river = _result(
        captions["1-24-cv-03089"],
        68400001,
        "ilnd",
        party=[
            "River Light V, LP",
            "The Partnerships and Unincorporated Associations Identified on Schedule A",
            "shenzhenshi lishian keji",
            "shenzhenshi lishian keji",
        ],
        attorney=["Justin R. Gaudio"],
        firm=["Greer, Burns & Crain, Ltd.", "Greer Burns & Crain"],
        recap_documents=[
            {
                "description": "COMPLAINT filed by River Light V, LP (the TORY BURCH Trademarks). "
                "(Attachments: # 1 Exhibit Schedule A)",
                "short_description": "Complaint",
                "entry_number": 1,
                "entry_date_filed": "2024-04-17",
            },
            {
                "description": "MINUTE entry before the Honorable X: Plaintiff's motion for entry of a "
                "temporary restraining order [12] is granted. Enter Sealed Temporary Restraining Order.",
                "short_description": "Order on Motion for TRO",
                "entry_number": 20,
                "entry_date_filed": "2024-04-25",
            },
            {
                "description": "ATTORNEY Appearance for Plaintiff by Justin R. Gaudio",
                "short_description": "Attorney Appearance",
                "entry_number": 21,
                "entry_date_filed": "2024-04-26",
            },
            {
                "description": "MOTION by Plaintiff for temporary restraining order",
                "short_description": "Motion for TRO",
                "entry_number": 12,
                "entry_date_filed": "2024-04-20",
            },
        ],
    )
    gopro = _result(
        captions["1-24-cv-20037"], 68400002, "flsd", suitNature="Property Rights: Patent", cause=None
    )
    dahdoul = _result(
        captions["2-23-cv-10738"],
        68400003,
        "cacd",
        suitNature="820 Copyright",
        cause="17:501 Copyright Infringement",
        party=["Dahdoul Textiles, Inc.", "99 Cents Only Stores LLC", "Some Vendor Inc."],
        recap_documents=[
            {
                "description": "NOTICE of Voluntary Dismissal filed by Plaintiff Dahdoul Textiles, Inc.",
                "short_description": "Notice of Voluntary Dismissal",
                "entry_number": 15,
                "entry_date_filed": "2024-02-01",
            }
        ],
    )
    broken = {"caseName": "No docket id here"}
    return json.dumps(
        {
            "count": 4,
            "next": "https://www.courtlistener.com/api/rest/v4/search/?cursor=abc&type=r",
            "previous": None,
            "results": [river, gopro, broken, dahdoul],
        }
    ).encode()


def test_constructed_search_response_one_document_per_docket(constructed_response: bytes) -> None:
    result = parse_search(constructed_response)
    assert [d.id for d in result.documents] == [
        "cl:docket:68400001",
        "cl:docket:68400002",
        "cl:docket:68400003",
    ]
    assert [p.record for p in result.problems] == ["result 2"]
    for document in result.documents:
        assert document.source == "courtlistener"
        assert document.kind is RiskKind.ECOMMERCE
    assert next_page_url(constructed_response) == (
        "https://www.courtlistener.com/api/rest/v4/search/?cursor=abc&type=r"
    )


def test_constructed_search_response_schedule_a_case(constructed_response: bytes) -> None:
    river = parse_search(constructed_response).documents[0]
    assert (
        river.title
        == "River Light V, LP v. The Partnerships and Unincorporated Associations Identified on Schedule A"
    )
    assert river.case_numbers == ["ilnd:1:24-cv-03089"]
    assert river.docket_number == "1:24-cv-03089"
    assert river.authority == "ilnd"
    assert str(river.filed) == "2024-04-17"
    assert river.url == "https://www.courtlistener.com/docket/68400001/slug/"
    assert river.extra["schedule_a"] is True
    assert river.extra["ip_nature"] == "trademark"
    assert river.extra["plaintiff"] == "River Light V, LP"
    assert river.extra["brands"] == ["River Light V", "TORY BURCH"]
    assert river.extra["law_firms"] == ["Greer, Burns & Crain"]
    # newest document that marks a stage: the TRO order (the later appearance marks none)
    assert river.stage == "tro_granted"
    assert str(river.published) == "2024-04-26"
    assert [e["entry_number"] for e in river.extra["entries"]] == [1, 12, 20, 21]
    assert [e["stage"] for e in river.extra["entries"]] == ["complaint", "tro_motion", "tro_granted", "other"]
    assert [(p.name, p.role) for p in river.parties] == [
        ("River Light V, LP", Role.PLAINTIFF),
        ("shenzhenshi lishian keji", Role.DEFENDANT),  # every other party of a Schedule A case
        ("Justin R. Gaudio", Role.ATTORNEY),
    ]


def test_constructed_search_response_other_cases(constructed_response: bytes) -> None:
    _, gopro, dahdoul = parse_search(constructed_response).documents
    assert gopro.case_numbers == ["flsd:1:24-cv-20037"]
    assert gopro.extra["schedule_a"] is True
    assert gopro.extra["ip_nature"] == "patent"  # "Property Rights: Patent"
    assert gopro.extra["brands"] == ["GoPro"]
    # no documents, still open: the complaint is all there is
    assert gopro.stage == "complaint" and gopro.extra["stage_inferred"] is True
    assert [(p.name, p.role) for p in gopro.parties] == [("GoPro, Inc.", Role.PLAINTIFF)]

    assert dahdoul.case_numbers == ["cacd:2:23-cv-10738"]
    assert dahdoul.extra["schedule_a"] is False
    assert dahdoul.extra["ip_nature"] == "copyright"
    assert dahdoul.stage == "dismissal"
    assert [(p.name, p.role) for p in dahdoul.parties] == [
        ("Dahdoul Textiles, Inc.", Role.PLAINTIFF),
        ("99 Cents Only Stores LLC", Role.DEFENDANT),
        ("Some Vendor Inc.", Role.OTHER),  # not on the caption, and not a Schedule A case
    ]


def test_constructed_docket_detail(captions: dict[str, dict[str, Any]], options: dict[str, Any]) -> None:
    record = captions["1-24-cv-02174"]
    docket = {
        "id": 68400004,
        "court": "https://www.courtlistener.com/api/rest/v4/courts/ilnd/",
        "court_id": "ilnd",
        "case_name": record["case_name"],
        "docket_number": "1:24-cv-02174",
        "date_filed": record["case_filing_date"],
        "date_terminated": None,
        "nature_of_suit": "840 Trademark",
        "cause": "15:1114 Trademark Infringement",
        "absolute_url": "/docket/68400004/general-motors-llc-v-the-partnerships/",
        "pacer_case_id": "1234567",
    }
    assert set(docket) <= set(options["dockets"]["actions"]["POST"])  # real field names
    result = parse_docket(json.dumps(docket).encode())
    assert result.problems == []
    (document,) = result.documents
    assert document.id == "cl:docket:68400004"
    assert document.case_numbers == ["ilnd:1:24-cv-02174"]
    assert document.extra["schedule_a"] is True
    assert document.extra["brands"] == ["General Motors"]
    assert document.extra["pacer_case_id"] == "1234567"
    assert str(document.published) == "2024-03-15"


def test_constructed_parties_page(options: dict[str, Any]) -> None:
    party = {
        "id": 1,
        "name": "River Light V, LP",
        "extra_info": "",
        "party_types": [
            {"docket_id": 68400001, "name": "Plaintiff", "extra_info": "", "date_terminated": None}
        ],
        "attorneys": [],
    }
    seller = {
        "id": 2,
        "name": "Shenzhen Lishian Technology Co., Ltd.",
        "extra_info": "",
        "party_types": [
            {
                "docket": "https://www.courtlistener.com/api/rest/v4/dockets/68400001/",
                "name": "Defendant",
                "extra_info": "a company of the People's Republic of China",
                "date_terminated": None,
            }
        ],
        "attorneys": [],
    }
    fields = options["parties"]["actions"]["POST"]
    assert set(party) <= set(fields)
    assert set(party["party_types"][0]) <= set(fields["party_types"]["children"])
    assert set(seller["party_types"][0]) <= set(fields["party_types"]["children"])
    page = parse_parties(json.dumps({"count": 2, "next": None, "results": [party, seller, {}]}).encode())
    assert [(p.name, p.role, p.country) for p in page.by_docket[68400001]] == [
        ("River Light V, LP", Role.PLAINTIFF, None),
        ("Shenzhen Lishian Technology Co., Ltd.", Role.DEFENDANT, "China"),
    ]
    assert [p.record for p in page.problems] == ["party 2"]


def test_not_json_is_a_problem() -> None:
    assert parse_search(b"<html>429 Too Many Requests</html>").problems
    assert (
        parse_search(b'{"detail": "Invalid token."}').problems[0].reason == "no results list in the response"
    )
    assert parse_docket(b"[]").problems
    assert next_page_url(b"nope") is None


def test_registry_name() -> None:
    assert get_parser("courtlistener-search") is parse_search
