"""Console: the source-health dashboard (guidance center)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ipsentry.api.deps import ContextDep, SessionDep
from ipsentry.api.routes.sources import recent_runs, source_health
from ipsentry.api.schemas import CrawlRunOut
from ipsentry.api.web.deps import WebStaff, render

router = APIRouter(include_in_schema=False)


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request, session: SessionDep, context: ContextDep, principal: WebStaff) -> HTMLResponse:
    health = source_health(session, context)
    runs = {
        item.source: [CrawlRunOut.model_validate(run) for run in recent_runs(session, item.source, 10)]
        for item in health
    }
    return render(request, "sources.html", principal, nav="sources", health=health, runs=runs)
