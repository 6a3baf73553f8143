"""/api/v1/subscriptions: who is told about what, how often and where."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy import select

from ipsentry.api.deps import ContextDep, Principal, PrincipalDep, SessionDep, not_found
from ipsentry.api.routes.channels import owned_channel
from ipsentry.api.schemas import SubscriptionIn, SubscriptionOut
from ipsentry.core.models import Enterprise, Subscription
from ipsentry.search.index import QueryError, SearchRequest

router = APIRouter(prefix="/api/v1/subscriptions", tags=["subscriptions"])


def subscription_out(subscription: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=subscription.id,
        kind=subscription.kind,
        name=subscription.name,
        enterprise_id=subscription.enterprise_id,
        query=subscription.query,
        min_severity=subscription.min_severity,
        rate=subscription.rate,
        active=subscription.active,
        channel_ids=[channel.id for channel in subscription.channels],
        created_at=subscription.created_at,
    )


def owned_subscription(session: SessionDep, subscription_id: int, principal: Principal) -> Subscription:
    subscription = session.get(Subscription, subscription_id)
    if subscription is None:
        raise not_found("subscription")
    mine = subscription.owner_user_id == principal.user_id or (
        subscription.enterprise_id is not None and subscription.enterprise_id == principal.enterprise_id
    )
    if not (principal.is_staff or mine):
        raise not_found("subscription")
    return subscription


@router.get("", response_model=list[SubscriptionOut])
def list_subscriptions(session: SessionDep, principal: PrincipalDep) -> list[SubscriptionOut]:
    query = select(Subscription).order_by(Subscription.id)
    if not principal.is_staff:
        query = query.where(
            (Subscription.enterprise_id == principal.enterprise_id)
            | (Subscription.owner_user_id == principal.user_id)
        )
    return [subscription_out(subscription) for subscription in session.scalars(query)]


@router.post("", response_model=SubscriptionOut, status_code=status.HTTP_201_CREATED)
def create_subscription(
    body: SubscriptionIn, session: SessionDep, context: ContextDep, principal: PrincipalDep
) -> SubscriptionOut:
    enterprise_id = body.enterprise_id
    if not principal.is_staff:
        if body.kind in ("region", "industry"):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "region and industry watches are for staff")
        if enterprise_id not in (None, principal.enterprise_id):
            raise not_found("enterprise")
        enterprise_id = principal.enterprise_id
    if body.kind == "enterprise":
        if enterprise_id is None or session.get(Enterprise, enterprise_id) is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "an enterprise watch needs an enterprise_id"
            )
    elif not (body.query and body.query.strip()):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"a {body.kind} subscription needs a query"
        )
    if body.kind == "search":
        try:  # a saved search is exactly a stored query: refuse one that does not parse
            context.index.search(SearchRequest(query=body.query or "", limit=1, highlight=False))
        except QueryError as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"query: {error}") from error
    channels = [
        owned_channel(session, channel_id, principal) for channel_id in dict.fromkeys(body.channel_ids)
    ]
    subscription = Subscription(
        owner_user_id=principal.user_id,
        enterprise_id=enterprise_id,
        name=body.name,
        kind=body.kind,
        query=body.query,
        min_severity=body.min_severity,
        rate=body.rate,
        channels=channels,
    )
    session.add(subscription)
    session.flush()
    return subscription_out(subscription)


@router.get("/{subscription_id}", response_model=SubscriptionOut)
def get_subscription(subscription_id: int, session: SessionDep, principal: PrincipalDep) -> SubscriptionOut:
    return subscription_out(owned_subscription(session, subscription_id, principal))


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscription(subscription_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    session.delete(owned_subscription(session, subscription_id, principal))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
