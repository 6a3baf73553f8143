"""Console: the alerts inbox, acknowledgement, and one alert with where it was delivered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from ipsentry.api.deps import IdPath, SessionDep
from ipsentry.api.routes.alerts import acknowledge, alert_out, find_alerts, readable_alert
from ipsentry.api.routes.deliveries import find_deliveries
from ipsentry.api.schemas import Severity
from ipsentry.api.web.deps import WebUser, local_path, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/alerts", response_class=HTMLResponse)
def inbox(
    request: Request,
    session: SessionDep,
    principal: WebUser,
    unacknowledged: bool = False,
    min_severity: Severity | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    alerts = find_alerts(
        session, principal, unacknowledged=unacknowledged, min_severity=min_severity, page=page, size=50
    )
    return render(
        request,
        "alerts.html",
        principal,
        nav="alerts",
        alerts=alerts,
        unacknowledged=unacknowledged,
        min_severity=min_severity or "",
        page_number=page,
    )


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert(request: Request, alert_id: IdPath, session: SessionDep, principal: WebUser) -> HTMLResponse:
    shown = alert_out(readable_alert(session, alert_id, principal), principal)
    deliveries = find_deliveries(session, principal, alert_id=alert_id, size=200)
    return render(request, "alert.html", principal, nav="alerts", alert=shown, deliveries=deliveries)


@router.post("/alerts/{alert_id}/ack")
def ack(
    alert_id: IdPath,
    session: SessionDep,
    principal: WebUser,
    next: Annotated[str, Form(max_length=2000)] = "/alerts",
) -> Response:
    acknowledge(session, alert_id, principal)
    return redirect(local_path(next, "/alerts"), notice="acknowledged")
