"""Example-driven parser tests (juriscraper's habit): each real input in the shared samples sits
beside an expected parse output in ``tests/crawlers/expected/<input>.compare.json``.

A changed parser shows which field of which document changed.  A missing expected file is
written and the test fails until someone has read it and commits it; set
``IPSENTRY_UPDATE_EXPECTED=1`` to rewrite them all after an intended change (then read the diff).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ipsentry.crawlers.parsers.base import ParseResult
from ipsentry.crawlers.parsers.federal_register import parse_full_text_xml, parse_raw_text
from ipsentry.crawlers.parsers.itc337_news_release import parse_news_release

EXPECTED_DIR = Path(__file__).parent / "expected"
FIXTURE_BASE = "http://127.0.0.1:8765"

# (sample under samples/itc337, parser, the URL it was fetched from when the parser needs one)
EXAMPLES: list[tuple[str, Callable[..., ParseResult], str | None]] = [
    (
        "fr_raw_text_2026-02297.html",
        parse_raw_text,
        f"{FIXTURE_BASE}/documents/full_text/text/2026/02/05/2026-02297.txt",
    ),
    (
        "fr_full_text_xml_2016-08680.xml",
        parse_full_text_xml,
        f"{FIXTURE_BASE}/documents/full_text/xml/2016/04/15/2016-08680.xml",
    ),
    ("fr_text_80FR80797_337-TA-928_937_consolidated_header.excerpt.txt", parse_raw_text, None),
    (
        "fr_text_2018-01379_337-TA-1098_institution_of_investigation_BEGINNING.excerpt.txt",
        parse_raw_text,
        None,
    ),
    ("fr_text_80FR57019_337-TA-929_ID_RD_public_interest_dongguan_china.excerpt.txt", parse_raw_text, None),
    (
        "fr_pdftext_2022-25631_DN3655_receipt_of_complaint_chinese_respondents_COLUMN_JUMBLED.excerpt.txt",
        parse_raw_text,
        None,
    ),
    ("usitc_news_release_15-016_337-TA-947_institution_xiamen_china.excerpt.txt", parse_news_release, None),
    ("usitc_news_release_19-049_337-TA-1161_institution_wenzhou_china.excerpt.txt", parse_news_release, None),
    ("usitc_news_release_24-113_337-TA-1424_institution_xiamen_china.excerpt.txt", parse_news_release, None),
    (
        "usitc_news_release_337-TA-1157_institution_zhejiang_xiamen_china.excerpt.txt",
        parse_news_release,
        None,
    ),
]

# Volatile or bulky fields stay out of the comparison; the text is compared by its opening.
_LEFT_OUT = {"text", "fetched", "matches", "industries", "severity"}


def _comparable(result: ParseResult) -> dict[str, Any]:
    documents = []
    for document in result.documents:
        data = document.model_dump(mode="json", exclude=_LEFT_OUT)
        data["text_start"] = document.text[:300]
        documents.append(data)
    return {"documents": documents, "problems": [vars(p) for p in result.problems]}


@pytest.mark.parametrize(("sample", "parser", "url"), EXAMPLES, ids=[e[0].split(".")[0] for e in EXAMPLES])
def test_example(itc337_dir: Path, sample: str, parser: Callable[..., ParseResult], url: str | None) -> None:
    actual = _comparable(parser((itc337_dir / sample).read_bytes(), url=url))
    expected_path = EXPECTED_DIR / f"{sample}.compare.json"
    if os.environ.get("IPSENTRY_UPDATE_EXPECTED") or not expected_path.exists():
        expected_path.parent.mkdir(parents=True, exist_ok=True)
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if not os.environ.get("IPSENTRY_UPDATE_EXPECTED"):
            pytest.fail(f"wrote {expected_path.name}: read it, then commit it")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual["problems"] == expected["problems"]
    assert len(actual["documents"]) == len(expected["documents"])
    for got, want in zip(actual["documents"], expected["documents"], strict=True):
        for key in sorted(set(got) | set(want)):
            assert got.get(key) == want.get(key), f"{sample}: document {want.get('id')} field {key!r} changed"
