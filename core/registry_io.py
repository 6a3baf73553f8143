"""Registry files: import enterprises from JSON, CSV or Excel, export them back.

JSON (the reference format; unknown keys are ignored)::

    {"enterprises": [{"id": "cn-0001",                      # the file's own id → external_id
                      "name_zh": "深圳市利世安科技有限公司",
                      "names_en": ["Shenzhen Lishian Technology Co., Ltd."],
                      "former_names": [], "abbreviations": [], "subsidiaries": [],
                      "brands": ["LISHIAN", {"text": "利世安", "classes": [9, 42]}],
                      "stores": ["Lishian Direct"], "seller_ids": ["A2LISHIAN99"],
                      "region": "广东省深圳市",     # or "Guangdong/Shenzhen" or {"province", "city"}
                      "industries": ["consumer_electronics"],
                      "contact_email": "ip@example.com"}]}

CSV and Excel (.xlsx, first sheet) have one header row with the same names (any order, any case;
unknown columns ignored; ``region_province`` / ``region_city`` columns may replace ``region``).
A list cell holds its items separated by ``;`` (or the full-width ``；``).  A brand item is
``TEXT``, or ``TEXT:`` followed by its Nice classes 1–45 and/or, in brackets, the romanisations the
enterprise writes it in (separated by ``,`` or ``、``)::

    ANKER:9,42;EUFY;舒维尔:16 (Souveneer, Shuweier);利世安:(Lishian)

Full-width ``：`` ``，`` ``（）`` work as well: ``舒维尔：16（Souveneer、Shuweier）``.  Only the colon opens
these details: a bracket it does not introduce is part of the text (``ANKER（安克）`` is one brand
named so), as is a colon followed by neither classes nor a bracket.  A romanisation cannot itself
hold ``,`` ``、`` or brackets.  A region cell is ``province/city`` (either part may be empty) or a
Chinese address such as ``广东省深圳市``.
CSV is read as UTF-8 (with or without BOM), falling back to GB18030 for files saved by Chinese
Excel; it is written as UTF-8 with BOM so Excel shows Chinese correctly.  Brand registrations
survive only in JSON.

Rows are checked one by one: valid rows are returned as records, invalid ones as problems with
their row number (JSON: position in the list, from 1; CSV and Excel: the spreadsheet row, the
header being row 1) and the reason.  Storing them is ``registry_store.upsert_records``, which is
idempotent: importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from pydantic import ValidationError

from ipsentry.core.registry import Brand, EnterpriseRecord

COLUMNS = (
    "id", "name_zh", "names_en", "former_names", "abbreviations", "brands", "stores", "seller_ids",
    "subsidiaries", "region", "industries", "contact_email",
)  # fmt: skip
LIST_FIELDS = (
    "names_en",
    "former_names",
    "abbreviations",
    "stores",
    "seller_ids",
    "subsidiaries",
    "industries",
)
_ITEM_SEPARATORS = re.compile(r"[;；]")
_CLASS_LIST = re.compile(r"^\s*\d+(?:\s*[,，]\s*\d+)*\s*$")
# "TEXT:CLASSES (" or "TEXT:(": the colon before an opening bracket starts classes + romanisations.
# The text is matched lazily, so the first such colon counts and a colon inside the brackets is kept.
_BRAND_WITH_ROMANISATIONS = re.compile(
    r"^(?P<text>.*?)[:：]\s*(?P<classes>\d+(?:\s*[,，]\s*\d+)*)?\s*(?P<bracketed>[(（].*)$", re.DOTALL
)
_ROMANISATIONS_IN_BRACKETS = re.compile(r"^[(（](?P<names>[^()（）]*)[)）]\s*$")
_ROMANISATION_SEPARATORS = re.compile(r"[,，、]")
_REGION_SEPARATORS = re.compile(r"\s*[/|,，>·]\s*")
_ZH_REGION = re.compile(
    r"^(?P<province>.+?(?:省|自治区|特别行政区))?(?P<city>.+?(?:市|自治州|地区|盟|州))?$"
)  # fmt: skip
_MUNICIPALITIES = ("北京", "上海", "天津", "重庆")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Province-level names, so that a region of one word can be told province from city.
_PROVINCES_ZH = _word_set(
    "河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南 陕西 "
    "甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
)
_PROVINCES_EN = _word_set(
    "hebei shanxi shaanxi liaoning jilin heilongjiang jiangsu zhejiang anhui fujian jiangxi shandong "
    "henan hubei hunan guangdong hainan sichuan guizhou yunnan gansu qinghai taiwan guangxi tibet "
    "xizang ningxia xinjiang innermongolia neimenggu hongkong macau macao"
)


@dataclass(frozen=True, slots=True)
class ImportProblem:
    row: int  # JSON: position in the list (from 1); CSV/Excel: spreadsheet row (header = 1); 0: file
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


class RowError(ValueError):
    """A row that cannot become a record (the message says why)."""


# --- reading -------------------------------------------------------------------------------------


def read_registry_file(path: str | Path) -> tuple[list[EnterpriseRecord], list[ImportProblem]]:
    """Records and problems from a .json, .csv or .xlsx file (chosen by the file name)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return parse_registry_json(path.read_bytes())
    if suffix == ".csv":
        return parse_registry_csv(path.read_bytes())
    if suffix in (".xlsx", ".xlsm"):
        return parse_registry_xlsx(path)
    raise ValueError(f"{path.name}: registry files are .json, .csv or .xlsx")


