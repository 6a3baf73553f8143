"""Hit preview: how often a subscription would fire, estimated from the stored documents.

A subscription is first expressed in the query language (an enterprise watch is
``enterprise:<id>``, a watched brand ``brand:"…"``…); ``alerting.preview`` then counts the
documents it selects per week, the last week ending today in the service's time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipsentry.alerting.preview import estimate_hits_per_week
from ipsentry.alerting.selectors import _in_industry, _in_region
from ipsentry.api.schemas import HitPreview, WeekCount
from ipsentry.core.models import Enterprise
from ipsentry.search.index import DocumentIndex

WEEKS = 12
# Matches nothing on every backend: a group watch whose group is empty selects no document.
NOTHING = "kind:itc337 AND NOT kind:itc337"


def _phrase(text: str) -> str:
    # The query language has no escape inside quotes: a quote in a watched term is dropped.
    return '"' + text.replace('"', " ").replace("“", " ").replace("”", " ").strip() + '"'


def subscription_query(session: Session, kind: str, query: str | None, enterprise_id: int | None) -> str:
    """The query-language text selecting what a subscription of this kind selects (region and
    industry watches: the registered enterprises of that group, as the alerting code finds them)."""
    term = (query or "").strip()
    if kind == "enterprise":
        return f"enterprise:{enterprise_id}" if enterprise_id else NOTHING
    if kind == "search":
        return term
    if kind == "keyword":
        return _phrase(term) if term else NOTHING
    if kind in ("brand", "firm"):
        return f"{kind}:{_phrase(term)}" if term else NOTHING
    belongs: Callable[[Enterprise, str], bool] = _in_region if kind == "region" else _in_industry
    members = [e.id for e in session.scalars(select(Enterprise).order_by(Enterprise.id)) if belongs(e, term)]
    if not term or not members:
        return NOTHING
    return "(" + " OR ".join(f"enterprise:{member}" for member in members) + ")"


def preview(index: DocumentIndex, query: str, zone: str, *, weeks: int = WEEKS) -> HitPreview:
    """Raises the index's ``QueryError`` on a query that does not parse."""
    today = datetime.now(ZoneInfo(zone)).date()
    estimate = estimate_hits_per_week(index, query, weeks=weeks, today=today)
    return HitPreview(
        query=query,
        per_week=estimate.per_week,
        total=estimate.total,
        weeks=[WeekCount(first_day=w.first_day, last_day=w.last_day, count=w.hits) for w in estimate.weeks],
    )
