"""EUIPO trademark search API parser on the real sample response."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from ipsentry.core.documents import RiskKind, Role
from ipsentry.crawlers.parsers.euipo import parse_search
from ipsentry.crawlers.parsers.registry import get_parser

SAMPLE = "trademark/euipo-tmsearch-api-search-response-000274084.json"


def test_search_response(samples_dir: Path) -> None:
    result = parse_search((samples_dir / SAMPLE).read_bytes(), url="https://fixture/trademarks")
    assert result.problems == []
    [doc] = result.documents
    assert doc.id == "euipo:000274084"
    assert doc.kind == RiskKind.TRADEMARK
    assert doc.title == "RIZLA+ INTERNATIONAL"
    assert doc.classes == [25, 34]
    assert doc.filed == date(1996, 6, 19)
    assert doc.stage == "cancelled"  # EXPIRED
    assert doc.jurisdiction == "EU"
    assert [(p.name, p.role) for p in doc.parties] == [
        ("John Player & Sons Limited", Role.APPLICANT),
        ("STEVENS HEWLETT & PERKINS", Role.ATTORNEY),
    ]
    assert doc.parties[0].country is None  # search results carry no applicant country
    assert doc.extra["status"] == "EXPIRED"
    assert doc.extra["mark_feature"] == "FIGURATIVE"
    assert doc.extra["registration_date"] == "1999-02-10"


def test_details_shape_and_variations_derived_from_the_sample(samples_dir: Path) -> None:
    item = json.loads((samples_dir / SAMPLE).read_text())["trademarks"][0]
    details = dict(
        item,
        status="APPLICATION_PUBLISHED",
        applicants=[dict(item["applicants"][0], address={"country": "CN"})],
    )
    [doc] = parse_search(json.dumps(details).encode()).documents
    assert doc.stage == "published_for_opposition"
    assert doc.parties[0].country == "CN"
    figurative = dict(item, wordMarkSpecification=None)
    assert (
        parse_search(json.dumps({"trademarks": [figurative]}).encode()).documents[0].title
        == "(figurative mark)"
    )


def test_bad_input_is_a_problem() -> None:
    assert parse_search(b"<html>").problems[0].reason.startswith("not JSON")
    assert parse_search(b"{}").problems[0].reason == "no 'trademarks' list"
    result = parse_search(b'{"trademarks": [{"niceClasses": [9]}]}')
    assert result.documents == [] and "applicationNumber" in result.problems[0].reason


def test_registered_in_the_parser_registry(samples_dir: Path) -> None:
    assert get_parser("euipo")((samples_dir / SAMPLE).read_bytes()).documents[0].native_id == "000274084"