def parse_registry_json(data: str | bytes) -> tuple[list[EnterpriseRecord], list[ImportProblem]]:
    try:
        loaded = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return [], [ImportProblem(0, f"not JSON: {error}")]
    rows = loaded.get("enterprises") if isinstance(loaded, dict) else loaded
    if not isinstance(rows, list):
        return [], [ImportProblem(0, 'expected {"enterprises": [...]} or a list of enterprises')]
    return _records_from_rows(enumerate(rows, start=1))


def parse_registry_csv(data: str | bytes) -> tuple[list[EnterpriseRecord], list[ImportProblem]]:
    text = _decode(data) if isinstance(data, bytes) else data
    reader = csv.reader(io.StringIO(text, newline=""))
    return _records_from_table(reader)


def parse_registry_xlsx(
    source: str | Path | IO[bytes] | bytes,
) -> tuple[list[EnterpriseRecord], list[ImportProblem]]:
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several types for a file that is not a workbook
        return [], [ImportProblem(0, f"not an Excel workbook: {error}")]
    try:
        sheet = workbook.worksheets[0]
        return _records_from_table(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _records_from_table(rows: Iterable[Sequence[Any]]) -> tuple[list[EnterpriseRecord], list[ImportProblem]]:
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        return [], [ImportProblem(0, "the file is empty")]
    names = [str(cell).strip().lower() if cell is not None else "" for cell in header]
    if "id" not in names:
        return [], [ImportProblem(1, "the header row has no 'id' column")]

    def as_mappings() -> Iterable[tuple[int, dict[str, Any]]]:
        for number, row in enumerate(iterator, start=2):
            if all(cell is None or str(cell).strip() == "" for cell in row):
                continue  # blank lines are layout, not data
            yield number, {name: cell for name, cell in zip(names, row, strict=False) if name}

    return _records_from_rows(as_mappings(), table=True)


def _records_from_rows(
    rows: Iterable[tuple[int, Any]], *, table: bool = False
) -> tuple[list[EnterpriseRecord], list[ImportProblem]]:
    records: list[EnterpriseRecord] = []
    problems: list[ImportProblem] = []
    first_row: dict[str, int] = {}
    for number, raw in rows:
        try:
            record = record_from_mapping(raw, table=table)
        except RowError as error:
            problems.append(ImportProblem(number, str(error)))
            continue
        if record.external_id in first_row:
            problems.append(
                ImportProblem(
                    number,
                    f"duplicate id {record.external_id!r} (first on row {first_row[record.external_id]})",
                )
            )
            continue
        first_row[record.external_id] = number
        records.append(record)
    return records, problems


def record_from_mapping(raw: Any, *, table: bool = False) -> EnterpriseRecord:
    """One enterprise from a JSON object or a table row; RowError says what is wrong.
    In a table row list cells are ``;``-separated strings."""
    if not isinstance(raw, Mapping):
        raise RowError("an enterprise must be an object")
    external_id = _text(raw.get("id"))
    if not external_id:
        raise RowError("missing id")
    values: dict[str, Any] = {"external_id": external_id, "name_zh": _text(raw.get("name_zh"))}
    for name in LIST_FIELDS:
        values[name] = _string_list(raw.get(name), name)
    values["brands"] = _brands(raw.get("brands"), table=table)
    if raw.get("region") not in (None, ""):
        province, city = parse_region(raw["region"])
    else:
        province, city = _text(raw.get("region_province")), _text(raw.get("region_city"))
    values["region_province"], values["region_city"] = province, city
    email = _text(raw.get("contact_email"))
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise RowError(f"contact_email {email!r} is not an e-mail address")
    values["contact_email"] = email
    if not values["name_zh"] and not values["names_en"]:
        raise RowError(f"{external_id}: no name (name_zh or names_en)")
    try:
        return EnterpriseRecord(**values)
    except ValidationError as error:
        raise RowError(f"{external_id}: {error.errors()[0]['msg']}") from error


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 1001 as 1001.0
    text = str(value).strip()
    return text or None


def _string_list(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        items = []
        for item in value:
            if not isinstance(item, str | int | float) or isinstance(item, bool):
                raise RowError(f"{field}: {item!r} is not text")
            items.append(str(item).strip())
    else:
        text = _text(value)
        items = _ITEM_SEPARATORS.split(text) if text else []
    return list(dict.fromkeys(item.strip() for item in items if item and item.strip()))


def _brands(value: Any, *, table: bool) -> list[Brand]:
    if value is None or value == "":
        return []
    items: list[Any] = value if isinstance(value, list) else _string_list(value, "brands")
    brands: list[Brand] = []
    for item in items:
        if isinstance(item, Mapping):
            text = _text(item.get("text"))
            if not text:
                raise RowError(f"brand {dict(item)!r} has no text")
            brands.append(
                Brand(
                    text=text,
                    classes=_classes(item.get("classes") or [], text),
                    registrations=_string_list(item.get("registrations"), "registrations"),
                    romanisations=_string_list(item.get("romanisations"), "romanisations"),
                )
            )
        elif isinstance(item, str):
            brands.append(
                _brand_from_text(item) if table or ":" in item or "：" in item else Brand(text=item.strip())
            )
        else:
            raise RowError(f"brand {item!r} is neither text nor an object")
    return [brand for brand in brands if brand.text]


def _brand_from_text(item: str) -> Brand:
    """ "ANKER:9,42" → Brand(ANKER, [9, 42]); "舒维尔:16 (Souveneer, Shuweier)" → Brand(舒维尔, [16],
    romanisations=[Souveneer, Shuweier]); "利世安:(Lishian)" → romanisations, any class; "ANKER" →
    Brand(ANKER).  A colon followed by neither class numbers nor a bracket is part of the text."""
    with_romanisations = _BRAND_WITH_ROMANISATIONS.match(item)
    if with_romanisations and with_romanisations["text"].strip():
        text = with_romanisations["text"].strip()
        return Brand(
            text=text,
            classes=_classes(_class_numbers(with_romanisations["classes"] or ""), text),
            romanisations=_romanisations(with_romanisations["bracketed"].strip(), text),
        )
    head, separator, tail = item.replace("：", ":").rpartition(":")
    if separator and head.strip() and _CLASS_LIST.match(tail):
        return Brand(text=head.strip(), classes=_classes(_class_numbers(tail), head.strip()))
    return Brand(text=item.strip())


def _class_numbers(class_list: str) -> list[int]:
    """[9, 42] from a "9,42" that matched ``_CLASS_LIST`` ("" → [])."""
    return [int(number) for number in re.split(r"\s*[,，]\s*", class_list.strip()) if number]


def _romanisations(bracketed: str, brand: str) -> list[str]:
    """The names in "(Souveneer, Shuweier)"; RowError if that is not one closed pair of brackets
    ending the brand, or holds no name."""
    in_brackets = _ROMANISATIONS_IN_BRACKETS.match(bracketed)
    if in_brackets is None:
        if not re.search(r"[)）]", bracketed):
            # Most likely the user separated the names with ";", which already split the brand.
            raise RowError(
                f"brand {brand!r}: romanisations {bracketed!r} have no closing bracket "
                "(separate romanisations with ',' or '、', not ';')"
            )
        raise RowError(
            f"brand {brand!r}: romanisations {bracketed!r} must be one pair of brackets ending the brand, "
            "as in TEXT:CLASSES (NAME, NAME)"
        )
    names = (name.strip() for name in _ROMANISATION_SEPARATORS.split(in_brackets["names"]))
    romanisations = list(dict.fromkeys(name for name in names if name))
    if not romanisations:
        raise RowError(f"brand {brand!r}: no romanisation between the brackets {bracketed!r}")
    return romanisations


def _classes(value: Any, brand: str) -> list[int]:
    if isinstance(value, str):
        value = re.split(r"\s*[,，]\s*", value.strip()) if value.strip() else []
    if not isinstance(value, list):
        raise RowError(f"brand {brand!r}: classes must be a list of Nice classes")
    classes: list[int] = []
    for number in value:
        try:
            cls = int(number)
        except (TypeError, ValueError):
            raise RowError(f"brand {brand!r}: Nice class {number!r} is not a number") from None
        if not 1 <= cls <= 45 or (isinstance(number, float) and not number.is_integer()):
            raise RowError(f"brand {brand!r}: Nice class {number!r} is not 1–45")
        classes.append(cls)
    return sorted(set(classes))


def parse_region(value: Any) -> tuple[str | None, str | None]:
    """(province, city) from {"province", "city"}, "Guangdong/Shenzhen", "广东省深圳市",
    "深圳市" or "Guangdong"; parts are kept as written."""
    if isinstance(value, Mapping):
        return _text(value.get("province")), _text(value.get("city"))
    text = _text(value)
    if not text:
        return None, None
    parts = _REGION_SEPARATORS.split(text)
    if len(parts) == 2:
        return parts[0].strip() or None, parts[1].strip() or None
    if len(parts) > 2:
        raise RowError(f"region {text!r}: expected province/city")
    found = _ZH_REGION.match(text)
    if found and (found.group("province") or found.group("city")):
        province, city = found.group("province"), found.group("city")
        if province is None and city and city[:-1] in _MUNICIPALITIES:
            province = city  # 上海市 is a province-level city
        return province, city
    bare = text.rstrip("省")
    if bare in _PROVINCES_ZH or "".join(text.lower().split()) in _PROVINCES_EN:
        return text, None
    if bare in _MUNICIPALITIES:
        return text, text
    return None, text


# --- writing -------------------------------------------------------------------------------------


def record_to_json(record: EnterpriseRecord) -> dict[str, Any]:
    """The JSON form of a record (the import format; ``id`` is the external id)."""
    out: dict[str, Any] = {"id": record.external_id}
    if record.name_zh:
        out["name_zh"] = record.name_zh
    for name in LIST_FIELDS:
        value = getattr(record, name)
        if value:
            out[name] = list(value)
    if record.brands:
        out["brands"] = [_brand_json(brand) for brand in record.brands]
    if record.region_province or record.region_city:
        out["region"] = {"province": record.region_province, "city": record.region_city}
    if record.contact_email:
        out["contact_email"] = record.contact_email
    return out


def _brand_json(brand: Brand) -> str | dict[str, Any]:
    extra = {key: value for key, value in brand.model_dump().items() if value and key != "text"}
    return {"text": brand.text, **extra} if extra else brand.text


def _brand_cell(brand: Brand) -> str:
    """The brand as ``_brand_from_text`` reads it back: "舒维尔:16 (Souveneer, Shuweier)"."""
    details = ",".join(map(str, brand.classes))
    if brand.romanisations:
        details = " ".join(filter(None, [details, f"({', '.join(brand.romanisations)})"]))
    return f"{brand.text}:{details}" if details else brand.text


def record_to_row(record: EnterpriseRecord) -> list[str]:
    """One CSV/Excel row in ``COLUMNS`` order."""
    cells: dict[str, str] = {
        "id": record.external_id,
        "name_zh": record.name_zh or "",
        "brands": ";".join(_brand_cell(brand) for brand in record.brands),
        "region": f"{record.region_province or ''}/{record.region_city or ''}"
        if record.region_province or record.region_city
        else "",
        "contact_email": record.contact_email or "",
    }
    for name in LIST_FIELDS:
        cells[name] = ";".join(getattr(record, name))
    return [cells[column] for column in COLUMNS]


def export_records(records: Sequence[EnterpriseRecord], path: str | Path) -> None:
    """Write records to a .json, .csv or .xlsx file that ``read_registry_file`` reads back."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        payload = {"enterprises": [record_to_json(record) for record in records]}
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    elif suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(record_to_row(record) for record in records)
    elif suffix == ".xlsx":
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None  # a new workbook always has one sheet
        sheet.title = "enterprises"
        sheet.append(list(COLUMNS))
        for record in records:
            sheet.append(record_to_row(record))
        workbook.save(path)
    else:
        raise ValueError(f"{path.name}: registry files are .json, .csv or .xlsx")
