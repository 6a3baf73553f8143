"""Understanding Schedule A suits: captions, IP nature, docket-text stages, schedules, brands,
law firms, docket numbers.

Captions come from the real us_ip_case_captions.json and the variants SOURCES.md lists.
No sample holds Schedule A docket texts or schedules, so those examples are CONSTRUCTED in
the wording N.D. Ill. and S.D. Fla. dockets use; the seller ids and store URLs in them are
made up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ipsentry.core.documents import Role
from ipsentry.core.stages import ECOMMERCE_STAGES
from ipsentry.crawlers.parsers.dockets import (
    case_key,
    court_id_from_abbreviation,
    court_id_from_url,
    is_bankruptcy_court,
    normalise_docket_number,
    parse_docket_number,
)
from ipsentry.crawlers.parsers.schedule_a import (
    MarketplaceRef,
    brand_from_plaintiff,
    brands_asserted,
    brands_in_text,
    country_from_party_info,
    defendant_from_caption,
    firm_from_contact,
    ip_nature,
    is_schedule_a,
    law_firms_in_text,
    marketplace_refs,
    most_significant_stage,
    plaintiff_from_caption,
    role_from_party_type,
    schedule_defendants,
    stage_from_docket_text,
)


def test_real_captions(samples_dir: Path) -> None:
    records = json.loads((samples_dir / "ecommerce" / "us_ip_case_captions.json").read_text())
    recognised = [r["case_name"] for r in records if is_schedule_a(r["case_name"])]
    assert recognised == [
        "River Light V, LP v. The Partnerships and Unincorporated Associations Identified on Schedule A",
        "General Motors LLC v. The Partnerships and Unincorporated Associations Identified on Schedule A",
        "GoPro, Inc. v. The Individuals, Corporations, Limited Liability Companies, Partnerships, and "
        "Unincorporated Associations Identified on Schedule A",
    ]


@pytest.mark.parametrize(
    "caption",
    [
        "Nike, Inc. v. The Partnerships and Unincorporated Associations Identified on Schedule A",
        'Nike, Inc. v. The Partnerships and Unincorporated Associations Identified on Schedule "A"',
        "Nike, Inc. v. The Partnerships and Unincorporated Associations Identified on Schedule “A”",
        "Oakley, Inc. v. The Individuals, Corporations, Limited Liability Companies, Partnerships, and "
        "Unincorporated Associations Identified on Schedule A Hereto",
        "Roblox Corp. v. The Partnerships and Unincorporated Associations Identified in Schedule A",
        "Roblox Corp. v. Individuals, Corps., LLCs, P'ships, & Unincorporated Ass'ns "
        "Identified on Schedule A",
        "Jane Doe v. The Partnerships and Unincorporated Assocs. Identified on Schedule A",
        "Nike, Inc. v. Schedule A Defendants",
        "Nike, Inc. vs. The Partnerships, et al.",
        "Nike, Inc. v. The Partnerships and Uninc",  # a PACER title cut short
    ],
)
def test_schedule_a_caption_variants(caption: str) -> None:
    assert is_schedule_a(caption)


@pytest.mark.parametrize(
    "caption",
    [
        "Ex Parte Appeal by Springs Investors Group LP",
        "Opposition by Jaguar Land Rover Limited",
        "Cancellation by Marine Layer PBC",
        "In re Smith, Amended Schedule A/B: Property",
        "Smith v. Jones, Schedule A/B",
        "Dahdoul Textiles, Inc. v. 99 Cents Only Stores LLC et al",
        "Smith v. Teamsters Local 710, an unincorporated association",
        "Schedule A Holdings LLC v. Smith",  # the words on the plaintiff side
        "",
    ],
)
def test_not_schedule_a(caption: str) -> None:
    assert not is_schedule_a(caption)


def test_plaintiff_and_defendant_from_caption() -> None:
    assert plaintiff_from_caption("River Light V, LP v. The Partnerships …") == "River Light V, LP"
    assert plaintiff_from_caption("Spoon et al v. Ethicon, Inc. et al") == "Spoon"
    assert (
        plaintiff_from_caption("Jane Doe v. The Partnerships and Unincorporated Associations") == "Jane Doe"
    )
    assert plaintiff_from_caption("Ex Parte Appeal by Boyd Gaming Corporation") is None
    assert defendant_from_caption("Dahdoul Textiles, Inc. v. 99 Cents Only Stores LLC et al") == (
        "99 Cents Only Stores LLC"
    )
    assert defendant_from_caption("Nike, Inc. v. Schedule A Defendants") is None


@pytest.mark.parametrize(
    ("nature_of_suit", "cause", "expected"),
    [
        ("840 Trademark", "15:1114 Trademark Infringement", "trademark"),  # the real RECAP docket
        ("820 Copyright", None, "copyright"),
        ("830 Patent", None, "patent"),
        ("Property Rights: Patent", None, "patent"),
        (None, "15:1114 Trademark Infringement", "trademark"),
        (None, "15:1125 Trademark Infringement (Lanham Act)", "trademark"),
        (None, "17:501 Copyright Infringement", "copyright"),
        (None, "35:271 Patent Infringement", "patent"),
        ("820 Copyright", "35:271 Patent Infringement", "copyright"),  # the code wins
        ("190 Contract: Other", "28:1332 Diversity-Breach of Contract", None),
        (None, None, None),
    ],
)
def test_ip_nature(nature_of_suit: str | None, cause: str | None, expected: str | None) -> None:
    assert ip_nature(nature_of_suit, cause) == expected


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("COMPLAINT filed by Nike, Inc.; Jury Demand. (Attachments: # 1 Exhibit Schedule A)", "complaint"),
        ("AMENDED COMPLAINT against The Partnerships and Unincorporated Associations", "complaint"),
        ("ANSWER to Complaint by Defendant shop123", "other"),
        ("MOTION by Plaintiff Nike, Inc. for temporary restraining order", "tro_motion"),
        (
            "EX PARTE MOTION for Entry of a Temporary Restraining Order, Including a Temporary Injunction, "
            "a Temporary Asset Restraint, and Expedited Discovery",
            "tro_motion",
        ),
        ("MEMORANDUM by Nike, Inc. in support of motion for temporary restraining order 12", "tro_motion"),
        (
            "MINUTE entry before the Honorable X: Plaintiff's motion for entry of a temporary restraining "
            "order [13] is granted. Enter Sealed Temporary Restraining Order. Mailed notice.",
            "tro_granted",
        ),
        ("SEALED TEMPORARY RESTRAINING ORDER. Signed by the Honorable X on 4/1/2024.", "tro_granted"),
        ("ORDER granting 12 Ex Parte Motion for Temporary Restraining Order", "tro_granted"),
        ("[Order on Motion for Temporary Restraining Order]", "tro_granted"),
        ("ORDER denying 12 Motion for Temporary Restraining Order", "other"),
        (
            "ORDER TO SHOW CAUSE why a preliminary injunction should not issue; TEMPORARY RESTRAINING ORDER "
            "and asset restraining order",
            "tro_granted",
        ),
        ("MOTION by Plaintiff for entry of a preliminary injunction", "other"),
        ("PRELIMINARY INJUNCTION ORDER. Signed by the Honorable X.", "preliminary_injunction"),
        ("MEMORANDUM OPINION AND ORDER granting motion for preliminary injunction", "preliminary_injunction"),
        (
            "ORDER converting the temporary restraining order into a preliminary injunction",
            "preliminary_injunction",
        ),
        (
            "MOTION by Plaintiff for entry of default and default judgment as to Schedule A defendants",
            "default",
        ),
        ("[Clerks Entry of Default]", "default"),  # a real E.D.N.Y. label
        (
            "MINUTE entry: Plaintiff's motion for entry of default and default judgment [40] is granted.",
            "default_judgment",
        ),
        ("FINAL JUDGMENT ORDER. Signed by the Honorable X.", "default_judgment"),
        ("[Order on Motion for Default Judgment]", "default_judgment"),  # a real S.D.N.Y. label
        ("MOTION by Defendant shop123 to vacate entry of default", "other"),
        ("NOTICE of Voluntary Dismissal as to defendants 12 and 15", "dismissal"),
        ("NOTICE by Nike, Inc. of dismissal of certain defendants", "dismissal"),
        (
            "MINUTE entry: Pursuant to the notice of voluntary dismissal, defendants 3 and 4 are dismissed.",
            "dismissal",
        ),
        ("MOTION by Defendant shop123 to dismiss for lack of personal jurisdiction", "other"),
        ("ORDER denying motion to dismiss", "other"),
        ("NOTICE of Settlement with defendant 7", "settlement"),
        ("ORDER setting settlement conference for 5/1/2024", "other"),
        ("[Judgment - Consent]", "settlement"),
        ("ORDER granting motion for electronic service of process", "other"),
        ("NOTICE of Attorney Appearance by Justin R. Gaudio on behalf of Nike, Inc.", "other"),
        ("", "other"),
    ],
)
def test_stage_from_docket_text(text: str, stage: str) -> None:
    assert stage_from_docket_text(text) == stage


def test_real_recap_entries_stages(samples_dir: Path) -> None:
    from lxml import etree

    root = etree.parse(
        str(samples_dir / "ecommerce" / "recap_ia_docket_xml_cacd_trademark_840.xml")
    ).getroot()
    stages = [stage_from_docket_text(d.findtext("long_desc") or "") for d in root.iter("document")]
    # entry 2 is a deficiency notice that mentions "a complaint"; entry 3 is the complaint
    assert stages == ["other", "other", "complaint", "other", "other", "other", "other"]


def test_most_significant_stage() -> None:
    assert most_significant_stage(["other", "dismissal"]) == "dismissal"
    assert most_significant_stage(["tro_motion", "tro_granted", "other"]) == "tro_granted"
    assert most_significant_stage(["other", "not-a-stage"]) == "other"
    assert set(ECOMMERCE_STAGES) >= {"tro_granted", "default_judgment", "settlement"}


SCHEDULE = """\
Def. No. | Seller Alias | Seller ID / Store URL
1 | gaozhixiang | A1B2C3D4E5F6G7 | https://www.amazon.com/sp?seller=A1B2C3D4E5F6G7
2\tBestShop Store\thttps://www.walmart.com/seller/101234567
3  temu-happy  https://www.temu.com/happy-store-m-634418212345678.html
4 cool-sale https://www.aliexpress.com/store/1101234567
5. ebayseller  https://www.ebay.com/str/greatdealsusa
6  nikeshoesoutlet.com
"""


def test_schedule_defendants_constructed_schedule() -> None:
    rows = schedule_defendants(SCHEDULE)
    assert [(r.number, r.alias) for r in rows] == [
        (1, "gaozhixiang"),
        (2, "BestShop Store"),
        (3, "temu-happy"),
        (4, "cool-sale"),
        (5, "ebayseller"),
        (6, None),
    ]
    assert [(ref.marketplace, ref.seller_id) for r in rows for ref in r.refs] == [
        ("amazon", "A1B2C3D4E5F6G7"),
        ("walmart", "101234567"),
        ("temu", "634418212345678"),
        ("aliexpress", "1101234567"),
        ("ebay", "greatdealsusa"),
        ("web", None),
    ]
    assert rows[5].refs[0].url == "https://nikeshoesoutlet.com"


def test_marketplace_refs_in_free_text() -> None:
    refs = marketplace_refs(
        "Seller A2R2RITDJNW1Q6 (ADMINISTRATIONS) also at amazon.com/s?me=A3ABCDEF12345Z; "
        "contact lmerrill@wkbllp.com"
    )
    assert refs == [
        MarketplaceRef(
            marketplace="amazon", seller_id="A3ABCDEF12345Z", url="https://amazon.com/s?me=A3ABCDEF12345Z"
        ),
        MarketplaceRef(marketplace="amazon", seller_id="A2R2RITDJNW1Q6"),
    ]


def test_brands() -> None:
    assert brand_from_plaintiff("GoPro, Inc.") == "GoPro"
    assert brand_from_plaintiff("General Motors LLC") == "General Motors"
    assert brand_from_plaintiff("ORZ, GmbH and Co. KG") == "ORZ"  # the real RECAP plaintiff
    assert brand_from_plaintiff("Jane Doe") is None  # pseudonymous: no brand to read
    assert brand_from_plaintiff("XYZ Corporation") is None
    text = (
        "Plaintiff owns the NIKE Trademarks (the “NIKE Trademarks”) and U.S. Trademark Registration "
        "Nos. 1,234,567; the OAKLEY Design Patents; Defendants infringe Plaintiff's Trademarks"
    )
    assert brands_in_text(text) == ["NIKE", "OAKLEY"]
    assert brands_asserted("Nike, Inc.", text) == ["Nike", "OAKLEY"]


def test_law_firms() -> None:
    text = "Justin R. Gaudio, Greer, Burns & Crain, Ltd., 300 South Wacker Drive; Epstein Drangel LLP"
    assert law_firms_in_text(text) == ["Greer, Burns & Crain", "Epstein Drangel"]
    assert firm_from_contact(
        "Wilson Keadjian Browndorf LLP\n1900 Main Street Suite 600\nIrvine, CA 92614"
    ) == ("Wilson Keadjian Browndorf LLP")
    assert firm_from_contact("Greer Burns & Crain Ltd\n300 S Wacker Dr") == "Greer, Burns & Crain"
    assert firm_from_contact("1900 Main Street\nEmail: x@example.com") is None


def test_docket_numbers_and_courts() -> None:
    assert normalise_docket_number("1-24-cv-03089") == "1:24-cv-03089"  # as us_ip_case_captions writes it
    assert normalise_docket_number("5:17-cv-291-SP") == "5:17-cv-00291"  # from the real RECAP docket
    assert normalise_docket_number("1:12-cv-04402-PKC-CLP") == "1:12-cv-04402"
    assert normalise_docket_number("1:12-cr-00120-3") == "1:12-cr-00120"
    assert normalise_docket_number("18-00079") == "18-00079"
    assert normalise_docket_number("5:18-~gr-00001") is None
    parsed = parse_docket_number("1:17-cr-00554-MKB")
    assert parsed is not None and parsed.judge_initials == ("MKB",) and parsed.case_type == "cr"
    assert case_key("ilnd", "1-24-cv-3089") == "ilnd:1:24-cv-03089"
    assert case_key("wvsd", "5:18-~gr-00001") == "wvsd:5:18-~gr-00001"
    assert [court_id_from_abbreviation(a) for a in ("NDIL", "SDFL", "CDCA", "DNJ", "TTAB")] == [
        "ilnd",
        "flsd",
        "cacd",
        "njd",
        "ttab",
    ]
    assert court_id_from_url("https://ecf.wvsd.uscourts.gov") == "wvsd"
    assert court_id_from_url("https://ecf.ilnd.uscourts.gov/cgi-bin/rss_outside.pl") == "ilnd"
    assert court_id_from_url("http://127.0.0.1:8080/rss") is None
    assert is_bankruptcy_court("mdb") and not is_bankruptcy_court("ilnd")


def test_party_types_and_countries() -> None:
    assert role_from_party_type("Plaintiff") is Role.PLAINTIFF
    assert role_from_party_type("Defendant") is Role.DEFENDANT
    assert role_from_party_type("Counter Defendant") is Role.PLAINTIFF
    assert role_from_party_type("Counter Claimant") is Role.DEFENDANT
    assert role_from_party_type("Interested Party") is Role.OTHER
    assert country_from_party_info("a German Corporation") == "Germany"
    assert country_from_party_info("an individual residing in the People's Republic of China") == "China"
    assert country_from_party_info("a Hong Kong company") == "Hong Kong"
    assert country_from_party_info("a Nevada corporation") is None
