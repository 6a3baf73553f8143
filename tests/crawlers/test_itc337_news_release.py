"""USITC news releases (real excerpts): respondent lists "Name, City, China", one per line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ipsentry.core.documents import Document
from ipsentry.crawlers.parsers.itc337_news_release import parse_news_release


def _parse(itc337_dir: Path, name: str) -> Document:
    result = parse_news_release((itc337_dir / name).read_bytes())
    assert result.problems == []
    [document] = result.documents
    return document


def _rows(document: Document) -> list[tuple[str, str, str | None, str | None]]:
    return [(p.name, p.role.value, p.city, p.country) for p in document.parties]


def test_same_name_in_two_countries_stays_two_parties(itc337_dir: Path) -> None:
    document = _parse(itc337_dir, "usitc_news_release_15-016_337-TA-947_institution_xiamen_china.excerpt.txt")
    assert document.id == "usitc-news:15-016"
    assert document.published == date(2015, 2, 12)
    assert document.case_numbers == ["337-TA-947"]
    assert document.stage == "institution"
    assert document.products == ["Certain Light Emitting Diode Products and Components Thereof"]
    assert _rows(document) == [
        ("Feit Electric Company, Inc.", "respondent", "Pico Rivera", "United States"),
        ("Feit Electric Company, Inc.", "respondent", "Xiamen", "China"),
        # The page is cut inside this line ("New Taipei C"): the name is still whole.
        ("Unity Opto Technology Co., Ltd.", "respondent", "New Taipei C", None),
        ("Cree, Inc.", "complainant", "Durham", "United States"),
    ]


def test_wenzhou_respondents_with_and_without_of(itc337_dir: Path) -> None:
    document = _parse(
        itc337_dir, "usitc_news_release_19-049_337-TA-1161_institution_wenzhou_china.excerpt.txt"
    )
    assert document.case_numbers == ["337-TA-1161"]
    assert _rows(document) == [
        ("Wenzhou QiMing Stainless Co., Ltd.", "respondent", "Wenzhou", "China"),
        ("High MPa Valve Manufacturing Co., Ltd.", "respondent", "Wenzhou", "China"),
        ("Wenzhou Sinco Steel Co., Ltd.", "respondent", "Wenzhou", "China"),
        ("Wenzhou Kasin Valve Pipe Fitting Co., Ltd.", "respondent", "Wenzhou", "China"),
        ("Wenzhou Fuchuang Machinery Co., Ltd.", "respondent", "Wenzhou", "China"),
        ("3-A Sanitary Standards, Inc.", "complainant", "McLean", "United States"),
    ]


def test_aka_aliases_and_bulleted_list(itc337_dir: Path) -> None:
    document = _parse(
        itc337_dir, "usitc_news_release_24-113_337-TA-1424_institution_xiamen_china.excerpt.txt"
    )
    assert document.id == "usitc-news:24-113"
    assert document.case_numbers == ["337-TA-1424"]
    assert document.stage == "institution"  # no headline kept: "voted to institute an investigation"
    first = document.parties[0]
    assert (first.name, first.city, first.country, first.aliases) == (
        "Xiamen Dangs New-Materials Co., Ltd.",
        "Xiamen",
        "China",
        ["Dawnsens New Materials Co., Ltd."],
    )
    jiangsu = document.parties[5]
    assert (jiangsu.name, jiangsu.aliases) == (
        "Jiangsu Qingyun New Materials Co., Ltd.",
        ["Jiangsu Kingwills New Materials Co., Ltd."],
    )
    respondents = [p for p in document.parties if p.role.value == "respondent"]
    assert len(respondents) == 12
    assert ("Kingwills International Ltd.", "Kowloon", "Hong Kong") in [
        (p.name, p.city, p.country) for p in respondents
    ]
    assert respondents[-1].name == "Weifang Konzer Safety Protective Equipment Co."  # cut off before its city
    assert [p.name for p in document.parties if p.role.value == "complainant"] == [
        "DuPont de Nemours, Inc.",
        "DuPont Safety & Construction, Inc.",
        "DuPont Specialty Products USA, LLC",
    ]


def test_individual_trading_as_company_and_typo_city(itc337_dir: Path) -> None:
    document = _parse(
        itc337_dir, "usitc_news_release_337-TA-1157_institution_zhejiang_xiamen_china.excerpt.txt"
    )
    assert document.id == "usitc-news:337-TA-1157"
    assert document.published == date(2019, 5, 23)
    liao = document.parties[2]
    assert (liao.name, liao.city, liao.country) == (
        "Jianzhang Liao, Pinkqueen Apparel Inc.",
        "Xiaman",
        "China",
    )
    assert liao.aliases == ["Jianzhang Liao", "Pinkqueen Apparel Inc."]
    assert document.parties[0].name == "Amazon.com Inc."
    assert (
        document.parties[-1].name == "Style Pantry LLC" and document.parties[-1].role.value == "complainant"
    )
