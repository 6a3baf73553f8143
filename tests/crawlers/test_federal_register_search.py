"""parse_search_response on the 792 real Federal Register records and on API response shapes."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ipsentry.core.documents import Document, RiskKind, Role
from ipsentry.core.stages import ITC337_STAGES
from ipsentry.crawlers.parsers.federal_register import parse_search_response
from ipsentry.crawlers.parsers.registry import get_parser

# Verified by reading the titles of every group (and the abstracts of the 4 titles that are only
# a product phrase).  "other" is four general notices that belong to no case: the filing-procedure
# change of 2020, two summaries of APO practice, and the appointment of ALJs.
EXPECTED_STAGES = {
    "receipt_of_complaint": 205,
    "institution": 194,
    "public_interest": 82,
    "review": 53,
    "settlement": 43,
    "final_determination_no_violation": 43,
    "amendment": 40,
    "limited_exclusion_order": 34,
    "termination": 26,
    "modification_rescission": 16,
    "initial_determination": 15,
    "general_exclusion_order": 13,
    "enforcement": 13,
    "consent_order": 6,
    "other": 4,
    "schedule": 2,
    "advisory_opinion": 2,
    "remand": 1,
}


@pytest.fixture(scope="module")
def listing(itc337_dir: Path) -> dict[str, Document]:
    result = parse_search_response((itc337_dir / "federal_register_337_titles_abstracts.json").read_bytes())
    assert result.problems == []
    return {d.native_id: d for d in result.documents}


def test_every_record_becomes_a_document(listing: dict[str, Document]) -> None:
    assert len(listing) == 792
    first = listing["2020-00353"]
    assert first.id == "fr:2020-00353"
    assert first.source == "federal_register"
    assert first.kind == RiskKind.ITC337
    assert first.authority == "USITC"
    assert first.jurisdiction == "US"
    assert first.published == date(2020, 1, 14)
    assert (
        first.title
        == "Notice of Receipt of Complaint; Solicitation of Comments Relating to the Public Interest"
    )
    assert first.summary.startswith("Notice is hereby given that the U.S. International Trade Commission has")
    assert first.url == (
        "https://www.federalregister.gov/documents/2020/01/14/2020-00353/"
        "notice-of-receipt-of-complaint-solicitation-of-comments-relating-to-the-public-interest"
    )


def test_stage_distribution_on_the_792(listing: dict[str, Document]) -> None:
    stages = Counter(d.stage for d in listing.values())
    assert dict(stages) == EXPECTED_STAGES
    assert all(d.stage in ITC337_STAGES for d in listing.values())
    assert stages["other"] / len(listing) < 0.02
    others = sorted(d.native_id for d in listing.values() if d.stage == "other")
    assert others == ["2020-05767", "2022-25108", "2023-26806", "2025-21130"]


@pytest.mark.parametrize(
    ("number", "stage"),
    [
        ("2026-01231", "limited_exclusion_order"),  # final determination, LEO and CDOs
        (
            "2020-01370",
            "general_exclusion_order",
        ),  # "… Thereof Issuance of a General Exclusion Order" (no ";")
        ("2023-06450", "limited_exclusion_order"),  # "an Exclusion Order": the abstract says LEO
        ("2023-20345", "limited_exclusion_order"),  # "Default Remedial Orders": the abstract says LEO
        ("2025-15745", "amendment"),  # "… To Amend the Complaint and Notice of Institution"
        ("2026-01816", "enforcement"),  # violation of the GEO and CDOs
        ("2022-02795", "remand"),
        ("2025-14655", "settlement"),  # "Terminating the Remand Proceedings Based on Settlement"
        ("2023-16773", "final_determination_no_violation"),  # affirmed invalidity; termination
        ("2023-22754", "termination"),  # affirmed an arbitration-agreement termination
        ("2022-05084", "public_interest"),  # title is only the product: the abstract decides
        ("2023-18893", "review"),  # likewise
        ("2020-05569", "schedule"),  # hearings postponed
    ],
)
def test_stage_of_real_titles(listing: dict[str, Document], number: str, stage: str) -> None:
    assert listing[number].stage == stage


def test_search_results_carry_no_invented_investigation_numbers(listing: dict[str, Document]) -> None:
    # No title or abstract of the 792 states a 337-TA number: the bracketed header that does is
    # only in the full text, which the spider merges in.
    assert [d.native_id for d in listing.values() if d.case_numbers] == []


def test_receipt_notices_give_docket_number_and_product(listing: dict[str, Document]) -> None:
    receipts = [d for d in listing.values() if d.stage == "receipt_of_complaint"]
    assert len(receipts) == 205
    assert all(d.docket_number and d.docket_number.startswith("DN ") for d in receipts)
    assert all(d.products for d in receipts)
    last = listing["2026-02107"]
    assert last.docket_number == "DN 3881"
    assert last.products == ["Certain NAND and DRAM Memory Chips"]
    # The real variations: "DN3450 the Commission", "Thereof 3617;", "entitled regarding …. DN 3675".
    assert listing["2020-08517"].docket_number == "DN 3450"
    assert listing["2022-09691"].docket_number == "DN 3617"
    assert listing["2023-08080"].docket_number == "DN 3675"
    assert listing["2023-08080"].products == [
        "Certain Lidar (Light Detection and Ranging) Systems and Components Thereof"
    ]
    assert all(d.docket_number is None for d in listing.values() if d.stage != "receipt_of_complaint")


def test_products_from_titles(listing: dict[str, Document]) -> None:
    assert listing["2026-01231"].products == [
        "Certain Oil Vaporizing Devices, Components Thereof, and Products Containing the Same"
    ]
    # "Institution of Investigation: Certain …" and "Certain … Thereof, Notice of Institution …"
    assert listing["2022-22713"].products == [
        "Certain Integrated Circuits, Mobile Devices Containing the Same, and Components Thereof"
    ]
    assert listing["2024-00829"].products == [
        "Certain Electronic Computing Devices, and Components and Modules Thereof"
    ]


def _parties(document: Document) -> list[tuple[str, str, str | None, str | None]]:
    return [(p.name, p.role.value, p.city, p.country) for p in document.parties]


def test_complainants_from_institution_abstracts(listing: dict[str, Document]) -> None:
    assert _parties(listing["2024-07991"]) == [
        ("Motorola Mobility LLC", "complainant", "Chicago", "United States")
    ]
    assert _parties(listing["2020-05082"]) == [
        ("NYZ AB", "complainant", None, "Sweden"),
        ("Swedish Match North America, LLC", "complainant", "Richmond", "United States"),
        ("Pinkerton Tobacco Co., LP", "complainant", "Owensboro", "United States"),
        ("wm17 holding GmbH", "complainant", None, "Switzerland"),
    ]
    wac = listing["2023-23625"].parties[0]
    assert (wac.name, wac.aliases) == (
        "Wangs Alliance Corporation",
        ["WAC Lighting"],
    )  # "d/b/a of WAC Lighting"


def test_respondents_named_in_later_abstracts(listing: dict[str, Document]) -> None:
    assert _parties(listing["2020-03346"]) == [
        ("Eonsmoke, LLC", "respondent", None, None),
        ("XFire, Inc.", "defaulting_respondent", None, None),
    ]
    # "(collectively, the "Defaulting Respondents")" gives the role to the whole list.
    assert _parties(listing["2022-03404"]) == [
        ("Fast IVF", "defaulting_respondent", "Scottsdale", "United States"),
        ("Hermes Ezcanesi", "defaulting_respondent", "Istanbul", "Turkey"),
    ]
    assert _parties(listing["2025-06335"]) == [
        ("Kaibeauty", "defaulting_respondent", "Taipei City", "Taiwan"),
        ("I'll Global Co., Ltd", "defaulting_respondent", "Seoul", "South Korea"),
        ("Hikari Laboratories, Ltd.", "defaulting_respondent", "Bnei Atarot", "Israel"),
        ("Kelz Beauty", "defaulting_respondent", "Budapest", "Hungary"),
    ]
    robotics = listing["2023-16635"].parties[0]
    assert (robotics.name, robotics.aliases) == ("HC Robotics", ["Huicang Information Technology Co., Ltd."])


def test_shared_country_and_gpo_letters(listing: dict[str, Document]) -> None:
    # "the following defaulting respondents (all of Mexico): …; Comercial Trevi[ntilde]o de Reynosa, …"
    parties = listing["2022-24243"].parties
    assert len(parties) == 8
    assert {p.country for p in parties} == {"Mexico"}
    assert {p.role for p in parties} == {Role.DEFAULTING_RESPONDENT}
    assert "Comercial Treviño de Reynosa, S.A. de C.V." in [p.name for p in parties]
    assert "Leticia Angélica Saenz Fernandez" in [p.name for p in parties]


def test_short_names_fold_into_the_full_name(listing: dict[str, Document]) -> None:
    # 'respondent Hitachi Koki U.S.A., Ltd. ("Hitachi") … a cease and desist order … against Hitachi'
    assert _parties(listing["2020-04925"]) == [
        ("Hitachi Koki U.S.A., Ltd.", "respondent", "Braselton", "United States")
    ]


def test_patents_and_remedies(listing: dict[str, Document]) -> None:
    google = listing["2022-00389"]
    assert google.extra["patents"] == ["9,195,258", "10,209,953", "9,219,959", "8,588,949", "10,439,896"]
    assert google.extra["remedies"] == ["LEO", "CDO"]
    assert google.extra["bond"] == "100 percent"
    assert listing["2026-01231"].extra["remedies"] == ["LEO", "CDO"]
    assert listing["2024-07991"].extra["dates"] == {"complaint_filed": "2024-03-11"}


def _response(results: list[dict[str, Any]] | None, count: int | None = None) -> bytes:
    payload: dict[str, Any] = {"count": len(results or []) if count is None else count, "description": "x"}
    if results is not None:
        payload.update(total_pages=1, results=results)
    return json.dumps(payload).encode()


def test_api_response_shape_and_malformed_records(listing_records: list[dict[str, Any]]) -> None:
    good = listing_records[0]
    records = [
        good,
        {**good, "document_number": None},  # missing number
        {**good, "document_number": "2020-99999", "publication_date": "2020-02-30"},  # no such day
        {**good, "document_number": "2020-99998", "title": ""},
        "not an object",
    ]
    result = parse_search_response(_response(records), url="http://127.0.0.1/api/v1/documents.json")
    assert [d.native_id for d in result.documents] == ["2020-00353"]
    assert [(p.record, p.reason.split(":")[0]) for p in result.problems] == [
        ("results[1]", "missing or malformed document_number"),
        ("2020-99999", "missing or malformed publication_date"),
        ("2020-99998", "missing title"),
        ("results[4]", "record is a str, not an object"),
    ]


def test_empty_search_has_no_results_key() -> None:
    # The API leaves "results" out when nothing matched.
    result = parse_search_response(b'{"count":0,"description":"Documents matching the search"}')
    assert result.documents == [] and result.problems == []


def test_api_errors_and_garbage_are_problems() -> None:
    errors = parse_search_response(b'{"errors":{"publication_date":["is not a valid date"]}}')
    assert errors.documents == [] and errors.problems[0].reason.startswith("API error:")
    garbage = parse_search_response(b"<html>Just a moment...</html>", url="u")
    assert garbage.problems[0].record == "u" and garbage.problems[0].reason.startswith("not JSON")


def test_single_document_json_of_another_agency_is_refused(itc337_dir: Path) -> None:
    # The real /api/v1/documents/2026-02278.json is a NOAA notice: not a Section 337 document.
    result = parse_search_response((itc337_dir / "fr_api_document_2026-02278.json").read_bytes())
    assert result.documents == []
    assert result.problems[0].record == "2026-02278"
    assert "not a USITC document" in result.problems[0].reason


def test_registry_names_the_three_parsers() -> None:
    assert get_parser("federal-register") is parse_search_response
    assert get_parser("federal-register-text").__name__ == "parse_raw_text"
    assert get_parser("federal-register-xml").__name__ == "parse_full_text_xml"
