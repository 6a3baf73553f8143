"""Enterprise matching on documents: parties first, then free text; roles, confidence, severity.

Realistic inputs come from the shared samples (USITC news releases and Federal Register texts),
read at test time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ipsentry.core.documents import Document, Match, Party, RiskKind, Role, Severity
from ipsentry.core.registry import EnterpriseRecord
from ipsentry.tagging.matcher import EnterpriseMatcher

SUZHOU, ZHUHAI, INFINEON, LISHIAN, DANGSHENG, DAWNSENS, HAI_MOULD, ONEPLUS, XIAOMI = range(1, 10)

REGISTRY = [
    EnterpriseRecord(
        id=SUZHOU,
        external_id="innoscience-suzhou",
        name_zh="英诺赛科（苏州）科技有限公司",
        names_en=["Innoscience (Suzhou) Technology Co., Ltd."],
    ),
    EnterpriseRecord(
        id=ZHUHAI,
        external_id="innoscience-zhuhai",
        name_zh="英诺赛科（珠海）科技有限公司",
        names_en=["Innoscience (Zhuhai) Technology Co., Ltd."],
    ),
    EnterpriseRecord(id=INFINEON, external_id="infineon", names_en=["Infineon Technologies Americas Corp."]),
    # registered in Chinese only: every Latin form comes from the pinyin bridge
    EnterpriseRecord(
        id=LISHIAN,
        external_id="lishian",
        name_zh="深圳市利世安科技有限公司",
        stores=["Lishian Direct"],
        seller_ids=["A2LISHIAN99"],
        region_city="深圳市",
    ),
    EnterpriseRecord(id=DANGSHENG, external_id="dangsheng-xiamen", name_zh="厦门当盛科技有限公司"),
    EnterpriseRecord(id=DAWNSENS, external_id="dawnsens", names_en=["Dawnsens New Materials Co., Ltd."]),
    EnterpriseRecord(
        id=HAI_MOULD, external_id="hai-mould", names_en=["DongGuan Hai Precision Mould Co., Ltd."]
    ),
    EnterpriseRecord(id=ONEPLUS, external_id="oneplus", names_en=["OnePlus Technology (Shenzhen) Co., Ltd."]),
    EnterpriseRecord(
        id=XIAOMI, external_id="xiaomi", names_en=["Xiaomi Inc."], name_zh="小米科技有限责任公司"
    ),
]


@pytest.fixture(scope="module")
def matcher() -> EnterpriseMatcher:
    return EnterpriseMatcher.build(REGISTRY)


def notice(*parties: Party, stage: str = "institution", summary: str = "", title: str = "") -> Document:
    return Document(
        id="fr:test",
        source="federal_register",
        kind=RiskKind.ITC337,
        native_id="test",
        title=title or "Certain Gallium Nitride Semiconductor Devices; Institution of Investigation",
        summary=summary,
        stage=stage,
        parties=list(parties),
    )


def matches_of(document: Document, enterprise_id: int) -> list[Match]:
    return [match for match in document.matches if match.enterprise_id == enterprise_id]


def respondent_lines(path: Path) -> list[str]:
    """The respondent lines of a USITC news release, as written (with their addresses)."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.search(r"respondents in this investigation:", line))
    out = []
    for line in lines[start + 1 :]:
        if not line.strip() or line.startswith("By instituting"):
            break
        out.append(re.sub(r"^- |;$|; and$|\.$", "", line.strip()).removeprefix("and "))
    return out


def test_innoscience_suzhou_respondent_is_a_high_confidence_match(matcher: EnterpriseMatcher) -> None:
    party = Party(name="Innoscience (Suzhou) Technology Company, Ltd.", role=Role.RESPONDENT, country="China")
    tagged = matcher.tag(notice(party))
    [match] = tagged.matches
    assert match.enterprise_id == SUZHOU
    assert match.enterprise_name == "英诺赛科（苏州）科技有限公司"
    assert (match.kind, match.role, match.confidence, match.score) == (
        "party_name",
        Role.RESPONDENT,
        "high",
        1.0,
    )
    assert match.evidence == "Innoscience (Suzhou) Technology Company, Ltd."
    assert match.variant == "Innoscience (Suzhou) Technology Co., Ltd."
    assert tagged.severity is Severity.CRITICAL  # a named respondent at institution


def test_the_zhuhai_sibling_is_matched_separately(matcher: EnterpriseMatcher) -> None:
    tagged = matcher.tag(
        notice(
            Party(name="Innoscience (Suzhou) Technology Company, Ltd.", role=Role.RESPONDENT),
            Party(name="Innoscience (Zhuhai) Technology Co., Ltd.", role=Role.RESPONDENT),
        )
    )
    assert [(m.enterprise_id, m.confidence) for m in tagged.matches] == [(SUZHOU, "high"), (ZHUHAI, "high")]
    only_zhuhai = matcher.tag(
        notice(Party(name="INNOSCIENCE (ZHUHAI) TECHNOLOGY CO LTD", role=Role.RESPONDENT))
    )
    assert [m.enterprise_id for m in only_zhuhai.matches] == [ZHUHAI]


