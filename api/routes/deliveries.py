"""/api/v1/deliveries: the outbox as its owners see it — every message to every channel, with
the log of each attempt (status code, answer excerpt, error, duration)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipsentry.api.access import Principal
from ipsentry.api.deps import ERROR_RESPONSES, IdPath, PositiveId, PrincipalDep, SessionDep, not_found
from ipsentry.api.schemas import DeliveryAttemptOut, DeliveryOut, DeliveryPage
from ipsentry.core.models import Channel, Delivery, DeliveryAttempt

router = APIRouter(prefix="/api/v1/deliveries", tags=["deliveries"], responses=ERROR_RESPONSES)


def delivery_out(session: Session, delivery: Delivery) -> DeliveryOut:
    attempts = session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id).order_by(DeliveryAttempt.id)
    )
    return DeliveryOut(
        id=delivery.id,
        alert_id=delivery.alert_id,
        digest_id=delivery.digest_id,
        channel_id=delivery.channel_id,
        channel_name=delivery.channel.name,
        channel_kind=delivery.channel.kind,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
        attempt_log=[DeliveryAttemptOut.model_validate(attempt) for attempt in attempts],
    )


def find_deliveries(
    session: Session,
    principal: Principal,
    *,
    alert_id: int | None = None,
    channel_id: int | None = None,
    delivery_status: str | None = None,
    page: int = 1,
    size: int = 50,
) -> DeliveryPage:
    """Deliveries to the channels the caller may read, newest first."""
    conditions = [principal.scoped_filter(Channel.enterprise_id)]
    if alert_id is not None:
        conditions.append(Delivery.alert_id == alert_id)
    if channel_id is not None:
        conditions.append(Delivery.channel_id == channel_id)
    if delivery_status is not None:
        conditions.append(Delivery.status == delivery_status)
    joined = select(Delivery).join(Channel, Channel.id == Delivery.channel_id).where(*conditions)
    total = session.scalar(select(func.count()).select_from(joined.subquery())) or 0
    rows = session.scalars(
        joined.order_by(Delivery.created_at.desc(), Delivery.id.desc()).offset((page - 1) * size).limit(size)
    )
    return DeliveryPage(total=total, items=[delivery_out(session, row) for row in rows])


@router.get("", response_model=DeliveryPage, summary="Deliveries and their attempt log, newest first")
def list_deliveries(
    session: SessionDep,
    principal: PrincipalDep,
    alert_id: PositiveId | None = None,
    channel_id: PositiveId | None = None,
    status: Literal["pending", "sending", "delivered", "failed", "cancelled"] | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryPage:
    return find_deliveries(
        session,
        principal,
        alert_id=alert_id,
        channel_id=channel_id,
        delivery_status=status,
        page=page,
        size=size,
    )


@router.get("/{delivery_id}", response_model=DeliveryOut)
def get_delivery(delivery_id: IdPath, session: SessionDep, principal: PrincipalDep) -> DeliveryOut:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or not principal.can_read_scoped(delivery.channel.enterprise_id):
        raise not_found("delivery")
    return delivery_out(session, delivery)
