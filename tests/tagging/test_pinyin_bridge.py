"""The pinyin bridge: a Chinese registry name and the ways US sources write it."""

from __future__ import annotations

import pytest

from ipsentry.core.registry import EnterpriseRecord
from ipsentry.tagging.normalize import name_key, normalize_name
from ipsentry.tagging.pinyin_bridge import (
    MAX_READINGS,
    brand_romanisations,
    bridge_forms,
    parse_chinese_name,
    romanise,
    trade_readings,
)
from ipsentry.tagging.variants import MAX_VARIANTS, enterprise_variants, name_variants

LISHIAN = "深圳市利世安科技有限公司"


def test_a_chinese_name_is_read_as_place_trade_name_industry_legal_form() -> None:
    parsed = parse_chinese_name(LISHIAN)
    assert parsed.places == (("深圳", "市"),)
    assert (parsed.trade, parsed.industries, parsed.legal) == ("利世安", ("科技",), "有限公司")
    province_first = parse_chinese_name("广东省深圳市华为技术有限公司")
    assert province_first.places == (("广东", "省"), ("深圳", "市"))
    assert province_first.trade == "华为"
    sibling = parse_chinese_name("英诺赛科（苏州）科技有限公司")
    assert (sibling.paren_place, sibling.trade, sibling.places) == ("苏州", "英诺赛科", ())


def test_the_lishian_example_of_the_design() -> None:
    surfaces = {form.surface for form in bridge_forms(LISHIAN)}
    # 深圳市利世安科技有限公司 ↔ "Shenzhenshi Lishian Keji Youxiangongsi" ↔ "Shenzhen Lishian Technology Co."
    assert "Shenzhenshi Lishian Keji Youxiangongsi" in surfaces
    assert "Shenzhen Lishian Keji Youxiangongsi" in surfaces  # city without 市
    assert "Shenzhen Lishian Technology Co., Ltd." in surfaces  # industry and legal form translated
    assert "Shen Zhen Shi Li Shi An Ke Ji You Xian Gong Si" in surfaces  # spaced syllables
    assert "Lishian (Shenzhen) Technology Co., Ltd." in surfaces
    keys = {name_key(surface) for surface in surfaces}
    for written in (
        "Shenzhenshi Lishian Keji Youxiangongsi",
        "Shenzhen Lishian Technology Co.",
        "SHENZHEN LISHIAN TECHNOLOGY CO., LTD",
        "Shenzhen Lishian Keji Youxian Gongsi",
        "ShenZhen LiShiAn KeJi Co., Ltd.",
        "深圳利世安科技有限公司",
    ):
        assert name_key(written) in keys, written


@pytest.mark.parametrize(
    "name",
    [
        LISHIAN,
        "英诺赛科（苏州）科技有限公司",
        "广东省深圳市华为技术有限公司",
        "TCL科技集团股份有限公司",
        "厦门当盛新材料有限公司",
    ],
)
def test_every_form_normalises_to_the_tokens_it_declares(name: str) -> None:
    """The matcher indexes the declared tokens and normalises source names: both must agree."""
    for form in bridge_forms(name):
        assert normalize_name(form.surface).key == "".join(form.tokens), form


def test_a_place_in_parentheses_is_never_dropped() -> None:
    forms = bridge_forms("英诺赛科（苏州）科技有限公司")
    assert forms
    for form in forms:
        key = "".join(form.tokens)
        assert "suzhou" in key or "苏州" in key, form
    assert not any(form.weak for form in forms)


def test_a_leading_city_may_be_dropped_but_only_as_a_weak_form() -> None:
    weak = {form.surface for form in bridge_forms(LISHIAN) if form.weak}
    assert weak == {"利世安科技有限公司", "Lishian Technology Co., Ltd.", "Lishian Keji Youxiangongsi"}


def test_names_without_a_trade_name_give_no_forms() -> None:
    assert bridge_forms("深圳市电子有限公司") == []
    assert bridge_forms("苏州科技有限公司") == []
    assert bridge_forms("中华贸易有限公司") == []  # "Zhonghua" is as generic as "China"


def test_polyphonic_trade_names_get_bounded_other_readings() -> None:
    readings = trade_readings("曾乐")
    assert readings[0] == ("ceng", "le")  # pypinyin's default first
    assert ("zeng", "le") in readings  # the surname reading
    assert len(readings) <= MAX_READINGS
    assert trade_readings("利世安") == [("li", "shi", "an")]  # nothing polyphonic: one reading
    assert len(trade_readings("朝阳长乐行重")) == 1  # too long for other readings
    surfaces = {form.surface for form in bridge_forms("朝阳新能源有限公司")}
    assert {"Zhaoyang New Energy Co., Ltd.", "Chaoyang New Energy Co., Ltd."} <= surfaces


def test_context_gives_the_right_reading_of_places() -> None:
    assert romanise("厦门") == "xiamen"
    assert romanise("重庆") == "chongqing"
    assert romanise("TCL") == "tcl"


def test_brand_romanisations() -> None:
    assert brand_romanisations("利世安") == ["lishian", "li shi an"]
    assert brand_romanisations("ANKER") == []
    assert brand_romanisations("曾乐")[:2] == ["cengle", "ceng le"]


def test_variant_count_stays_bounded() -> None:
    record = EnterpriseRecord(
        external_id="x",
        name_zh="广东省深圳市曾乐朝阳科技有限公司",
        names_en=["Shenzhen Zengle Technology Co., Ltd.", "Zengle Tech Co."],
        former_names=[f"深圳市旧名{n}电子有限公司" for n in "一二三四五六七八九十"],
        subsidiaries=[f"曾乐（{city}）科技有限公司" for city in ("苏州", "珠海", "东莞", "厦门", "宁波")],
    )
    variants = enterprise_variants(record)
    assert len(variants) <= MAX_VARIANTS
    assert len({variant.key for variant in variants}) == len(variants)
    assert variants[0].source == "name_zh/zh"


def test_generic_variants_are_never_produced() -> None:
    assert name_variants("Suzhou Technology Co., Ltd.", "names_en") == []
    moved = {
        variant.surface for variant in name_variants("Innoscience (Suzhou) Technology Co., Ltd.", "names_en")
    }
    assert moved == {"Innoscience (Suzhou) Technology Co., Ltd.", "suzhou innoscience technology"}