def test_an_unregistered_sibling_is_at_most_a_low_confidence_near_match(matcher: EnterpriseMatcher) -> None:
    tagged = matcher.tag(
        notice(Party(name="Innoscience (Shenzhen) Technology Co., Ltd.", role=Role.RESPONDENT))
    )
    assert tagged.matches
    assert {(m.kind, m.confidence) for m in tagged.matches} == {("similar_name", "low")}
    assert tagged.severity is Severity.HIGH  # one step below the critical a certain match would get


def test_a_complainant_is_informational_and_never_a_respondent(matcher: EnterpriseMatcher) -> None:
    tagged = matcher.tag(
        notice(
            Party(name="Infineon Technologies Americas Corp.", role=Role.COMPLAINANT, country="US"),
            summary="on behalf of Infineon Technologies Americas Corp. of El Segundo, California",
        )
    )
    [match] = tagged.matches  # the mention in the text adds nothing: already matched as a party
    assert (match.enterprise_id, match.role, match.confidence) == (INFINEON, Role.COMPLAINANT, "high")
    assert tagged.severity is Severity.INFO


@pytest.mark.parametrize(
    "decoy",
    [
        "Suzhou Technology Co., Ltd.",
        "Shenzhen Electronics Co., Ltd.",
        "Zhuhai Technology Company Limited",
        "Shenzhen Technology Co., Ltd.",
        "Shenzhenshi Keji Youxiangongsi",
        "Xiamen New Materials Co., Ltd.",
        "Shen Zhen Technology Co. LTD",
        "Technology Co., Ltd.",
    ],
)
def test_decoys_of_generic_words_never_match_high(matcher: EnterpriseMatcher, decoy: str) -> None:
    tagged = matcher.tag(notice(Party(name=decoy, role=Role.RESPONDENT), summary=f"against {decoy} of China"))
    assert tagged.matches == []  # not even a low-confidence guess: nothing identifies anyone


@pytest.mark.parametrize(
    "written",
    [
        "Shenzhen Lishian Technology Co., Ltd.",
        "Shenzhen Lishian Technology Co.",
        "Shenzhenshi Lishian Keji Youxiangongsi",
        "SHEN ZHEN LI SHI AN KE JI CO LTD",
        "Lishian (Shenzhen) Technology Co., Ltd.",
        "深圳市利世安科技有限公司",
    ],
)
def test_a_chinese_only_registry_name_matches_english_written_parties(
    matcher: EnterpriseMatcher, written: str
) -> None:
    tagged = matcher.tag(notice(Party(name=written, role=Role.RESPONDENT, country="China")))
    assert [(m.enterprise_id, m.kind, m.confidence) for m in tagged.matches] == [
        (LISHIAN, "party_name", "high")
    ]


def test_a_place_less_name_is_confirmed_by_the_address(matcher: EnterpriseMatcher) -> None:
    bare = Party(name="Lishian Technology Co., Ltd.", role=Role.RESPONDENT)
    [unconfirmed] = matcher.tag(notice(bare)).matches
    assert (unconfirmed.enterprise_id, unconfirmed.confidence) == (LISHIAN, "low")
    addressed = bare.model_copy(update={"city": "Shenzhen", "address": "Bao'an District, Shenzhen, China"})
    [confirmed] = matcher.tag(notice(addressed)).matches
    assert (confirmed.enterprise_id, confirmed.confidence) == (LISHIAN, "high")
    # the address written into the name, as news releases do, confirms it as well
    in_name = Party(name="Lishian Technology Co., Ltd., Shenzhen, China", role=Role.RESPONDENT)
    assert [(m.enterprise_id, m.confidence) for m in matcher.tag(notice(in_name)).matches] == [
        (LISHIAN, "high")
    ]
    elsewhere = Party(name="Lishian Technology Co., Ltd., Ningbo, China", role=Role.RESPONDENT)
    assert [(m.enterprise_id, m.confidence) for m in matcher.tag(notice(elsewhere)).matches] == [
        (LISHIAN, "low")
    ]


def test_a_typo_in_a_place_is_a_close_near_match(matcher: EnterpriseMatcher) -> None:
    [match] = matcher.tag(
        notice(Party(name="Shenzen Lishian Technology Co., Ltd.", role=Role.DEFENDANT))
    ).matches
    assert (match.enterprise_id, match.kind, match.confidence) == (LISHIAN, "similar_name", "high")
    assert 0.9 <= match.score < 1.0
    assert match.variant == "Shenzhen Lishian Technology Co., Ltd."


