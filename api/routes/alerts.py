"""/api/v1/alerts: the inbox (newest first) and acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from ipsentry.api.deps import PrincipalDep, SessionDep, not_found
from ipsentry.api.schemas import AlertOut, AlertPage
from ipsentry.core.models import Alert, Subscription

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


def alert_out(alert: Alert) -> AlertOut:
    return AlertOut.model_validate(alert, from_attributes=True)


def _visible_to(principal: PrincipalDep):  # type: ignore[no-untyped-def]
    if principal.is_staff:
        return True
    return (Alert.enterprise_id == principal.enterprise_id) | Alert.subscription_id.in_(
        select(Subscription.id).where(Subscription.owner_user_id == principal.user_id)
    )


@router.get("", response_model=AlertPage)
def list_alerts(
    session: SessionDep,
    principal: PrincipalDep,
    subscription_id: int | None = None,
    unacknowledged: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlertPage:
    conditions = [_visible_to(principal)]
    if subscription_id is not None:
        conditions.append(Alert.subscription_id == subscription_id)
    if unacknowledged:
        conditions.append(Alert.acknowledged_at.is_(None))
    total = session.scalar(select(func.count(Alert.id)).where(*conditions)) or 0
    rows = session.scalars(
        select(Alert).where(*conditions).order_by(Alert.created_at.desc(), Alert.id.desc())
        .offset((page - 1) * size).limit(size)
    )  # fmt: skip
    return AlertPage(total=total, items=[alert_out(alert) for alert in rows])


@router.get("/{alert_id}", response_model=AlertOut)
def get_alert(alert_id: int, session: SessionDep, principal: PrincipalDep) -> AlertOut:
    alert = session.scalar(select(Alert).where(Alert.id == alert_id, _visible_to(principal)))
    if alert is None:
        raise not_found("alert")
    return alert_out(alert)


@router.post("/{alert_id}/ack", response_model=AlertOut)
def acknowledge_alert(alert_id: int, session: SessionDep, principal: PrincipalDep) -> AlertOut:
    alert = session.scalar(select(Alert).where(Alert.id == alert_id, _visible_to(principal)))
    if alert is None:
        raise not_found("alert")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = datetime.now(UTC)
    return alert_out(alert)
