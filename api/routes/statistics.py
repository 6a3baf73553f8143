"""/api/v1/statistics: counts by risk kind, stage, month and region; the most active plaintiffs,
law firms and brands (for the guidance center)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from ipsentry.api.deps import ERROR_RESPONSES, ContextDep, SessionDep, StaffDep, unprocessable
from ipsentry.service.stats import Statistics, statistics

router = APIRouter(prefix="/api/v1/statistics", tags=["statistics"], responses=ERROR_RESPONSES)


@router.get("", response_model=Statistics, summary="Counts and rankings over a period")
def get_statistics(
    session: SessionDep,
    context: ContextDep,
    _: StaffDep,
    since: date | None = None,
    until: date | None = None,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Statistics:
    if since and until and since > until:
        raise unprocessable("since is after until")
    return statistics(session, context.index, since=since, until=until, top=top)
