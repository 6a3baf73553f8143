"""Trademark squatting screen on real USPTO records (marks read from the samples)."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from ipsentry.core.documents import Document, Party, RiskKind, Role, Severity
from ipsentry.core.registry import Brand, EnterpriseRecord
from ipsentry.crawlers.parsers.uspto_daily import parse_file
from ipsentry.tagging.opposition import add_months, opposition_window
from ipsentry.tagging.trademark_screen import TrademarkScreen, class_mask, tag_trademark_matches
from ipsentry.tagging.trademark_variants import brand_variants, comparison_key


def _doc(samples_dir: Path, relative: str) -> Document:
    return parse_file((samples_dir / "trademark" / relative).read_bytes()).documents[0]


def _enterprise(brands: list[Brand], *, names_en: list[str] | None = None, id: int = 7) -> EnterpriseRecord:
    return EnterpriseRecord(
        id=id,
        external_id=f"E{id}",
        name_zh="深圳市示例科技有限公司",
        names_en=names_en or ["Shenzhen Shili Technology Co., Ltd."],
        brands=brands,
    )


@pytest.fixture
def suveneer(samples_dir: Path) -> Document:
    return _doc(samples_dir, "uspto-daily-na-98763166.xml")


def test_similar_brand_of_another_owner_is_a_candidate(suveneer: Document) -> None:
    mark = suveneer.title  # "SUVENEER", class 16, filed by Nguyen Quang Huy of Viet Nam
    brand = mark[:1] + "O" + mark[1:]  # the enterprise's own spelling, one letter apart
    screen = TrademarkScreen.build([_enterprise([Brand(text=brand, classes=[16])])])
    [candidate] = screen.screen([suveneer])
    assert candidate.document_id == "uspto:98763166"
    assert candidate.brand == "SOUVENEER"
    assert candidate.enterprise_id == 7
    assert candidate.measure == "ratio"
    assert candidate.similarity == pytest.approx(1 - 1 / 17, abs=1e-3)
    assert candidate.overlapping_classes == (16,)
    assert candidate.applicant == "Nguyen Quang Huy"
    assert candidate.applicant_country == "VN"
    assert candidate.opposition is not None and candidate.opposition.deadline is None  # not yet published
    assert "30 days from publication" in candidate.opposition.expected
    text = " | ".join(candidate.reasons)
    assert "ratio 0.94" in text and "classes overlap: 16" in text and "(VN)" in text


def test_own_filing_is_not_squatting(suveneer: Document) -> None:
    owner = next(p.name for p in suveneer.parties if p.role == Role.APPLICANT)
    record = _enterprise([Brand(text=suveneer.title, classes=[16])], names_en=[owner.upper() + " CO., LTD."])
    assert TrademarkScreen.build([record]).screen([suveneer]) == []
    # A listed subsidiary's filing is the enterprise's own too.
    subsidiary = _enterprise([Brand(text=suveneer.title, classes=[16])]).model_copy(
        update={"subsidiaries": [owner]}
    )
    assert TrademarkScreen.build([subsidiary]).screen([suveneer]) == []


def _filed_by(document: Document, name: str, city: str | None = None) -> Document:
    """The real record with its applicant replaced (the samples hold no Chinese filer)."""
    others = [p for p in document.parties if p.role != Role.APPLICANT]
    return document.model_copy(
        update={"parties": [Party(name=name, role=Role.APPLICANT, city=city), *others]}
    )


@pytest.mark.parametrize(
    "applicant",
    [
        "Shenzhen Lishian Technology Co., Ltd.",  # the English form of the Chinese name
        "SHENZHEN LISHIAN TECHNOLOGY CO LTD",
        "Shenzhenshi Lishian Keji Youxiangongsi",  # its pinyin, legal form included
        "深圳市利世安科技有限公司",
    ],
)
def test_the_chinese_owner_in_any_script_is_the_owner(suveneer: Document, applicant: str) -> None:
    lishian = EnterpriseRecord(
        id=9,
        external_id="E9",
        name_zh="深圳市利世安科技有限公司",
        brands=[Brand(text="SOUVENEER", classes=[16])],
    )
    screen = TrademarkScreen.build([lishian])
    assert screen.screen([_filed_by(suveneer, applicant)]) == []
    # Another Shenzhen company filing the same mark is squatting.
    [candidate] = screen.screen([_filed_by(suveneer, "Shenzhen Lixin Technology Co., Ltd.")])
    assert candidate.enterprise_id == 9 and candidate.applicant == "Shenzhen Lixin Technology Co., Ltd."


def test_a_place_less_name_is_the_owner_only_from_its_city(suveneer: Document) -> None:
    lishian = EnterpriseRecord(
        id=9,
        external_id="E9",
        name_zh="深圳市利世安科技有限公司",
        brands=[Brand(text="SOUVENEER", classes=[16])],
    )
    screen = TrademarkScreen.build([lishian])
    assert screen.screen([_filed_by(suveneer, "Lishian Technology Co., Ltd.", city="Shenzhen")]) == []
    # A namesake elsewhere may well be a squatter: it stays a candidate.
    [candidate] = screen.screen([_filed_by(suveneer, "Lishian Technology Co., Ltd.", city="Wilmington")])
    assert candidate.applicant == "Lishian Technology Co., Ltd."


def test_class_gating(suveneer: Document) -> None:
    other_class = _enterprise([Brand(text=suveneer.title, classes=[25])])
    assert TrademarkScreen.build([other_class]).screen([suveneer]) == []
    any_class = _enterprise([Brand(text=suveneer.title)])
    [candidate] = TrademarkScreen.build([any_class]).screen([suveneer])
    assert candidate.measure == "identical" and candidate.overlapping_classes == ()
    assert "brand registered for any class" in candidate.reasons
    coordinated = TrademarkScreen.build(
        [_enterprise([Brand(text=suveneer.title, classes=[9])])], coordinated_classes={9: {16}}
    )
    assert [c.brand for c in coordinated.screen([suveneer])] == ["SUVENEER"]


def test_pinyin_of_a_chinese_brand_is_caught(suveneer: Document) -> None:
    # The real record with its mark replaced by the pinyin of a Chinese brand.
    filing = suveneer.model_copy(
        update={"title": "HUA WEI", "extra": {**suveneer.extra, "mark_text": "HUA WEI"}}
    )
    screen = TrademarkScreen.build([_enterprise([Brand(text="华为", classes=[16])])])
    [candidate] = screen.screen([filing])
    assert candidate.variant_kind == "pinyin_joined" and candidate.variant == "huawei"
    assert candidate.measure == "identical"
    # Another reading of a polyphonic character (长: chang / zhang) is a variant too.
    changle = TrademarkScreen.build([_enterprise([Brand(text="长乐", classes=[16])])])
    zhang = suveneer.model_copy(update={"extra": {**suveneer.extra, "mark_text": "ZHANGLE"}})
    assert [c.variant_kind for c in changle.screen([zhang])] == ["pinyin_reading"]


def test_chinese_characters_traditional_and_contained(suveneer: Document) -> None:
    screen = TrademarkScreen.build([_enterprise([Brand(text="华为", classes=[16])])])
    traditional = suveneer.model_copy(update={"extra": {**suveneer.extra, "mark_text": "華為"}})
    assert [c.variant_kind for c in screen.screen([traditional])] == ["hanzi_traditional"]
    longer = suveneer.model_copy(update={"extra": {**suveneer.extra, "mark_text": "华为手机"}})
    [candidate] = screen.screen([longer])
    assert candidate.measure == "contains" and candidate.score == pytest.approx(0.95)


def test_look_alike_characters_are_folded(suveneer: Document) -> None:
    assert (
        comparison_key("5UVENEER")
        == comparison_key("SUVENEER")
        == comparison_key("SUVENEEP".replace("P", "R"))
    )
    assert comparison_key("C0RNER") == comparison_key("comer")  # 0/O and rn/m
    assert comparison_key("VVAVE") == comparison_key("wave")
    assert comparison_key("I1l|") == comparison_key("llll")
    screen = TrademarkScreen.build([_enterprise([Brand(text="5UVENEER", classes=[16])])])
    [candidate] = screen.screen([suveneer])
    assert candidate.measure == "ratio after look-alike folding"
    assert candidate.similarity == 1.0


def test_pseudo_mark_and_translation_are_screened(samples_dir: Path) -> None:
    sargent = _doc(samples_dir, "records/annual-2025-repeated-international-codes-tx-71060608.xml")
    [candidate] = TrademarkScreen.build([_enterprise([Brand(text="Sergeant", classes=[6])])]).screen(
        [sargent]
    )
    assert (candidate.matched_field, candidate.matched_text) == ("pseudo_mark", "SERGEANT")
    grigio = _doc(samples_dir, "records/annual-2025-malformed-class-date-tx-74800000.xml")
    brand = [_enterprise([Brand(text="Pearl Gray", classes=[25])])]
    assert TrademarkScreen.build(brand).screen([grigio]) == []  # abandoned: skipped by default
    [found] = TrademarkScreen.build(brand, skip_stages=()).screen([grigio])
    assert (found.matched_field, found.matched_text) == ("translation", "PEARL-GRAY")


def test_brand_inside_a_published_mark_has_an_opposition_deadline(samples_dir: Path) -> None:
    nitro = _doc(samples_dir, "uspto-madrid66a-79366581.xml")  # NITRO GLISSERIN, published 2024-02-20
    word = nitro.title.split()[1]
    [candidate] = TrademarkScreen.build([_enterprise([Brand(text=word.title(), classes=[3])])]).screen(
        [nitro]
    )
    assert candidate.matched_field == "mark words"
    assert candidate.score == pytest.approx(0.95)
    assert candidate.overlapping_classes == (3,)
    assert candidate.opposition is not None
    assert candidate.opposition.deadline == date(2024, 3, 21)
    assert candidate.opposition.latest_extended == date(2024, 8, 18)
    assert any("opposition deadline 2024-03-21" in r for r in candidate.reasons)

    tagged = tag_trademark_matches(nitro, [candidate])
    [match] = tagged.matches
    assert (match.kind, match.role, match.enterprise_id) == ("similar_mark", Role.OTHER, 7)
    assert tagged.severity == Severity.CRITICAL  # published for opposition
    assert tag_trademark_matches(tagged, [candidate]).matches == tagged.matches  # no duplicates


def test_new_application_is_tagged_high(suveneer: Document) -> None:
    screen = TrademarkScreen.build([_enterprise([Brand(text=suveneer.title, classes=[16])])])
    tagged = tag_trademark_matches(suveneer, screen.screen([suveneer]))
    assert tagged.severity == Severity.HIGH
    assert tagged.extra["squat_candidates"][0]["measure"] == "identical"


def test_unrelated_brands_are_not_candidates(samples_dir: Path) -> None:
    docs = parse_file((samples_dir / "trademark" / "uspto-apc-style-3records.xml").read_bytes()).documents
    screen = TrademarkScreen.build(
        [_enterprise([Brand(text="小米", romanisations=["Xiaomi"]), Brand(text="Anker")])]
    )
    assert screen.screen(docs) == []


def test_variants_of_a_chinese_brand() -> None:
    kinds = {(v.text, v.kind) for v in brand_variants(Brand(text="华为", romanisations=["Huawei"]))}
    assert {("華為", "hanzi_traditional"), ("huawei", "pinyin_joined"), ("hw", "pinyin_initials")} <= kinds


def test_opposition_windows() -> None:
    assert opposition_window("US", date(2024, 2, 20)).deadline == date(2024, 3, 21)  # type: ignore[union-attr]
    eu = opposition_window("EM", date(2023, 11, 30))
    assert eu is not None and eu.deadline == date(2024, 2, 29) and not eu.extendable
    uk = opposition_window("GB", date(2024, 1, 31))
    assert uk is not None and uk.deadline == date(2024, 3, 31) and uk.latest_extended == date(2024, 4, 30)
    pending = opposition_window("EU", None)
    assert pending is not None and pending.deadline is None and "3 months" in pending.expected
    assert opposition_window("JP", None) is None
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def _syllable_name(rng: random.Random, syllables: int) -> str:
    onsets = [
        "b",
        "ch",
        "d",
        "f",
        "g",
        "h",
        "k",
        "l",
        "m",
        "n",
        "p",
        "qu",
        "r",
        "s",
        "st",
        "t",
        "tr",
        "v",
        "z",
    ]
    return "".join(
        rng.choice(onsets) + rng.choice("aeiou") + rng.choice(["", "n", "r", "x"]) for _ in range(syllables)
    )


def _perturbed(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.choice((0, 1, 1, 2, 3, 4))):
        position = rng.randrange(len(chars))
        edit = rng.randrange(3)
        if edit == 0 and len(chars) > 4:
            del chars[position]
        elif edit == 1:
            chars.insert(position, rng.choice("aeiouxy"))
        else:
            chars[position] = rng.choice("abcdefghijklmnopqrstuvwxyz")
    return "".join(chars)


@pytest.mark.parametrize("threshold", [0.8, 0.85, 0.9])
def test_the_index_finds_every_pair_exhaustive_scoring_finds(threshold: float) -> None:
    """Exactness: on brands and marks of every length (long ones take the halves and the
    exhaustive paths), the blocked screen finds exactly the pairs cdist finds."""
    rng = random.Random(7)
    brands = [
        Brand(text=_syllable_name(rng, rng.randint(2, 8)), classes=[rng.choice((9, 25))]) for _ in range(600)
    ]
    records = [
        EnterpriseRecord(id=i + 1, external_id=f"E{i}", brands=[brand]) for i, brand in enumerate(brands)
    ]
    marks = [_perturbed(rng, rng.choice(brands).text) for _ in range(300)]
    marks += [f"{rng.choice(brands).text} {rng.choice(brands).text}" for _ in range(50)]
    documents = [
        Document(
            id=f"t:{n}",
            source="test",
            kind=RiskKind.TRADEMARK,
            native_id=str(n),
            title=mark,
            stage="new_application",
            classes=[rng.choice((9, 25))],
            extra={"mark_text": mark},
        )
        for n, mark in enumerate(marks)
    ]
    screen = TrademarkScreen.build(records, threshold=threshold)
    queries = screen.queries(documents)
    keys, key_masks = screen.index.keys, screen.index.masks
    expected = set()
    for row, key in enumerate(queries.keys):
        if len(key) < 4:
            continue
        mask = int(class_mask(documents[queries.documents[row]].classes))
        choices = [k for k, m in zip(keys, key_masks.tolist(), strict=True) if m & mask]
        scores = process.cdist([key], choices, scorer=fuzz.ratio, score_cutoff=threshold * 100 - 1e-9)[0]
        expected |= {(queries.documents[row], key, choices[i]) for i in np.flatnonzero(scores)}
    assert len(expected) > 100  # the data does exercise the screen
    assert screen.fuzzy_pairs(documents) == expected


def _filing(number: int, mark: str, classes: list[int], applicant: str | None = None) -> Document:
    parties = [Party(name=applicant, role=Role.APPLICANT, country="CN")] if applicant else []
    return Document(
        id=f"t:{number}",
        source="test",
        kind=RiskKind.TRADEMARK,
        native_id=str(number),
        title=mark,
        stage="new_application",
        classes=classes,
        parties=parties,
        extra={"mark_text": mark},
    )


def test_own_filings_are_left_out_of_a_mixed_batch() -> None:
    """Owner checks per (filing, enterprise), in a batch mixing own and third-party filings."""
    owner = _enterprise([Brand(text="Suveneer", classes=[16])], names_en=["Suveneer Paper Co., Ltd."])
    other = _enterprise([Brand(text="Suveneer", classes=[16])], names_en=["Other Paper Co., Ltd."], id=8)
    screen = TrademarkScreen.build([owner, other])
    batch = [
        _filing(1, "SUVENEER", [16], "SUVENEER PAPER CO LTD"),  # the first enterprise's own
        _filing(2, "SUVENEER", [16], "Squatter LLC"),
        _filing(3, "SOUVENEER", [16], "Other Paper Co., Ltd."),  # the second one's own
    ]
    found = [(c.document_id, c.enterprise_id) for c in screen.screen(batch)]
    assert found == [("t:1", 8), ("t:2", 7), ("t:2", 8), ("t:3", 7)]


def test_a_filing_without_classes_overlaps_no_class() -> None:
    screen = TrademarkScreen.build([_enterprise([Brand(text="Suveneer", classes=[16, 9])])])
    [candidate] = screen.screen([_filing(1, "SUVENEER", [], "Squatter LLC")])
    assert candidate.overlapping_classes == () and candidate.brand_classes == (9, 16)
    assert "filing lists no class" in candidate.reasons
    [listed] = screen.screen([_filing(2, "SUVENEER", [25, 16, 9], "Squatter LLC")])
    assert listed.overlapping_classes == (9, 16)


def test_a_batch_finds_what_its_filings_find_one_by_one() -> None:
    """Keys shared across a batch are looked up once; nothing else depends on the batch."""
    rng = random.Random(11)
    brands = [
        Brand(text=_syllable_name(rng, rng.randint(2, 6)), classes=[rng.choice((9, 25))]) for _ in range(300)
    ]
    records = [EnterpriseRecord(id=i + 1, external_id=f"E{i}", brands=[b]) for i, b in enumerate(brands)]
    marks = [_perturbed(rng, rng.choice(brands).text) for _ in range(120)]
    marks += [f"{rng.choice(brands).text} {rng.choice(('PHONE', 'TECH'))}" for _ in range(40)]
    batch = [_filing(n, mark, [rng.choice((9, 25))], f"Filer {n % 7} LLC") for n, mark in enumerate(marks)]
    screen = TrademarkScreen.build(records)
    together = screen.screen(batch)
    assert len(together) > 50
    assert together == [c for document in batch for c in screen.screen([document])]


def _hanzi_name(rng: random.Random, size: int) -> str:
    return "".join(
        rng.choice("华为小米美的格力海尔联想百度阿里腾讯京东网易大疆比亚迪长城吉利") for _ in range(size)
    )


def test_the_index_is_exact_on_chinese_keys() -> None:
    """Keys of Chinese characters (a large alphabet: the hashes' exactness bound) and their
    pinyin, against exhaustive scoring."""
    rng = random.Random(5)
    brands = [Brand(text=_hanzi_name(rng, rng.randint(4, 7)), classes=[9]) for _ in range(200)]
    records = [EnterpriseRecord(id=i + 1, external_id=f"E{i}", brands=[b]) for i, b in enumerate(brands)]
    marks = []
    for _ in range(150):
        chars = list(rng.choice(brands).text)
        chars[rng.randrange(len(chars))] = _hanzi_name(rng, rng.choice((0, 1, 2)))
        marks.append("".join(chars))
    documents = [_filing(n, mark, [9]) for n, mark in enumerate(marks)]
    screen = TrademarkScreen.build(records)
    queries = screen.queries(documents)
    expected = set()
    for row, key in enumerate(queries.keys):
        if len(key) >= 4:
            scores = process.cdist([key], screen.index.keys, scorer=fuzz.ratio, score_cutoff=85 - 1e-9)[0]
            expected |= {(queries.documents[row], key, screen.index.keys[i]) for i in np.flatnonzero(scores)}
    assert len(expected) > 50
    assert screen.fuzzy_pairs(documents) == expected


def test_letter_counts_bound_the_indel_distance() -> None:
    """The pre-scoring filter drops a pair only when the L1 distance of the letter counts, a
    lower bound of the indel distance, exceeds what the threshold allows."""
    from rapidfuzz.distance import Indel

    from ipsentry.tagging.trademark_screen import _letter_counts

    rng = random.Random(3)
    alphabet = "abcdefghijklmnopqrstuvwxyz0华为é"
    strings = [
        "".join(rng.choice(alphabet[: rng.randint(3, 31)]) for _ in range(rng.randint(0, 30)))
        for _ in range(400)
    ]
    strings.append("a" * 300)  # counts are capped at 255
    counts = _letter_counts(strings).astype(np.int64)
    for _ in range(4000):
        i, j = rng.randrange(len(strings)), rng.randrange(len(strings))
        assert np.abs(counts[i] - counts[j]).sum() <= Indel.distance(strings[i], strings[j])
    assert counts[-1].tolist() == [255] + [0] * 26
