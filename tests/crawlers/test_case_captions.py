"""The 10 real US IP case records: the Schedule A ones are recognised, the others are not."""

from __future__ import annotations

from pathlib import Path

from ipsentry.core.documents import RiskKind, Role
from ipsentry.crawlers.parsers.case_captions import parse_captions
from ipsentry.crawlers.parsers.registry import get_parser

SAMPLE = "ecommerce/us_ip_case_captions.json"

# Read once by hand from the file: case number → is it a Schedule A case.
EXPECTED_SCHEDULE_A = {
    "1-24-cv-03089": True,  # River Light V, LP v. The Partnerships and Unincorporated Associations …
    "1-24-cv-02174": True,  # General Motors LLC v. The Partnerships and Unincorporated Associations …
    "1-24-cv-20037": True,  # GoPro, Inc. v. The Individuals, Corporations, Limited Liability Companies, …
    "2-23-cv-10738": False,  # Dahdoul Textiles, Inc. v. 99 Cents Only Stores LLC et al
    "EXA-97514104": False,  # Ex Parte Appeal by Springs Investors Group LP
    "EXA-97196846": False,  # Ex Parte Appeal by Fashion Ventures Limited
    "OPP-91289649": False,  # Opposition by Tanium Inc.
    "EXA-97708485": False,  # Ex Parte Appeal by Boyd Gaming Corporation
    "OPP-91288833": False,  # Opposition by Jaguar Land Rover Limited
    "CAN-92083908": False,  # Cancellation by Marine Layer PBC
}


def test_schedule_a_flags(samples_dir: Path) -> None:
    result = parse_captions((samples_dir / SAMPLE).read_bytes())
    assert result.problems == []
    assert len(result.documents) == 10
    flags = {d.extra["case_number_raw"]: d.extra["schedule_a"] for d in result.documents}
    assert flags == EXPECTED_SCHEDULE_A


def test_case_keys_and_kinds(samples_dir: Path) -> None:
    documents = {
        d.extra["case_number_raw"]: d for d in parse_captions((samples_dir / SAMPLE).read_bytes()).documents
    }
    river = documents["1-24-cv-03089"]
    assert river.id == "captions:ilnd:1:24-cv-03089"
    assert river.case_numbers == ["ilnd:1:24-cv-03089"]
    assert river.authority == "ilnd"
    assert river.kind is RiskKind.ECOMMERCE
    assert river.stage == "complaint"
    assert str(river.filed) == "2024-04-17"
    assert river.extra["plaintiff"] == "River Light V, LP"
    assert river.extra["brands"] == ["River Light V"]
    assert [(p.name, p.role) for p in river.parties] == [("River Light V, LP", Role.PLAINTIFF)]

    gopro = documents["1-24-cv-20037"]
    assert gopro.case_numbers == ["flsd:1:24-cv-20037"]
    assert gopro.extra["brands"] == ["GoPro"]
    assert documents["1-24-cv-02174"].extra["brands"] == ["General Motors"]

    dahdoul = documents["2-23-cv-10738"]
    assert dahdoul.case_numbers == ["cacd:2:23-cv-10738"]
    assert [(p.name, p.role) for p in dahdoul.parties] == [
        ("Dahdoul Textiles, Inc.", Role.PLAINTIFF),
        ("99 Cents Only Stores LLC", Role.DEFENDANT),
    ]

    appeal = documents["EXA-97514104"]
    assert appeal.kind is RiskKind.TRADEMARK
    assert appeal.case_numbers == ["ttab:EXA-97514104"]
    assert appeal.stage == "other"
    assert appeal.extra["ttab"] is True
    assert appeal.extra["plaintiff"] is None
    assert [p.name for p in appeal.parties] == ["Springs Investors Group LP"]


def test_bad_records_are_problems_not_errors() -> None:
    content = (
        b'[{"case_name": "A v. B"}, 7, {"case_name": "Nike, Inc. v. Schedule A Defendants", '
        b'"case_number": "1:24-cv-1", "court_abbreviation": "NDIL", "case_filing_date": "2024-13-01"}]'
    )
    result = parse_captions(content)
    assert [p.record for p in result.problems] == ["record 0", "record 1", "record 2"]
    assert [d.case_numbers[0] for d in result.documents] == ["ilnd:1:24-cv-00001"]
    assert result.documents[0].filed is None
    assert parse_captions(b"{").documents == []


def test_registry_name() -> None:
    assert get_parser("case-captions") is parse_captions