def test_a_typo_in_the_distinctive_word_stays_low(matcher: EnterpriseMatcher) -> None:
    # the Zhuhai sibling is close too, but names another city: only Suzhou is reported
    [match] = matcher.tag(
        notice(Party(name="Innosience (Suzhou) Technology Co., Ltd.", role=Role.RESPONDENT))
    ).matches
    assert (match.enterprise_id, match.kind, match.confidence) == (SUZHOU, "similar_name", "low")
    assert match.score > 0.95


def test_an_affiliate_with_the_same_skeleton_is_a_low_near_match(matcher: EnterpriseMatcher) -> None:
    """Respondents of 337-TA-1414 (FR Doc 2026-02297) besides the two registered companies."""
    affiliate = Party(name="Innoscience (Suzhou) Semiconductor Co., Ltd.", role=Role.RESPONDENT)
    [match] = matcher.tag(notice(affiliate)).matches
    assert (match.enterprise_id, match.kind, match.confidence) == (SUZHOU, "similar_name", "low")
    assert match.score < 0.85  # reported for its skeleton (Innoscience + Suzhou), not its spelling
    us_arm = Party(name="Innoscience America, Inc.", role=Role.RESPONDENT)
    assert matcher.tag(notice(us_arm)).matches == []


def test_real_respondent_lines_of_337_ta_1424(matcher: EnterpriseMatcher, samples_dir: Path) -> None:
    release = (
        samples_dir / "itc337" / "usitc_news_release_24-113_337-TA-1424_institution_xiamen_china.excerpt.txt"
    )
    lines = respondent_lines(release)
    assert "Xiamen Dangsheng Technology Co., Ltd., Xiamen, China" in lines
    tagged = matcher.tag(notice(*(Party(name=line, role=Role.RESPONDENT, country="China") for line in lines)))
    by_enterprise = {m.enterprise_id: m for m in tagged.matches}
    # 厦门当盛科技 ↔ "Xiamen Dangsheng Technology Co., Ltd., Xiamen, China" (address cut, pinyin bridged)
    assert by_enterprise[DANGSHENG].confidence == "high"
    assert by_enterprise[DANGSHENG].evidence == "Xiamen Dangsheng Technology Co., Ltd., Xiamen, China"
    # "Xiamen Dangs New-Materials Co., Ltd., AKA Dawnsens New Materials Co., Ltd., Xiamen, China"
    assert by_enterprise[DAWNSENS].confidence == "high"
    assert by_enterprise[DAWNSENS].evidence == "Dawnsens New Materials Co., Ltd., Xiamen, China"
    # "Beijing Dangsheng Technology" is a namesake in another city: never high for the Xiamen one
    beijing = matcher.tag(
        notice(Party(name="Beijing Dangsheng Technology Co., Ltd., Beijing, China", role=Role.RESPONDENT))
    )
    assert all(m.confidence == "low" for m in beijing.matches)
    assert set(by_enterprise) == {DANGSHENG, DAWNSENS}
    assert tagged.severity is Severity.CRITICAL


def test_mentions_in_a_real_notice_body(matcher: EnterpriseMatcher, samples_dir: Path) -> None:
    text = (
        samples_dir
        / "itc337"
        / "fr_text_80FR57019_337-TA-929_ID_RD_public_interest_dongguan_china.excerpt.txt"
    ).read_text()
    document = notice(
        title="Certain Beverage Brewing Capsules; Notice of Initial Determination",
        stage="initial_determination",
    )
    tagged = matcher.tag(document.model_copy(update={"text": text}))
    [match] = tagged.matches
    assert (match.enterprise_id, match.kind, match.role, match.confidence) == (
        HAI_MOULD,
        "mention",
        Role.MENTION,
        "high",
    )
    assert match.evidence == "DongGuan Hai Precision Mould Co., Ltd."
    assert tagged.severity is Severity.LOW  # a mention is not a named respondent


def test_mentions_in_a_jumbled_receipt_notice(matcher: EnterpriseMatcher, samples_dir: Path) -> None:
    path = (
        samples_dir
        / "itc337"
        / "fr_pdftext_2022-25631_DN3655_receipt_of_complaint_chinese_respondents_COLUMN_JUMBLED.excerpt.txt"
    )
    document = notice(
        title="Notice of Receipt of Complaint; Solicitation of Comments", stage="receipt_of_complaint"
    )
    tagged = matcher.tag(document.model_copy(update={"text": path.read_text()}))
    found = {m.enterprise_id: m for m in tagged.matches}
    assert set(found) == {ONEPLUS, XIAOMI}
    assert found[ONEPLUS].evidence == "OnePlus Technology (Shenzhen) Co., Ltd."
    # "Xiaomi Inc. of China" is ours; "Xiaomi Corporation" and "Xiaomi Communications" are not
    assert found[XIAOMI].evidence == "Xiaomi Inc."
    assert all(m.kind == "mention" and m.confidence == "high" for m in tagged.matches)


