"""parse_raw_text / parse_full_text_xml on the real captures, the real excerpts, and notices built
here (tests named ``test_constructed_…``) for the shapes no full real sample shows."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ipsentry.core.documents import Document, Role
from ipsentry.crawlers.parsers.federal_register import (
    merge_documents,
    parse_full_text_xml,
    parse_raw_text,
    parse_search_response,
)
from ipsentry.crawlers.parsers.itc337_notice import read_gpo_notice
from ipsentry.crawlers.parsers.itc337_text import decode_cloudflare_email

RAW_URL = "http://127.0.0.1:8765/documents/full_text/text/2026/02/05/2026-02297.txt"


@pytest.fixture(scope="module")
def innoscience(itc337_dir: Path) -> Document:
    result = parse_raw_text((itc337_dir / "fr_raw_text_2026-02297.html").read_bytes(), url=RAW_URL)
    assert result.problems == []
    [document] = result.documents
    return document


def _by_role(document: Document, role: Role) -> list[tuple[str, str | None, str | None]]:
    return [(p.name, p.city, p.country) for p in document.parties if p.role == role]


def test_raw_text_header(innoscience: Document) -> None:
    assert innoscience.id == "fr:2026-02297"
    assert innoscience.published == date(2026, 2, 5)
    assert innoscience.filed == date(2026, 2, 4)
    assert innoscience.extra["citation"] == "91 FR 5259"
    assert innoscience.extra["pages"] == [5260, 5261]
    assert innoscience.case_numbers == ["337-TA-1414"]
    assert innoscience.title == (
        "Certain Semiconductor Devices and Products Containing the Same; Notice of a Commission "
        "Determination To Review in Part a Final Initial Determination Finding a Violation; Request for "
        "Written Submissions on Remedy, the Public Interest, and Bonding"
    )
    assert innoscience.stage == "review"
    assert innoscience.products == ["Certain Semiconductor Devices and Products Containing the Same"]
    assert innoscience.raw_ref == RAW_URL


def test_raw_text_is_clean(innoscience: Document) -> None:
    text = innoscience.text
    assert "[[Page" not in text and "<a" not in text and "&#160;" not in text and "``" not in text
    # Cloudflare's obfuscated address is restored; the wrapped "Office of the General [[Page
    # 5260]] Counsel" reads as one phrase; "non-\nconfidential" keeps its hyphen.
    assert "please email EDIS3Help@usitc.gov." in text
    assert "Office of the General Counsel, U.S. International Trade Commission" in text
    assert "Copies of non-confidential documents" in text
    assert innoscience.summary.startswith(
        'Notice is hereby given that the U.S. International Trade Commission ("Commission")'
    )
    assert decode_cloudflare_email("f4b1b0bda7c7bc919884b481879d8097da939b82") == "EDIS3Help@usitc.gov"


def test_innoscience_respondents_of_china_and_infineon_complainants(innoscience: Document) -> None:
    respondents = _by_role(innoscience, Role.RESPONDENT)
    assert ("Innoscience (Suzhou) Technology Company, Ltd.", "Lili Town", "China") in respondents
    assert ("Innoscience (Zhuhai) Technology Company, Ltd.", None, "China") in respondents
    assert respondents == [
        ("Innoscience (Suzhou) Technology Company, Ltd.", "Lili Town", "China"),
        ("Innoscience (Suzhou) Semiconductor Co., Ltd.", "Lili Town", "China"),
        ("Innoscience (Zhuhai) Technology Company, Ltd.", None, "China"),
        ("Innoscience America, Inc.", "Santa Clara", "United States"),
    ]
    assert _by_role(innoscience, Role.COMPLAINANT) == [
        ("Infineon Technologies Americas Corp.", "El Segundo", "United States"),
        ("Infineon Technologies Austria AG", "Villach", "Austria"),
    ]
    names = [p.name for p in innoscience.parties]
    assert not any(
        "Infineon" in n for n in [p.name for p in innoscience.parties if p.role != Role.COMPLAINANT]
    )
    assert not any("Unfair Import" in n for n in names)
    zhuhai = next(p for p in innoscience.parties if "Zhuhai" in p.name)
    assert zhuhai.address == "Guangdong, China"


def test_corrected_corporate_name_becomes_an_alias(innoscience: Document) -> None:
    suzhou = innoscience.parties[2]
    assert suzhou.name == "Innoscience (Suzhou) Technology Company, Ltd."
    assert suzhou.aliases == [
        "Innoscience (Suzhou) Technology Co., Ltd.",
        "Innoscience (Suzhou) Technology Holding Co., Ltd.",
    ]


def test_raw_text_facts_in_extra(innoscience: Document) -> None:
    assert innoscience.extra["patents"] == ["9,899,481", "8,686,562", "9,070,755", "8,264,003"]
    assert innoscience.extra["bond"] == "one hundred (100) percent"
    assert innoscience.extra["dates"] == {
        "instituted": "2024-08-30",
        "submissions_due": "2026-02-17",
        "replies_due": "2026-02-24",
        "commission_vote": "2026-02-02",
        "issued": "2026-02-02",
    }
    # The body cites 337-TA-360 and 337-TA-1366; they are mentioned, not the notice's case.
    assert innoscience.extra["mentioned_case_numbers"] == ["337-TA-1414", "337-TA-360", "337-TA-1366"]


def test_merge_keeps_api_metadata_and_adds_the_full_text(innoscience: Document) -> None:
    listing_json = json.dumps(
        [
            {
                "document_number": "2026-02297",
                "publication_date": "2026-02-05",
                "title": innoscience.title,
                "abstract": "Notice is hereby given that the Commission has determined to review in part.",
                "html_url": "https://www.federalregister.gov/documents/2026/02/05/2026-02297/x",
            }
        ]
    ).encode()
    [listing] = parse_search_response(listing_json).documents
    merged = merge_documents(listing, innoscience)
    assert merged.url == "https://www.federalregister.gov/documents/2026/02/05/2026-02297/x"
    assert merged.summary == listing.summary
    assert merged.case_numbers == ["337-TA-1414"]
    assert merged.parties == innoscience.parties
    assert merged.text == innoscience.text
    assert merged.stage == "review"


def test_full_text_xml_2016(itc337_dir: Path) -> None:
    url = "http://127.0.0.1:8765/documents/full_text/xml/2016/04/15/2016-08680.xml"
    result = parse_full_text_xml((itc337_dir / "fr_full_text_xml_2016-08680.xml").read_bytes(), url=url)
    assert result.problems == []
    [document] = result.documents
    assert document.id == "fr:2016-08680"
    assert document.published == date(2016, 4, 15)  # from the URL: the <NOTICE> has no date
    assert document.filed == date(2016, 4, 14)
    assert document.case_numbers == ["337-TA-944"]
    assert document.stage == "review"
    assert document.products == ["Certain Network Devices, Related Software and Components Thereof (I)"]
    assert document.summary.startswith(
        "Notice is hereby given that the U.S. International Trade Commission has"
    )
    assert [(p.name, p.role.value, p.city, p.country) for p in document.parties] == [
        ("Cisco Systems, Inc.", "complainant", "San Jose", "United States"),
        ("Arista", "respondent", None, None),  # "Respondent Arista's Public Interest Submission"
    ]
    assert document.extra["patents"] == [
        "7,162,537",
        "8,356,296",
        "7,290,164",
        "7,340,597",
        "6,741,592",
        "7,200,145",
    ]
    assert document.extra["pages"] == [22313, 22314]
    assert document.extra["dates"]["submissions_due"] == "2016-04-25"


def test_xml_errors_are_problems() -> None:
    assert (
        parse_full_text_xml(b"<NOTICE><PREAMB></PREAMB></NOTICE>")
        .problems[0]
        .reason.startswith("no FR document")
    )
    assert parse_full_text_xml(b"").problems
    assert parse_full_text_xml(b"<FEDREG><DATE>x</DATE></FEDREG>").problems[0].reason == "no <NOTICE> element"


def test_raw_text_without_a_document_number_is_a_problem(itc337_dir: Path) -> None:
    # The 80 FR 57019 excerpt starts at the abstract: no FR Doc number anywhere, and no URL.
    content = (
        itc337_dir / "fr_text_80FR57019_337-TA-929_ID_RD_public_interest_dongguan_china.excerpt.txt"
    ).read_bytes()
    result = parse_raw_text(content)
    assert result.documents == []
    assert result.problems[0].reason == "no FR document number in the text or the URL"


# -- real excerpts ---------------------------------------------------------------------------


def test_consolidated_header_wrapped_over_two_lines(itc337_dir: Path) -> None:
    content = (itc337_dir / "fr_text_80FR80797_337-TA-928_937_consolidated_header.excerpt.txt").read_bytes()
    [document] = parse_raw_text(content).documents
    assert document.id == "fr:2015-32533"
    assert document.case_numbers == ["337-TA-928", "337-TA-937"]
    assert document.published == date(2015, 12, 28)
    assert document.extra["citation"] == "80 FR 80797"
    assert document.stage == "remand"
    assert document.products == ["Certain Windshield Wipers and Components Thereof"]


def test_institution_excerpt_1098(itc337_dir: Path) -> None:
    content = itc337_dir / "fr_text_2018-01379_337-TA-1098_institution_of_investigation_BEGINNING.excerpt.txt"
    [document] = parse_raw_text(content.read_bytes()).documents
    assert document.id == "fr:2018-01379"
    assert document.case_numbers == ["337-TA-1098"]
    # The page is truncated inside the title paragraph: the mirror's headline has it whole.
    assert (
        document.title
        == "Certain Subsea Telecommunication Systems and Components Thereof; Institution of Investigation"
    )
    assert document.stage == "institution"
    assert [(p.name, p.role.value, p.country) for p in document.parties] == [
        ("Neptune Subsea Acquisitions Ltd.", "complainant", "United Kingdom"),
        ("Neptune Subsea IP Ltd.", "complainant", "United Kingdom"),
        ("Xtera, Inc.", "complainant", "United States"),
    ]
    assert document.extra["dates"] == {"complaint_filed": "2017-12-22"}


def test_recommended_remedy_targets_in_excerpt_929(itc337_dir: Path) -> None:
    content = itc337_dir / "fr_text_80FR57019_337-TA-929_ID_RD_public_interest_dongguan_china.excerpt.txt"
    facts = read_gpo_notice(content.read_text(encoding="utf-8"))
    assert facts.case_numbers == ["337-TA-929"]
    assert facts.stage.stage == "public_interest"  # the LEO is only recommended
    assert [(p.name, p.role) for p in facts.parties] == [
        ("DongGuan Hai Precision Mould Co., Ltd.", Role.RESPONDENT),
        ("Solofill LLC", Role.RESPONDENT),
    ]


def test_column_jumbled_receipt_excerpt_gives_no_junk(itc337_dir: Path) -> None:
    content = (
        itc337_dir
        / "fr_pdftext_2022-25631_DN3655_receipt_of_complaint_chinese_respondents_COLUMN_JUMBLED.excerpt.txt"
    )
    [document] = parse_raw_text(content.read_bytes()).documents
    assert document.id == "fr:2022-25631"
    assert document.published == date(2022, 11, 25)
    assert document.stage == "receipt_of_complaint"
    assert document.docket_number == "DN 3655"
    # Two PDF columns interleaved: the respondent list cannot be read, and nothing is guessed.
    assert document.parties == []
    assert document.products == []


# -- constructed notices (no full real sample of these shapes exists) --------------------------

CONSTRUCTED_INSTITUTION_GPO = """<html><body><pre>
[Federal Register Volume 89, Number 170 (Tuesday, September 3, 2024)]
[Notices]
[Pages 70667-70668]
[FR Doc No: 2024-19700]

