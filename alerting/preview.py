"""How many alerts a saved search would raise, estimated before it is saved: its query run over
the stored documents of the last weeks, by published date.

An estimate, and says so: it counts matching documents, while the subscription will also
apply its minimum severity and dedupe documents of the same case stage, so real alerts are as
many or fewer.  Documents without a published date are not counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ipsentry.core.documents import utcnow
from ipsentry.search.index import DocumentIndex, SearchRequest

MAX_WEEKS = 104


@dataclass(frozen=True)
class WeekCount:
    first_day: date
    last_day: date  # inclusive
    hits: int


@dataclass(frozen=True)
class HitEstimate:
    query: str
    weeks: list[WeekCount]  # oldest first; the last one ends today
    total: int
    per_week: float  # the average over ``weeks``


def estimate_hits_per_week(
    index: DocumentIndex, query: str, *, weeks: int = 12, today: date | None = None
) -> HitEstimate:
    """Documents the saved search ``query`` matches per 7-day period, the last period ending
    ``today`` (default: today in UTC; the API passes the user's date).  Raises ``QueryError``
    (an API 400) for a query that does not parse, as saving it would."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 1 and {MAX_WEEKS}")
    today = today or utcnow().date()
    counts: list[WeekCount] = []
    for back in range(weeks - 1, -1, -1):
        last_day = today - timedelta(days=7 * back)
        first_day = last_day - timedelta(days=6)
        # The same request shape as saved-search matching, narrowed by date; no page is read.
        request = SearchRequest(
            query=query, published_from=first_day, published_to=last_day, limit=0, highlight=False
        )
        counts.append(WeekCount(first_day, last_day, index.search(request).total))
    total = sum(week.hits for week in counts)
    return HitEstimate(query=query, weeks=counts, total=total, per_week=round(total / weeks, 2))
