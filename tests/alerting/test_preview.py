"""The saved-search preview: hits per week over the stored documents, by published date."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from ipsentry.alerting.preview import WeekCount, estimate_hits_per_week
from ipsentry.core.documents import Document
from ipsentry.search.index import QueryError
from ipsentry.search.sqlite_index import SqliteDocumentIndex

TODAY = date(2026, 2, 10)  # a Tuesday


@pytest.fixture
def index(tmp_path: Path, make_doc: Callable[..., Document]) -> Iterator[SqliteDocumentIndex]:
    index = SqliteDocumentIndex(tmp_path / "documents.sqlite")
    # Power stations: twice in the current week, once three weeks ago, once too old to count.
    published = [TODAY, TODAY - timedelta(days=6), TODAY - timedelta(days=20), TODAY - timedelta(days=120)]
    documents = [
        make_doc(f"fr:ps-{i}", case=f"337-TA-{i}", published=day, title="Certain Portable Power Stations")
        for i, day in enumerate(published)
    ]
    documents.append(
        make_doc("fr:earbuds", case="337-TA-9", published=TODAY, title="Certain Wireless Earbuds")
    )
    documents.append(
        make_doc("fr:undated", case="337-TA-8", published=None, title="Certain Portable Power Stations")
    )
    index.upsert(documents)
    yield index
    index.close()


def test_counts_per_week_and_the_weekly_average(index: SqliteDocumentIndex) -> None:
    estimate = estimate_hits_per_week(index, '"power stations"', weeks=4, today=TODAY)

    assert estimate.weeks == [
        WeekCount(date(2026, 1, 14), date(2026, 1, 20), 0),
        WeekCount(date(2026, 1, 21), date(2026, 1, 27), 1),
        WeekCount(date(2026, 1, 28), date(2026, 2, 3), 0),
        WeekCount(date(2026, 2, 4), date(2026, 2, 10), 2),
    ]
    assert (estimate.total, estimate.per_week) == (3, 0.75)


def test_the_default_looks_back_twelve_weeks(index: SqliteDocumentIndex) -> None:
    estimate = estimate_hits_per_week(index, "earbuds OR power", today=TODAY)

    assert len(estimate.weeks) == 12 and estimate.weeks[0].first_day == date(2025, 11, 19)
    assert (estimate.total, estimate.per_week) == (4, 0.33)


def test_an_invalid_query_is_refused_as_saving_it_would_be(index: SqliteDocumentIndex) -> None:
    with pytest.raises(QueryError):
        estimate_hits_per_week(index, 'title:"unterminated', today=TODAY)
    with pytest.raises(ValueError):
        estimate_hits_per_week(index, "power", weeks=0, today=TODAY)