INTERNATIONAL TRADE COMMISSION

[Investigation No. 337-TA-1414]


Certain Semiconductor Devices and Products Containing the Same;
Institution of Investigation

AGENCY: U.S. International Trade Commission.

SUMMARY: Notice is hereby given that a complaint was filed with the
U.S. International Trade Commission on July 26, 2024, under section 337
of the Tariff Act of 1930, as amended, on behalf of Infineon
Technologies Americas Corp. of El Segundo, California and Infineon
Technologies Austria AG of Villach, Austria.

SUPPLEMENTARY INFORMATION:
    (3) For the purpose of the investigation so instituted, the
following are hereby named as parties upon which this notice of
investigation shall be served:
    (a) The complainants are:

Infineon Technologies Americas Corp., 101 N. Pacific Coast Highway, El
Segundo, CA 90245
Infineon Technologies Austria AG, Siemensstrasse 2, 9500 Villach,
Austria

    (b) The respondents are the following entities alleged to be in
violation of section 337, and are the parties upon which the complaint
is to be served:

Innoscience (Zhuhai) Technology Company, Ltd., No. 39 Jinyuan 2nd
Road, Gaoxin District, Zhuhai, Guangdong, China 519085
Innoscience (Suzhou) Technology Company, Ltd. d/b/a Innoscience Suzhou,
Building 2, No. 1 Lili Road, Lili Town, Wujiang District, Suzhou,
Jiangsu, China
Innoscience America, Inc., 3945 Freedom Circle, Suite 430, Santa
Clara, CA 95054

    (c) The Office of Unfair Import Investigations, U.S. International
