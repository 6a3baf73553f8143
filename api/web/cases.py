"""Console: the case list and the case page with its stage timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ipsentry.api.deps import ContextDep, SessionDep
from ipsentry.api.routes.cases import case_detail, list_cases
from ipsentry.api.web.deps import WebUser, render
from ipsentry.core.stages import STAGES_BY_KIND

router = APIRouter(include_in_schema=False)


@router.get("/cases", response_class=HTMLResponse)
def cases(
    request: Request,
    session: SessionDep,
    principal: WebUser,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str | None, Query(max_length=16)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    found = list_cases(session, principal, kind=kind or None, q=q, page=page, size=50)
    return render(request, "cases.html", principal, nav="cases", cases=found, q=q, kind=kind or "")


@router.get("/cases/{case_id:path}", response_class=HTMLResponse)
def case(
    request: Request, case_id: str, session: SessionDep, context: ContextDep, principal: WebUser
) -> HTMLResponse:
    detail = case_detail(session, context, principal, case_id)
    # The stages this kind of case can pass through, in order, so the timeline shows the road
    # ahead as well as the stages reached.
    road = [stage for kind, stages in STAGES_BY_KIND.items() if kind.value == detail.kind for stage in stages]
    reached = {event.stage for event in detail.timeline}
    return render(request, "case.html", principal, nav="cases", case=detail, road=road, reached=reached)
