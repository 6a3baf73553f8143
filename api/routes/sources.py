"""/api/v1/sources: source health for the guidance center — last run, items, errors, and how far
behind the source we are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipsentry.api.deps import ERROR_RESPONSES, ContextDep, SessionDep, StaffDep, not_found
from ipsentry.api.schemas import CrawlRunOut, SourceHealth
from ipsentry.core.models import CrawlRun, CrawlState
from ipsentry.search.index import SearchRequest
from ipsentry.service.context import AppContext
from ipsentry.service.scheduler import SCHEDULED_SOURCES

router = APIRouter(prefix="/api/v1/sources", tags=["sources"], responses=ERROR_RESPONSES)

# A source is stale when its last success is older than this many crawl intervals.
STALE_AFTER_INTERVALS = 3


def source_health(
    session: Session, context: AppContext, *, now: datetime | None = None
) -> list[SourceHealth]:
    now = now or datetime.now(UTC)
    states = {state.source: state for state in session.scalars(select(CrawlState))}
    counts = dict(
        session.execute(select(CrawlRun.source, func.count(CrawlRun.id)).group_by(CrawlRun.source)).all()
    )
    failures = dict(
        session.execute(
            select(CrawlRun.source, func.count(CrawlRun.id))
            .where(CrawlRun.ok.is_(False))
            .group_by(CrawlRun.source)
        ).all()
    )
    indexed = context.index.search(SearchRequest(limit=0, facets=["source"], highlight=False)).facets[
        "source"
    ]
    names = sorted({*SCHEDULED_SOURCES, *states, *counts, *indexed})
    stale_after = timedelta(minutes=context.settings.crawl_interval_minutes * STALE_AFTER_INTERVALS)
    health = []
    for name in names:
        state = states.get(name)
        last = session.scalar(
            select(CrawlRun).where(CrawlRun.source == name).order_by(CrawlRun.started_at.desc()).limit(1)
        )
        newest = context.index.search(
            SearchRequest(sources=[name], sort="date_desc", limit=1, highlight=False)
        )
        last_success = state.last_success_at if state else None
        if last is None:
            status = "never_run"
        elif not last.ok:
            status = "failing"
        elif last_success is None or now - last_success > stale_after:
            status = "stale"
        else:
            status = "ok"
        health.append(
            SourceHealth(
                source=name,
                status=status,
                last_run_at=state.last_run_at if state else (last.started_at if last else None),
                last_success_at=last_success,
                last_run=CrawlRunOut.model_validate(last) if last else None,
                runs=counts.get(name, 0),
                failed_runs=failures.get(name, 0),
                documents=indexed.get(name, 0),
                newest_published=newest.hits[0].document.published if newest.hits else None,
                lag_hours=round((now - last_success).total_seconds() / 3600, 1) if last_success else None,
            )
        )
    return health


def recent_runs(session: Session, source: str, limit: int) -> list[CrawlRun]:
    return list(
        session.scalars(
            select(CrawlRun)
            .where(CrawlRun.source == source)
            .order_by(CrawlRun.started_at.desc())
            .limit(limit)
        )
    )


@router.get("", response_model=list[SourceHealth], summary="Health of every source")
def list_sources(session: SessionDep, context: ContextDep, _: StaffDep) -> list[SourceHealth]:
    return source_health(session, context)


@router.get("/{source}/runs", response_model=list[CrawlRunOut], summary="Recent crawl runs of one source")
def source_runs(
    source: str,
    session: SessionDep,
    context: ContextDep,
    _: StaffDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[CrawlRun]:
    if source not in {health.source for health in source_health(session, context)}:
        raise not_found("source")
    return recent_runs(session, source, limit)