Trade Commission, 500 E Street SW, Suite 401, Washington, DC 20436; and
    (4) For the investigation so instituted, the Chief Administrative
Law Judge shall designate the presiding Administrative Law Judge.
[FR Doc. 2024-19700 Filed 8-30-24; 8:45 am]
</pre></body></html>"""

CONSTRUCTED_INSTITUTION_LINES = """[FR Doc No: 2023-00001]

INTERNATIONAL TRADE COMMISSION

[Investigation No. 337-TA-1350]

Certain Widgets; Notice of Institution of Investigation

    (a) The complainant is:
Acme Widget Corp.
1 Main Street
Springfield, IL 62701

    (b) The respondents are the following entities alleged to be in
violation of section 337, and are the parties upon which the complaint
is to be served:
Shenzhen Lishian Technology Co., Ltd. f/k/a Shenzhenshi Lishian Keji Youxiangongsi
Room 1201, Block B, Tianan Cyber Park
Futian District, Shenzhen, Guangdong 518040
China

Dongguan Widget Co. LTD
No. 8 Industrial Road
Dongguan, Guangdong
China

    (c) The Office of Unfair Import Investigations, U.S. International
Trade Commission, 500 E Street SW, Suite 401, Washington, DC 20436
"""


def _people(document: Document) -> list[tuple[str, str, str | None, str | None, list[str]]]:
    return [(p.name, p.role.value, p.city, p.country, p.aliases) for p in document.parties]


def test_constructed_institution_block_in_gpo_wrapping() -> None:
    [document] = parse_raw_text(CONSTRUCTED_INSTITUTION_GPO.encode()).documents
    assert document.stage == "institution"
    assert document.case_numbers == ["337-TA-1414"]
    assert _people(document) == [
        ("Infineon Technologies Americas Corp.", "complainant", "El Segundo", "United States", []),
        ("Infineon Technologies Austria AG", "complainant", "Villach", "Austria", []),
        ("Innoscience (Zhuhai) Technology Company, Ltd.", "respondent", "Zhuhai", "China", []),
        (
            "Innoscience (Suzhou) Technology Company, Ltd.",
            "respondent",
            "Suzhou",
            "China",
            ["Innoscience Suzhou"],
        ),
        ("Innoscience America, Inc.", "respondent", "Santa Clara", "United States", []),
    ]
    zhuhai = document.parties[2]
    assert zhuhai.address == "No. 39 Jinyuan 2nd Road, Gaoxin District, Zhuhai, Guangdong, China 519085"


def test_constructed_institution_block_one_field_per_line() -> None:
    [document] = parse_raw_text(CONSTRUCTED_INSTITUTION_LINES.encode()).documents
    assert _people(document) == [
        ("Acme Widget Corp.", "complainant", "Springfield", "United States", []),
        (
            "Shenzhen Lishian Technology Co., Ltd.",
            "respondent",
            "Shenzhen",
            "China",
            ["Shenzhenshi Lishian Keji Youxiangongsi"],
        ),
        ("Dongguan Widget Co. LTD", "respondent", "Dongguan", "China", []),
    ]


def test_constructed_receipt_of_complaint_list() -> None:
    text = """[FR Doc No: 2022-25631]

