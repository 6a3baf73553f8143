"""Console: the registered enterprises (staff) and each enterprise's risk page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ipsentry.api.deps import ContextDep, IdPath, SessionDep
from ipsentry.api.routes.cases import list_cases
from ipsentry.api.routes.enterprises import enterprise_risk, list_visible, visible_enterprise
from ipsentry.api.web.charts import bar_chart
from ipsentry.api.web.deps import WebUser, redirect, render, translator

router = APIRouter(include_in_schema=False)


@router.get("/enterprises", response_class=HTMLResponse)
def enterprises(request: Request, session: SessionDep, principal: WebUser) -> Response:
    if not principal.is_staff:
        return redirect(f"/enterprises/{principal.enterprise_id}")
    return render(
        request,
        "enterprises.html",
        principal,
        nav="enterprises",
        enterprises=list_visible(session, principal),
    )


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise(
    request: Request, enterprise_id: IdPath, session: SessionDep, context: ContextDep, principal: WebUser
) -> HTMLResponse:
    row = visible_enterprise(session, principal, enterprise_id)
    risk = enterprise_risk(session, context.index, row)
    t = translator(request)
    chart = bar_chart(
        [(t.label("severity", name), count) for name, count in risk.by_severity.items()],
        css="severity",
        keys=list(risk.by_severity),
    )
    cases = list_cases(session, principal, enterprise=row.id, size=20)
    return render(
        request,
        "enterprise.html",
        principal,
        nav="enterprises",
        enterprise=row,
        risk=risk,
        severity_chart=chart,
        cases=cases,
    )
