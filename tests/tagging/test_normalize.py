"""Name normalisation: the name variants listed in SOURCES.md ("Reading a 337 notice") and the
real respondent lines of USITC news releases."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipsentry.tagging.lexicon import distinctive_words, is_generic_name, place_set
from ipsentry.tagging.normalize import (
    compact_key,
    name_key,
    normalize_name,
    normalize_text,
    split_aliases,
)


@pytest.mark.parametrize(
    "written",
    [
        "Wenzhou Kasin Valve Pipe Fitting Co., Ltd.",
        "Wenzhou Kasin Valve Pipe Fitting Co. Ltd.",
        "Wenzhou Kasin Valve Pipe Fitting Company, Ltd.",
        "Wenzhou Kasin Valve Pipe Fitting Co. LTD",
        "Wenzhou Kasin Valve Pipe Fitting Company Limited",
        "WENZHOU KASIN VALVE PIPE FITTING CO.,LTD.",
        "Wenzhou Kasin Valve Pipe Fitting Co., Ltd., of Wenzhou, China",
        "Wenzhou Kasin Valve Pipe-Fitting Co., Ltd.",
        "Wenzhou Kasin Valve Pipe Fitting Youxiangongsi",
        "Wenzhou Kasin Valve Pipe Fitting You Xian Gong Si",
    ],
)
def test_legal_form_spellings_share_one_key(written: str) -> None:
    normalized = normalize_name(written)
    assert normalized.tokens == ("wenzhou", "kasin", "valve", "pipe", "fitting")
    assert normalized.legal == "ltd"


@pytest.mark.parametrize(
    ("written", "core", "legal"),
    [
        ("Infineon Technologies Americas Corp.", ("infineon", "technology", "americas"), "corp"),
        ("Xiaomi Corporation", ("xiaomi",), "corp"),
        ("Xiaomi Inc.", ("xiaomi",), "inc"),
        ("Motorola Mobility LLC", ("motorola", "mobility"), "llc"),
        ("Robert Bosch GmbH", ("robert", "bosch"), "gmbh"),
        ("Siemens AG", ("siemens",), "ag"),
        ("Vallourec S.A.", ("vallourec",), "sa"),
        ("TCL Technology Group Corporation", ("tcl", "technology"), "corp"),
        ("深圳市利世安科技有限公司", ("深圳市利世安科技",), "ltd"),
        ("TCL科技集团股份有限公司", ("tcl科技",), "ltd"),
        ("华为技术有限责任公司", ("华为技术",), "ltd"),
        ("海尔集团", ("海尔",), "group"),
    ],
)
def test_legal_forms_are_stripped_and_labelled(written: str, core: tuple[str, ...], legal: str) -> None:
    normalized = normalize_name(written)
    assert (normalized.tokens, normalized.legal) == (core, legal)


def test_width_case_and_parentheses_do_not_matter() -> None:
    assert name_key("ＳＨＥＮＺＨＥＮ　ＬＩＳＨＩＡＮ　Ｃｏ．，ＬＴＤ") == name_key(
        "Shenzhen Lishian Co., Ltd."
    )
    assert (
        name_key("英诺赛科（苏州）科技有限公司")
        == name_key("英诺赛科(苏州)科技有限公司")
        == "英诺赛科苏州科技"
    )
    assert name_key("Kingwills New Materials Technology") == name_key("Kingwills New Material Technologies")
    assert name_key("Shenzhen Zhengming Science and Technology") == name_key(
        "Shenzhen Zhengming Science & Technology"
    )


def test_place_words_keep_sibling_companies_apart() -> None:
    suzhou = normalize_name("Innoscience (Suzhou) Technology Company, Ltd.")
    zhuhai = normalize_name("Innoscience (Zhuhai) Technology Co., Ltd.")
    assert suzhou.tokens == ("innoscience", "suzhou", "technology")
    assert suzhou.key != zhuhai.key
    assert place_set(suzhou.tokens) == {"suzhou"}


def test_typos_are_left_to_the_fuzzy_stage() -> None:
    assert name_key("Shenzen Lishian Technology Co., Ltd.") != name_key(
        "Shenzhen Lishian Technology Co., Ltd."
    )


@pytest.mark.parametrize(
    ("written", "names"),
    [
        ("Foo Trading LLC d/b/a Bright Home Store", ["Foo Trading LLC", "Bright Home Store"]),
        ("Foo Trading LLC d/ b/a Bright Home Store", ["Foo Trading LLC", "Bright Home Store"]),
        ("Foo Trading LLC D/B/A Bright Home", ["Foo Trading LLC", "Bright Home"]),
        ("Newco Inc. f/k/a Oldco Inc.", ["Newco Inc.", "Oldco Inc."]),
        ("Alpha Ltd. (a/k/a Beta Ltd.)", ["Alpha Ltd.", "Beta Ltd."]),
        ("Xunyun Akashi Co., Ltd.", ["Xunyun Akashi Co., Ltd."]),  # "aka" inside a word
        ("Aka Holdings Ltd.", ["Aka Holdings Ltd."]),  # capitalised: part of the name
    ],
)
def test_aliases_are_split_out(written: str, names: list[str]) -> None:
    assert split_aliases(written) == names


def test_real_aka_lines_of_a_usitc_release(samples_dir: Path) -> None:
    text = (
        samples_dir / "itc337" / "usitc_news_release_24-113_337-TA-1424_institution_xiamen_china.excerpt.txt"
    ).read_text()
    line = next(line for line in text.splitlines() if "Xiamen Dangs" in line)
    names = split_aliases(line.lstrip("- "))
    assert [normalize_name(name).tokens for name in names] == [
        ("xiamen", "dangs", "new", "material"),
        ("dawnsens", "new", "material"),  # ", Xiamen, China" is the address, not the name
    ]


@pytest.mark.parametrize(
    ("written", "core"),
    [
        ("Feit Electric Company, Inc., of Pico Rivera, CA", ("feit", "electric")),
        ("Harbourpoint Innovations Inc, Raleigh, NC", ("harbourpoint", "innovations")),
        ("Kingwills International Ltd., Kowloon, Hong Kong", ("kingwills", "international")),
        (
            "Wenzhou Fuchuang Machinery Co., Ltd., Wenzhou, Zhejiang, China",
            ("wenzhou", "fuchuang", "machinery"),
        ),
        ("Xiaomi Corporation of China", ("xiaomi",)),
        # a company of its own, not Panasonic Corporation located somewhere:
        ("Panasonic Corporation of North America", ("panasonic", "corporation", "of", "north", "america")),
        ("BLU Products of Doral", ("blu", "product", "of", "doral")),  # no legal form: nothing is cut
    ],
)
def test_address_tails_are_cut_after_the_legal_form(written: str, core: tuple[str, ...]) -> None:
    assert normalize_name(written).tokens == core


@pytest.mark.parametrize(
    "decoy",
    [
        "Suzhou Technology Co., Ltd.",
        "Shenzhen Electronics Co., Ltd.",
        "Shen Zhen Electronics Co. LTD",
        "Guangdong New Material Technology Company Limited",
        "Hong Kong International Trading Ltd.",
        "Shenzhenshi Keji Youxiangongsi",
        "China Imp & Exp Co., Ltd.",
    ],
)
def test_names_of_generic_words_only_identify_nobody(decoy: str) -> None:
    tokens = normalize_name(decoy).tokens
    assert is_generic_name(tokens)
    assert distinctive_words(tokens) == []


def test_text_normalisation_keeps_every_offset() -> None:
    text = "Respondents: Innoscience（Suzhou）Technology Co., Ltd.; ＡＢＣ Ltd. — Société “Xyz”\n"
    normalized = normalize_text(text)
    assert len(normalized) == len(text)
    start = normalized.index("innoscience")
    assert text[start : start + len("Innoscience")] == "Innoscience"
    assert "abc" in normalized.split()


def test_store_keys_ignore_case_spacing_and_punctuation() -> None:
    assert compact_key("ANKER Official-Store") == compact_key("anker official store") == "ankerofficialstore"
    assert compact_key("A2LISHIAN99") == "a2lishian99"