INTERNATIONAL TRADE COMMISSION

Notice of Receipt of Complaint; Solicitation of Comments Relating to the Public Interest

SUMMARY: Notice is hereby given that the U.S. International Trade
Commission has received a complaint entitled Certain Location-Sharing
Systems, Related Software, Components Thereof, and Products Containing
Same, DN 3655; the Commission is soliciting comments on any public
interest issues raised by the complaint.

SUPPLEMENTARY INFORMATION: The Commission has received a complaint
filed on behalf of Philips RS North America LLC of Pittsburgh,
Pennsylvania on October 21, 2022. The complaint names as respondents:
OnePlus Technology (Shenzhen) Co., Ltd. of China; Xiaomi H.K. Ltd. of
Hong Kong; and Xiaomi Inc. of China. The complainant requests that the
Commission issue a limited exclusion order.
"""
    [document] = parse_raw_text(text.encode()).documents
    assert document.docket_number == "DN 3655"
    assert document.products == [
        "Certain Location-Sharing Systems, Related Software, Components Thereof, and Products Containing Same"
    ]
    assert [(p.name, p.role.value, p.country) for p in document.parties] == [
        ("Philips RS North America LLC", "complainant", "United States"),
        ("OnePlus Technology (Shenzhen) Co., Ltd.", "proposed_respondent", "China"),
        ("Xiaomi H.K. Ltd.", "proposed_respondent", "Hong Kong"),
        ("Xiaomi Inc.", "proposed_respondent", "China"),
    ]


def test_constructed_later_notice_prose_and_aliases() -> None:
    text = """[FR Doc No: 2025-10001]

