"""The 792 real Federal Register Section 337 notices (title and abstract) from the shared samples,
indexed and searched; every expected count is computed independently here in Python."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from ipsentry.core.documents import Document, RiskKind
from ipsentry.search.index import DocumentIndex, SearchRequest

SAMPLE = Path("itc337") / "federal_register_337_titles_abstracts.json"


@pytest.fixture
def records(samples_dir: Path) -> list[dict[str, str]]:
    loaded: list[dict[str, str]] = json.loads((samples_dir / SAMPLE).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def notices(backend: DocumentIndex, records: list[dict[str, str]]) -> DocumentIndex:
    documents = [
        Document(
            id=f"fr:{record['document_number']}",
            source="federal_register",
            kind=RiskKind.ITC337,
            native_id=record["document_number"],
            title=record["title"],
            summary=record["abstract"] or "",
            url=record["html_url"],
            published=date.fromisoformat(record["publication_date"]),
            authority="USITC",
        )
        for record in records
    ]
    assert len(backend.upsert(documents).created) == len(records)
    assert len(backend.upsert(documents).unchanged) == len(records)
    return backend


def matching(records: list[dict[str, str]], pattern: str, *, without: str | None = None) -> set[str]:
    found = set()
    for record in records:
        text = f"{record['title']}\n{record['abstract'] or ''}"
        if re.search(pattern, text, re.IGNORECASE) and not (
            without and re.search(without, text, re.IGNORECASE)
        ):
            found.add(f"fr:{record['document_number']}")
    return found


def all_ids(index: DocumentIndex, query: str) -> tuple[int, set[str]]:
    ids: set[str] = set()
    offset, total = 0, -1
    while offset == 0 or offset < total:
        result = index.search(SearchRequest(query=query, offset=offset, limit=200, highlight=False))
        total = result.total
        ids.update(hit.document.id for hit in result.hits)
        offset += 200
    return total, ids


def test_word_search_matches_an_independent_count(
    notices: DocumentIndex, records: list[dict[str, str]]
) -> None:
    expected = matching(records, r"\bexclusions?\b")
    assert len(expected) > 200  # the sample is what we think it is
    total, ids = all_ids(notices, "exclusion")
    assert total == len(expected)
    assert ids == expected


def test_phrase_and_negation_match_independent_counts(
    notices: DocumentIndex, records: list[dict[str, str]]
) -> None:
    phrase = matching(records, r"\blimited\W+exclusion\W+orders?\b")
    assert 0 < len(phrase) < len(matching(records, r"\bexclusions?\b"))
    assert all_ids(notices, '"limited exclusion order"') == (len(phrase), phrase)
    negated = matching(records, r"\bexclusions?\b", without=r"\brescissions?\b")
    assert all_ids(notices, "exclusion -rescission") == (len(negated), negated)


def test_year_filter_and_facets_match_the_publication_dates(
    notices: DocumentIndex, records: list[dict[str, str]]
) -> None:
    years = Counter(record["publication_date"][:4] for record in records)
    result = notices.search(SearchRequest(query="published:2024", limit=1, facets=["year"]))
    assert result.total == years["2024"]
    assert result.facets["year"] == {"2024": years["2024"]}
    everything = notices.search(SearchRequest(limit=5, facets=["year", "kind"]))
    assert everything.total == len(records)
    assert everything.facets["year"] == dict(years)
    assert everything.facets["kind"] == {"itc337": len(records)}
    newest = max(record["publication_date"] for record in records)
    dates = [hit.document.published for hit in everything.hits]
    assert dates[0] == date.fromisoformat(newest)
    assert dates == sorted(dates, reverse=True)


def test_highlights_on_real_titles(notices: DocumentIndex) -> None:
    result = notices.search(SearchRequest(query='"general exclusion order"', limit=5))
    assert result.hits
    for hit in result.hits:
        marked = " ".join(hit.highlights.values())
        assert re.search(r"<mark>general exclusion orders?</mark>", marked, re.IGNORECASE)
