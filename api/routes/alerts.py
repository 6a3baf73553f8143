"""/api/v1/alerts: the inbox (newest first), acknowledgement, and where each alert went.

An alert belongs to its subscription's scope: an enterprise sees the alerts of its own
subscriptions, the center sees all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ipsentry.api.access import Principal
from ipsentry.api.deps import (
    ERROR_RESPONSES,
    IdPath,
    PositiveId,
    PrincipalDep,
    SessionDep,
    forbidden,
    not_found,
)
from ipsentry.api.routes.deliveries import find_deliveries
from ipsentry.api.schemas import SEVERITIES, AlertOut, AlertPage, DeliveryPage, Severity
from ipsentry.core.models import Alert, Subscription

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"], responses=ERROR_RESPONSES)


def alert_out(alert: Alert, principal: Principal) -> AlertOut:
    out = AlertOut.model_validate(alert, from_attributes=True)
    enterprise = out.payload.get("enterprise")
    # A saved search of one enterprise may select a document for another enterprise's match:
    # the alert is the watcher's, the other enterprise's name and role are not.
    if (
        not principal.is_staff
        and isinstance(enterprise, dict)
        and enterprise.get("id") != principal.enterprise_id
    ):
        out.payload = {**out.payload, "enterprise": None}
    return out


def _visible(principal: Principal) -> ColumnElement[bool]:
    scoped = select(Subscription.id).where(principal.scoped_filter(Subscription.enterprise_id))
    return Alert.subscription_id.in_(scoped)


def find_alerts(
    session: Session,
    principal: Principal,
    *,
    subscription_id: int | None = None,
    unacknowledged: bool = False,
    min_severity: str | None = None,
    risk_kind: str | None = None,
    page: int = 1,
    size: int = 50,
) -> AlertPage:
    conditions = [_visible(principal)]
    if subscription_id is not None:
        conditions.append(Alert.subscription_id == subscription_id)
    if unacknowledged:
        conditions.append(Alert.acknowledged_at.is_(None))
    if min_severity is not None:
        conditions.append(Alert.severity.in_(SEVERITIES[SEVERITIES.index(min_severity) :]))
    if risk_kind is not None:
        conditions.append(Alert.risk_kind == risk_kind)
    total = session.scalar(select(func.count(Alert.id)).where(*conditions)) or 0
    rows = session.scalars(
        select(Alert).where(*conditions).order_by(Alert.created_at.desc(), Alert.id.desc())
        .offset((page - 1) * size).limit(size)
    )  # fmt: skip
    return AlertPage(total=total, items=[alert_out(alert, principal) for alert in rows])


def readable_alert(session: Session, alert_id: int, principal: Principal) -> Alert:
    alert = session.scalar(select(Alert).where(Alert.id == alert_id, _visible(principal)))
    if alert is None:
        raise not_found("alert")
    return alert


def acknowledge(session: Session, alert_id: int, principal: Principal) -> Alert:
    alert = readable_alert(session, alert_id, principal)
    subscription = alert.subscription
    if not principal.can_change_scoped(subscription.enterprise_id, subscription.owner_user_id):
        raise forbidden("only the subscription's owner acknowledges its alerts")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = datetime.now(UTC)
    return alert


@router.get("", response_model=AlertPage)
def list_alerts(
    session: SessionDep,
    principal: PrincipalDep,
    subscription_id: PositiveId | None = None,
    unacknowledged: bool = False,
    min_severity: Severity | None = None,
    risk_kind: Annotated[str | None, Query(max_length=16)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlertPage:
    return find_alerts(
        session,
        principal,
        subscription_id=subscription_id,
        unacknowledged=unacknowledged,
        min_severity=min_severity,
        risk_kind=risk_kind,
        page=page,
        size=size,
    )


@router.get("/{alert_id}", response_model=AlertOut)
def get_alert(alert_id: IdPath, session: SessionDep, principal: PrincipalDep) -> AlertOut:
    return alert_out(readable_alert(session, alert_id, principal), principal)


@router.post("/{alert_id}/ack", response_model=AlertOut)
def acknowledge_alert(alert_id: IdPath, session: SessionDep, principal: PrincipalDep) -> AlertOut:
    return alert_out(acknowledge(session, alert_id, principal), principal)


@router.get("/{alert_id}/deliveries", response_model=DeliveryPage, summary="Where this alert went")
def alert_deliveries(alert_id: IdPath, session: SessionDep, principal: PrincipalDep) -> DeliveryPage:
    readable_alert(session, alert_id, principal)
    return find_deliveries(session, principal, alert_id=alert_id, size=200)
