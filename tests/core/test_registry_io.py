"""Registry files: JSON, CSV and Excel in, the same out; invalid rows reported, valid rows kept;
re-importing through the database changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.core.db import transaction
from ipsentry.core.registry import Brand, EnterpriseRecord
from ipsentry.core.registry_io import (
    COLUMNS,
    ImportProblem,
    export_records,
    parse_region,
    parse_registry_csv,
    parse_registry_json,
    read_registry_file,
    record_to_row,
)
from ipsentry.core.registry_store import load_registry, upsert_records

REGISTRY_JSON = {
    "enterprises": [
        {
            "id": "cn-0001",
            "name_zh": "深圳市利世安科技有限公司",
            "names_en": ["Shenzhen Lishian Technology Co., Ltd."],
            "former_names": ["深圳市利世安电子有限公司"],
            "brands": ["LISHIAN", {"text": "利世安", "classes": [9, 42], "registrations": ["US 7654321"]}],
            "stores": ["Lishian Direct"],
            "seller_ids": ["A2LISHIAN99"],
            "region": "广东省深圳市",
            "industries": ["consumer_electronics"],
            "contact_email": "ip@lishian.example",
            "crm_owner": "ignored: unknown keys are",
        },
        {
            "id": "innoscience-suzhou",
            "name_zh": "英诺赛科（苏州）科技有限公司",
            "names_en": ["Innoscience (Suzhou) Technology Co., Ltd."],
            "region": {"province": "江苏省", "city": "苏州市"},
        },
        {"id": 1003, "names_en": ["Golden Lotus Trading Inc."], "region": "Guangdong/Shenzhen"},
    ]
}


def test_json_rows_become_records() -> None:
    records, problems = parse_registry_json(json.dumps(REGISTRY_JSON, ensure_ascii=False))
    assert problems == []
    lishian, innoscience, lotus = records
    assert lishian.external_id == "cn-0001" and lishian.id is None
    assert lishian.brands == [
        Brand(text="LISHIAN"),
        Brand(text="利世安", classes=[9, 42], registrations=["US 7654321"]),
    ]
    assert (lishian.region_province, lishian.region_city) == ("广东省", "深圳市")
    assert lishian.stores == ["Lishian Direct"] and lishian.seller_ids == ["A2LISHIAN99"]
    assert (innoscience.region_province, innoscience.region_city) == ("江苏省", "苏州市")
    assert lotus.external_id == "1003"
    assert (lotus.region_province, lotus.region_city) == ("Guangdong", "Shenzhen")


def test_invalid_rows_are_reported_and_valid_rows_kept() -> None:
    rows = [
        {"id": "ok-1", "name_zh": "厦门当盛科技有限公司"},
        {"name_zh": "没有编号有限公司"},
        {"id": "no-name", "region": "广东省"},
        {"id": "bad-class", "names_en": ["Foo Ltd."], "brands": [{"text": "FOO", "classes": [46]}]},
        {"id": "bad-mail", "names_en": ["Bar Ltd."], "contact_email": "not an address"},
        {"id": "ok-1", "names_en": ["Same id again Ltd."]},
        "not an object",
        {"id": "bad-list", "names_en": [{"text": "x"}]},
        {"id": "ok-2", "names_en": "Alpha Ltd.;Alpha Trading Ltd."},
    ]
    records, problems = parse_registry_json(json.dumps({"enterprises": rows}))
    assert [record.external_id for record in records] == ["ok-1", "ok-2"]
    assert records[1].names_en == ["Alpha Ltd.", "Alpha Trading Ltd."]
    assert [(problem.row, problem.reason) for problem in problems] == [
        (2, "missing id"),
        (3, "no-name: no name (name_zh or names_en)"),
        (4, "brand 'FOO': Nice class 46 is not 1–45"),
        (5, "contact_email 'not an address' is not an e-mail address"),
        (6, "duplicate id 'ok-1' (first on row 1)"),
        (7, "an enterprise must be an object"),
        (8, "names_en: {'text': 'x'} is not text"),
    ]
    assert str(problems[0]) == "row 2: missing id"


def test_a_file_that_is_not_a_registry_is_one_problem() -> None:
    assert parse_registry_json(b"{not json")[1][0].row == 0
    assert parse_registry_json(b'{"companies": []}') == (
        [],
        [ImportProblem(0, 'expected {"enterprises": [...]} or a list of enterprises')],
    )


# A cell holding commas is quoted, as any CSV writer (and Excel) does.
CSV_TEXT = (
    "ID,Name_ZH,names_en,brands,stores,seller_ids,region,industries,contact_email,notes\n"
    '1001,深圳市利世安科技有限公司,"Shenzhen Lishian Technology Co., Ltd.;Lishian Keji",'
    '"ANKER:9,42;EUFY；利世安：9",Lishian Direct,A2LISHIAN99,广东省深圳市,'
    "consumer_electronics;batteries_energy,ip@lishian.example,x\n"
    ",无编号有限公司,,,,,,,,\n"
    "\n"
    "1003,厦门当盛科技有限公司,,BAD:99,,,,,,\n"
    "1004,,Kingwills International Ltd.,,,,Hong Kong/,,,\n"
)


def test_csv_list_cells_and_brand_classes() -> None:
    records, problems = parse_registry_csv(CSV_TEXT.encode("utf-8-sig"))
    assert [(p.row, p.reason) for p in problems] == [
        (3, "missing id"),
        (5, "brand 'BAD': Nice class 99 is not 1–45"),
    ]
    lishian, kingwills = records
    assert lishian.names_en == ["Shenzhen Lishian Technology Co., Ltd.", "Lishian Keji"]
    assert lishian.brands == [
        Brand(text="ANKER", classes=[9, 42]),
        Brand(text="EUFY"),
        Brand(text="利世安", classes=[9]),
    ]
    assert lishian.industries == ["consumer_electronics", "batteries_energy"]
    assert (lishian.region_province, lishian.region_city) == ("广东省", "深圳市")
    assert (kingwills.external_id, kingwills.region_province, kingwills.region_city) == (
        "1004",
        "Hong Kong",
        None,
    )


def test_csv_saved_by_chinese_excel_in_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(CSV_TEXT.encode("gb18030"))
    records, _ = read_registry_file(path)
    assert records[0].name_zh == "深圳市利世安科技有限公司"


def test_excel_sheet(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "name_zh", "names_en", "brands", "region", "seller_ids"])
    sheet.append(
        [
            2001,
            "英诺赛科（苏州）科技有限公司",
            "Innoscience (Suzhou) Technology Co., Ltd.",
            "INNOSCIENCE:9",
            "江苏省/苏州市",
            12345,
        ]
    )
    sheet.append([None, None, None, None, None, None])  # a blank row is layout
    sheet.append([2002, None, None, None, None, None])
    path = tmp_path / "registry.xlsx"
    workbook.save(path)
    records, problems = read_registry_file(path)
    [record] = records
    assert record.external_id == "2001"  # Excel's number, not "2001.0"
    assert record.brands == [Brand(text="INNOSCIENCE", classes=[9])]
    assert record.seller_ids == ["12345"]
    assert (record.region_province, record.region_city) == ("江苏省", "苏州市")
    assert problems == [ImportProblem(4, "2002: no name (name_zh or names_en)")]


def test_a_table_without_an_id_column_is_refused(tmp_path: Path) -> None:
    records, problems = parse_registry_csv("name_zh,names_en\n深圳市利世安科技有限公司,\n")
    assert records == [] and problems == [ImportProblem(1, "the header row has no 'id' column")]


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("广东省深圳市", ("广东省", "深圳市")),
        ("广西壮族自治区南宁市", ("广西壮族自治区", "南宁市")),
        ("深圳市", (None, "深圳市")),
        ("上海市", ("上海市", "上海市")),
        ("广东省", ("广东省", None)),
        ("Guangdong/Shenzhen", ("Guangdong", "Shenzhen")),
        ("Zhejiang, Yiwu", ("Zhejiang", "Yiwu")),
        ("Guangdong", ("Guangdong", None)),
        ("Shenzhen", (None, "Shenzhen")),
        ({"province": "江苏省", "city": "苏州市"}, ("江苏省", "苏州市")),
        ("", (None, None)),
    ],
)
def test_region_forms(region: object, expected: tuple[str | None, str | None]) -> None:
    assert parse_region(region) == expected


@pytest.mark.parametrize("suffix", [".json", ".csv", ".xlsx"])
def test_export_then_import_gives_the_same_records(tmp_path: Path, suffix: str) -> None:
    records, _ = parse_registry_json(json.dumps(REGISTRY_JSON, ensure_ascii=False))
    if suffix != ".json":  # registrations survive only in JSON (documented)
        records = [
            record.model_copy(
                update={"brands": [b.model_copy(update={"registrations": []}) for b in record.brands]}
            )
            for record in records
        ]
    path = tmp_path / f"registry{suffix}"
    export_records(records, path)
    again, problems = read_registry_file(path)
    assert problems == []
    assert again == records


# The colon opens a brand's details: classes, then romanisations in brackets, half- or full-width.
ROMANISED_BRANDS_CELL = (
    "舒维尔:16 (Souveneer, Shuweier);利世安：（Lishian）;安克：9，42（Anker、Anke Tech）;EUFY"
)
ROMANISED_BRANDS = [
    Brand(text="舒维尔", classes=[16], romanisations=["Souveneer", "Shuweier"]),
    Brand(text="利世安", romanisations=["Lishian"]),
    Brand(text="安克", classes=[9, 42], romanisations=["Anker", "Anke Tech"]),
    Brand(text="EUFY"),
]


def _csv_with_brand_cells(*cells: str) -> bytes:
    """A CSV registry with one enterprise per brands cell, on rows 2, 3, …; ids r2, r3, …"""
    lines = ["id,names_en,brands"]
    lines += [f'r{row},Enterprise {row} Ltd.,"{cell}"' for row, cell in enumerate(cells, start=2)]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def test_csv_brand_romanisations() -> None:
    records, problems = parse_registry_csv(_csv_with_brand_cells(ROMANISED_BRANDS_CELL))
    assert problems == []
    assert records[0].brands == ROMANISED_BRANDS


def test_excel_brand_romanisations(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "name_zh", "brands"])
    sheet.append(["cn-shuweier", "杭州舒维尔文具有限公司", ROMANISED_BRANDS_CELL])
    path = tmp_path / "registry.xlsx"
    workbook.save(path)
    records, problems = read_registry_file(path)
    assert problems == []
    assert records[0].brands == ROMANISED_BRANDS


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_brand_romanisations_survive_export_then_import(tmp_path: Path, suffix: str) -> None:
    record = EnterpriseRecord(
        external_id="cn-shuweier",
        name_zh="杭州舒维尔文具有限公司",
        brands=[*ROMANISED_BRANDS, Brand(text="ANKER（安克）", romanisations=["Anker"])],
    )
    assert record_to_row(record)[COLUMNS.index("brands")] == (
        "舒维尔:16 (Souveneer, Shuweier);利世安:(Lishian);安克:9,42 (Anker, Anke Tech);EUFY;"
        "ANKER（安克）:(Anker)"
    )
    path = tmp_path / f"registry{suffix}"
    export_records([record], path)
    again, problems = read_registry_file(path)
    assert problems == []
    assert again == [record]


def test_a_malformed_romanisation_is_reported_with_its_row_and_the_rest_kept() -> None:
    records, problems = parse_registry_csv(
        _csv_with_brand_cells(
            "舒维尔:16 (Souveneer;Shuweier)",  # ";" separates brands, so the bracket is left open
            "舒维尔:16 ()",
            "舒维尔:16 (Souveneer) 文具",
            "舒维尔:46 (Souveneer)",
            "EUFY;舒维尔：16（Souveneer）",
        )
    )
    assert [(problem.row, problem.reason) for problem in problems] == [
        (
            2,
            "brand '舒维尔': romanisations '(Souveneer' have no closing bracket "
            "(separate romanisations with ',' or '、', not ';')",
        ),
        (3, "brand '舒维尔': no romanisation between the brackets '()'"),
        (
            4,
            "brand '舒维尔': romanisations '(Souveneer) 文具' must be one pair of brackets ending the brand, "
            "as in TEXT:CLASSES (NAME, NAME)",
        ),
        (5, "brand '舒维尔': Nice class 46 is not 1–45"),
    ]
    [record] = records
    assert record.external_id == "r6"
    assert record.brands == [
        Brand(text="EUFY"),
        Brand(text="舒维尔", classes=[16], romanisations=["Souveneer"]),
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            "ANKER:9,42;EUFY；利世安：9",
            [Brand(text="ANKER", classes=[9, 42]), Brand(text="EUFY"), Brand(text="利世安", classes=[9])],
        ),
        ("ANKER（安克）", [Brand(text="ANKER（安克）")]),  # no colon: the bracket is part of the text
        ("ANKER (安克):9", [Brand(text="ANKER (安克)", classes=[9])]),
        ("Model: X (2024)", [Brand(text="Model: X (2024)")]),
        ("Foo:Bar", [Brand(text="Foo:Bar")]),
        ("A:B:9", [Brand(text="A:B", classes=[9])]),
    ],
)
def test_brand_cells_without_romanisations_parse_as_before(cell: str, expected: list[Brand]) -> None:
    records, problems = parse_registry_csv(_csv_with_brand_cells(cell))
    assert problems == []
    assert records[0].brands == expected


def test_exported_tables_have_the_documented_columns(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    export_records([EnterpriseRecord(external_id="x", names_en=["X Ltd."])], path)
    header = path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",") == list(COLUMNS)


def test_unknown_file_types_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.json, \.csv or \.xlsx"):
        read_registry_file(tmp_path / "registry.txt")


def test_reimporting_the_same_file_changes_nothing(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(REGISTRY_JSON, ensure_ascii=False), encoding="utf-8")
    records, problems = read_registry_file(path)
    assert problems == []
    with transaction(session_factory) as session:
        created, updated = upsert_records(session, records)
    assert (len(created), updated) == (3, [])

    again, _ = read_registry_file(path)
    with transaction(session_factory) as session:
        assert upsert_records(session, again) == ([], [])

    REGISTRY_JSON_CHANGED = json.loads(json.dumps(REGISTRY_JSON))
    REGISTRY_JSON_CHANGED["enterprises"][2]["stores"] = ["Golden Lotus Shop"]
    changed, _ = parse_registry_json(json.dumps(REGISTRY_JSON_CHANGED))
    with transaction(session_factory) as session:
        created, updated = upsert_records(session, changed)
    assert created == [] and len(updated) == 1

    with session_factory() as session:
        stored = load_registry(session)
    assert [record.external_id for record in stored] == ["cn-0001", "innoscience-suzhou", "1003"]
    assert all(record.id is not None for record in stored)
    assert stored[0].brands[1] == Brand(text="利世安", classes=[9, 42], registrations=["US 7654321"])
    assert stored[2].stores == ["Golden Lotus Shop"]
    assert [record.model_copy(update={"id": None}) for record in stored[:2]] == changed[:2]
