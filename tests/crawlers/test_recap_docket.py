"""RECAP docket XML: the real C.D. Cal. trademark docket (ORZ v. Thaler, NOS 840)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ipsentry.core.documents import Document, RiskKind, Role
from ipsentry.crawlers.parsers.recap_docket import parse_docket_xml
from ipsentry.crawlers.parsers.registry import get_parser

SAMPLE = "ecommerce/recap_ia_docket_xml_cacd_trademark_840.xml"


@pytest.fixture
def docket(samples_dir: Path) -> Document:
    result = parse_docket_xml((samples_dir / SAMPLE).read_bytes(), url="https://example.test/docket.xml")
    assert result.problems == []
    assert len(result.documents) == 1
    return result.documents[0]


def test_case_details(docket: Document) -> None:
    assert docket.id == "cl:docket:cacd:5:17-cv-00291"
    assert docket.source == "recap_docket"
    assert docket.kind is RiskKind.ECOMMERCE
    assert docket.title == "ORZ, GmbH and Co. KG v. Erich Thaler et al"
    assert docket.authority == "cacd"
    assert docket.docket_number == "5:17-cv-00291"
    assert docket.case_numbers == ["cacd:5:17-cv-00291"]
    assert docket.filed == date(2017, 2, 13)
    assert docket.published == date(2017, 2, 16)  # the last entry
    assert docket.extra["nature_of_suit"] == "840 Trademark"
    assert docket.extra["cause"] == "15:1114 Trademark Infringement"
    assert docket.extra["ip_nature"] == "trademark"
    assert docket.extra["date_terminated"] is None
    assert docket.extra["pacer_case_id"] == "670564"
    assert docket.extra["assigned_to"] == "Magistrate Judge Sheri Pym"
    assert docket.extra["schedule_a"] is False
    assert docket.extra["plaintiff"] == "ORZ, GmbH and Co. KG"
    assert docket.extra["brands"] == ["ORZ"]


def test_parties_and_roles(docket: Document) -> None:
    assert [(p.name, p.role, p.country) for p in docket.parties] == [
        ("ORZ, GmbH and Co. KG", Role.PLAINTIFF, "Germany"),  # "a German Corporation"
        ("Erich Thaler", Role.DEFENDANT, None),
        ("Thaler Design Corporation", Role.DEFENDANT, None),
        ("Lisbeth Bosshart Merrill", Role.ATTORNEY, None),
        ("Edward C Chen", Role.ATTORNEY, None),
        ("Leslie Gail Williams", Role.ATTORNEY, None),
    ]
    merrill = docket.parties[3]
    assert merrill.address == "1900 Main Street Suite 600, Irvine, CA 92614"


def test_attorneys_and_law_firm(docket: Document) -> None:
    assert docket.extra["law_firms"] == ["Wilson Keadjian Browndorf LLP"]
    merrill = docket.extra["attorneys"][0]
    assert merrill == {
        "name": "Lisbeth Bosshart Merrill",
        "firm": "Wilson Keadjian Browndorf LLP",
        "represents": "ORZ, GmbH and Co. KG",
        "party_type": "Plaintiff",
        "roles": ["LEAD ATTORNEY", "ATTORNEY TO BE NOTICED"],
    }


def test_entries_and_latest_stage(docket: Document) -> None:
    entries = docket.extra["entries"]
    assert [e["number"] for e in entries] == [1, 2, 3, 4, 5, 6, 7]
    assert entries[0]["date"] == "2017-02-14"
    assert entries[0]["description"].startswith("CIVIL COVER SHEET filed by Plaintiff ORZ, GmbH & Co. KG.")
    assert entries[2]["pacer_doc_id"] == "031025269198"
    assert entries[2]["description"].startswith("COMPLAINT with filing fee previously paid")
    # the deficiency notice mentions "a complaint" but is not one
    assert [e["stage"] for e in entries] == [
        "other",
        "other",
        "complaint",
        "other",
        "other",
        "other",
        "other",
    ]
    assert docket.stage == "complaint"
    assert docket.extra["latest_stage_entry"] == 3


def test_provenance_line_and_broken_input(samples_dir: Path) -> None:
    raw = (samples_dir / SAMPLE).read_bytes()
    noted = b"SOURCE: archive.org gov.uscourts.cacd.670564 -- strip this first line\n" + raw
    assert parse_docket_xml(noted).documents[0].id == "cl:docket:cacd:5:17-cv-00291"
    assert parse_docket_xml(b"not xml at all").documents == []
    other_xml = parse_docket_xml(b"<rss><channel/></rss>")
    assert other_xml.documents == [] and "not a RECAP docket" in other_xml.problems[0].reason


def test_registry_name() -> None:
    assert get_parser("courtlistener-docket") is parse_docket_xml