INTERNATIONAL TRADE COMMISSION

[Investigation No. 337-TA-1400]

Certain Scooters; Notice of a Commission Determination To Issue a General Exclusion Order;
Termination of the Investigation

SUMMARY: Notice is hereby given that the Commission has determined to issue a general
exclusion order and a cease and desist order against defaulting respondent Yongkang
Scooter Co., Ltd. d/ b/a Kidsride of Yongkang, Zhejiang, China.

SUPPLEMENTARY INFORMATION: The Commission instituted this investigation on March 1, 2024,
based on a complaint filed by Razor USA LLC of Cerritos, California. 89 FR 1000 (Mar. 1,
2024). The notice of investigation named as respondents Ningbo Fly Co., Ltd. of Ningbo,
China; Shenzen Wheel Technology Co., Ltd. a/k/a Shenzhen Wheel Tech of Shenzhen, China;
Yongkang Scooter Co., Ltd. of Yongkang, Zhejiang, China; and Scoot Imports Inc. of
Miami, Florida. The Office of Unfair Import Investigations is participating.
"""
    [document] = parse_raw_text(text.encode()).documents
    assert document.stage == "general_exclusion_order"
    assert document.extra["dates"]["instituted"] == "2024-03-01"
    assert _people(document) == [
        ("Razor USA LLC", "complainant", "Cerritos", "United States", []),
        ("Yongkang Scooter Co., Ltd.", "defaulting_respondent", "Yongkang", "China", ["Kidsride"]),
        ("Ningbo Fly Co., Ltd.", "respondent", "Ningbo", "China", []),
        ("Shenzen Wheel Technology Co., Ltd.", "respondent", "Shenzhen", "China", ["Shenzhen Wheel Tech"]),
        ("Scoot Imports Inc.", "respondent", "Miami", "United States", []),
    ]