def test_mentions_in_pinyin_and_chinese_text(matcher: EnterpriseMatcher) -> None:
    text = "Sellers named: Shen Zhen Li Shi An Ke Ji; 另见 英诺赛科（珠海）科技有限公司 的说明。"
    tagged = matcher.tag(notice(summary=text))
    found = {m.enterprise_id: m.evidence for m in tagged.matches}
    assert found == {LISHIAN: "Shen Zhen Li Shi An Ke Ji", ZHUHAI: "英诺赛科（珠海）科技有限公司"}


def test_a_single_word_needs_a_legal_form_to_count_as_a_mention(matcher: EnterpriseMatcher) -> None:
    assert matcher.tag(notice(summary="imports of xiaomi phones and xiaomi chargers")).matches == []
    [match] = matcher.tag(notice(summary="Xiaomi Inc. of China")).matches
    assert match.evidence == "Xiaomi Inc."


def test_stores_and_seller_ids(matcher: EnterpriseMatcher) -> None:
    suit = Document(
        id="cl:docket:1",
        source="courtlistener",
        kind=RiskKind.ECOMMERCE,
        native_id="1",
        title="Acme Brands v. The Partnerships and Unincorporated Associations Identified on Schedule A",
        stage="tro_granted",
        parties=[Party(name="lishian-direct", role=Role.DEFENDANT)],
    )
    tagged = matcher.tag(suit)
    [match] = tagged.matches
    assert (match.enterprise_id, match.kind, match.role, match.confidence) == (
        LISHIAN,
        "store",
        Role.DEFENDANT,
        "high",
    )
    assert tagged.severity is Severity.CRITICAL  # TRO granted against the store
    in_text = matcher.tag(
        suit.model_copy(update={"parties": [], "text": "Schedule A: 17. A2LISHIAN99 (amazon)"})
    )
    [match] = in_text.matches
    assert (match.kind, match.role, match.evidence) == ("store", Role.MENTION, "A2LISHIAN99")


def test_namesakes_are_low_unless_the_legal_form_tells_them_apart() -> None:
    registry = [
        EnterpriseRecord(id=1, external_id="a", names_en=["Golden Lotus Trading Co., Ltd."]),
        EnterpriseRecord(id=2, external_id="b", names_en=["Golden Lotus Trading Inc."]),
    ]
    matcher = EnterpriseMatcher.build(registry)
    ambiguous = matcher.tag(notice(Party(name="Golden Lotus Trading", role=Role.RESPONDENT)))
    assert {(m.enterprise_id, m.confidence) for m in ambiguous.matches} == {(1, "low"), (2, "low")}
    picked = matcher.tag(notice(Party(name="Golden Lotus Trading, Inc.", role=Role.RESPONDENT)))
    assert [(m.enterprise_id, m.confidence) for m in picked.matches] == [(2, "high")]


def test_a_registered_name_beats_a_namesakes_place_less_form() -> None:
    registry = [
        EnterpriseRecord(id=1, external_id="shenzhen", name_zh="深圳市利世安科技有限公司"),
        EnterpriseRecord(id=2, external_id="plain", names_en=["Lishian Technology Co., Ltd."]),
    ]
    tagged = EnterpriseMatcher.build(registry).tag(
        notice(Party(name="Lishian Technology Co., Ltd.", role=Role.RESPONDENT))
    )
    assert {(m.enterprise_id, m.confidence) for m in tagged.matches} == {(1, "low"), (2, "high")}


def test_tagging_returns_a_copy_and_fills_industries(matcher: EnterpriseMatcher) -> None:
    document = notice(Party(name="Innoscience (Suzhou) Technology Co., Ltd.", role=Role.RESPONDENT))
    tagged = matcher.tag(document)
    assert document.matches == [] and document.severity is Severity.INFO
    assert tagged.industries == ["semiconductors"]
    assert tagged.id == document.id and tagged.parties == document.parties


def test_records_need_their_registry_id() -> None:
    with pytest.raises(ValueError, match="without an id"):
        EnterpriseMatcher.build([EnterpriseRecord(external_id="new", name_zh="深圳市利世安科技有限公司")])


def test_an_empty_registry_matches_nothing() -> None:
    tagged = EnterpriseMatcher.build([]).tag(notice(Party(name="Anything Co., Ltd.", role=Role.RESPONDENT)))
    assert tagged.matches == [] and tagged.severity is Severity.INFO
