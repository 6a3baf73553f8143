"""The romanisations an enterprise supplies for its brand are brand variants of the squatting
watch: imported with the registry (JSON, or CSV as ``舒维尔:16 (Souveneer)``), stored, loaded into
the screen, and a real USPTO filing written that way alerts the enterprise, where the brand's own
pinyin would not."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ipsentry.core.db import transaction
from ipsentry.core.documents import Document
from ipsentry.core.models import Alert, Enterprise, Subscription
from ipsentry.core.registry import Brand, EnterpriseRecord
from ipsentry.core.registry_io import parse_registry_json, read_registry_file
from ipsentry.core.registry_store import load_registry, upsert_records
from ipsentry.crawlers.parsers.uspto_daily import parse_file
from ipsentry.service.ingest import ingest

SUVENEER = "trademark/uspto-daily-na-98763166.xml"  # new application, class 16, Nguyen Quang Huy (VN)
# 舒维尔 reads "shuweier" in pinyin, nothing like SUVENEER; the enterprise writes it Souveneer.
BRAND = {"text": "舒维尔", "classes": [16], "romanisations": ["Souveneer"]}


@pytest.fixture
def filing(samples_dir: Path) -> Document:
    [document] = parse_file((samples_dir / SUVENEER).read_bytes()).documents
    return document


def _import(context: Any, brand: dict[str, Any]) -> int:
    return _store(context, _records_from_json(brand))


def _records_from_json(brand: dict[str, Any]) -> list[EnterpriseRecord]:
    registry = {
        "enterprises": [
            {
                "id": "cn-shuweier",
                "name_zh": "杭州舒维尔文具有限公司",
                "names_en": ["Hangzhou Shuweier Stationery Co., Ltd."],
                "brands": [brand],
            }
        ]
    }
    records, problems = parse_registry_json(json.dumps(registry, ensure_ascii=False))
    assert problems == []
    return records


def _store(context: Any, records: list[EnterpriseRecord]) -> int:
    """Store the registry and subscribe its one enterprise to every alert; its registry id."""
    with transaction(context.session_factory) as session:
        upsert_records(session, records)
        enterprise_id = session.scalars(select(Enterprise.id)).one()
        session.add(Subscription(kind="enterprise", enterprise_id=enterprise_id, min_severity="low"))
    return int(enterprise_id)


def test_a_supplied_romanisation_catches_a_filing_the_pinyin_misses(
    app_context: Any, filing: Document
) -> None:
    enterprise_id = _import(app_context, BRAND)
    with app_context.session_factory() as session:
        [stored] = load_registry(session)
        assert [b.romanisations for b in stored.brands] == [["Souveneer"]]

    result = ingest(app_context, [filing])

    assert result.alerts == 1
    with app_context.session_factory() as session:
        [alert] = session.scalars(select(Alert)).all()
        assert (alert.document_id, alert.enterprise_id) == ("uspto:98763166", enterprise_id)
    stored_filing = app_context.index.get("uspto:98763166")
    [squat] = [m for m in stored_filing.matches if m.kind == "similar_mark"]
    assert (squat.enterprise_id, squat.variant) == (enterprise_id, "Souveneer")
    [candidate] = stored_filing.extra["squat_candidates"]
    assert (candidate["brand"], candidate["variant"], candidate["variant_kind"]) == (
        "舒维尔",
        "Souveneer",
        "romanisation",
    )


def test_without_the_romanisation_the_brand_is_not_matched(app_context: Any, filing: Document) -> None:
    _import(app_context, {"text": BRAND["text"], "classes": BRAND["classes"]})
    assert ingest(app_context, [filing]).alerts == 0
    assert [m for m in app_context.index.get("uspto:98763166").matches if m.kind == "similar_mark"] == []


def test_the_romanisation_in_a_csv_registry_catches_the_filing_too(
    app_context: Any, filing: Document, tmp_path: Path
) -> None:
    [enterprise] = _records_from_json(BRAND)
    path = tmp_path / "registry.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ["id", "name_zh", "names_en", "brands"],
                [enterprise.external_id, enterprise.name_zh, *enterprise.names_en, "舒维尔:16 (Souveneer)"],
            ]
        )
    records, problems = read_registry_file(path)
    assert problems == []
    assert records == [enterprise] and records[0].brands == [Brand.model_validate(BRAND)]
    enterprise_id = _store(app_context, records)

    assert ingest(app_context, [filing]).alerts == 1
    [squat] = [m for m in app_context.index.get("uspto:98763166").matches if m.kind == "similar_mark"]
    assert (squat.enterprise_id, squat.variant) == (enterprise_id, "Souveneer")
