"""/api/v1/subscriptions: who is told about what, how often and where; the hit preview; the
secret RSS/Atom feed URL."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ipsentry.alerting.preview import MAX_WEEKS
from ipsentry.api.access import Principal
from ipsentry.api.deps import (
    ERROR_RESPONSES,
    ContextDep,
    IdPath,
    PrincipalDep,
    SessionDep,
    forbidden,
    not_found,
    unprocessable,
)
from ipsentry.api.preview import WEEKS, preview, subscription_query
from ipsentry.api.routes.channels import changeable_channel
from ipsentry.api.routes.documents import check_enterprise_filters
from ipsentry.api.schemas import (
    FeedTokenOut,
    HitPreview,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionUpdate,
)
from ipsentry.api.tokens import new_token, token_hash
from ipsentry.core.models import Enterprise, FeedToken, Subscription
from ipsentry.search.index import QueryError, SearchRequest
from ipsentry.service.context import AppContext

router = APIRouter(prefix="/api/v1/subscriptions", tags=["subscriptions"], responses=ERROR_RESPONSES)

FEED_TOKEN_PREFIX = "feed_"
WeeksQuery = Annotated[
    int, Query(ge=1, le=MAX_WEEKS, description="how many weeks back, the last ending today")
]


def subscription_out(session: Session, subscription: Subscription) -> SubscriptionOut:
    has_feed = session.scalar(select(FeedToken.id).where(FeedToken.subscription_id == subscription.id))
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
        has_feed=has_feed is not None,
    )


def readable_subscription(session: Session, subscription_id: int, principal: Principal) -> Subscription:
    subscription = session.get(Subscription, subscription_id)
    if subscription is None or not principal.can_read_scoped(subscription.enterprise_id):
        raise not_found("subscription")
    return subscription


def changeable_subscription(session: Session, subscription_id: int, principal: Principal) -> Subscription:
    subscription = readable_subscription(session, subscription_id, principal)
    if not principal.can_change_scoped(subscription.enterprise_id, subscription.owner_user_id):
        raise forbidden("this subscription belongs to an enterprise or another analyst")
    return subscription


def list_visible(session: Session, principal: Principal) -> list[Subscription]:
    query = select(Subscription).where(principal.scoped_filter(Subscription.enterprise_id))
    return list(session.scalars(query.order_by(Subscription.id)))


def checked_query(
    session: Session, context: AppContext, principal: Principal, body: SubscriptionIn
) -> tuple[int | None, str]:
    """The subscription's enterprise (an enterprise's own, whatever it asked) and its query
    text; refuses what the caller may not watch and what does not parse."""
    enterprise_id = body.enterprise_id
    if not principal.is_staff:
        if body.kind in ("region", "industry"):
            raise forbidden("region and industry watches are for the guidance center")
        if enterprise_id not in (None, principal.enterprise_id):
            raise not_found("enterprise")
        enterprise_id = principal.enterprise_id
    if enterprise_id is not None and session.get(Enterprise, enterprise_id) is None:
        raise unprocessable(f"no enterprise {enterprise_id}")
    if body.kind == "enterprise":
        if enterprise_id is None:
            raise unprocessable("an enterprise watch needs an enterprise_id")
    elif not (body.query and body.query.strip()):
        raise unprocessable(f"a {body.kind} subscription needs a query")
    query = subscription_query(session, body.kind, body.query, enterprise_id)
    try:  # a saved search is exactly a stored query: refuse one that does not parse
        request = SearchRequest(query=query, limit=0, highlight=False)
        context.index.search(request)
    except QueryError as error:
        raise unprocessable(f"query: {error}") from error
    if body.kind == "search":
        try:
            check_enterprise_filters(request, principal)
        except HTTPException as error:
            raise unprocessable("query: an enterprise may only watch itself (enterprise:<own id>)") from error
    return enterprise_id, query


def create_subscription(
    session: Session, context: AppContext, principal: Principal, body: SubscriptionIn
) -> Subscription:
    enterprise_id, _query = checked_query(session, context, principal, body)
    channels = [
        changeable_channel(session, channel_id, principal) for channel_id in dict.fromkeys(body.channel_ids)
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
    return subscription


def update_subscription(
    session: Session, principal: Principal, subscription: Subscription, body: SubscriptionUpdate
) -> Subscription:
    for name in ("name", "min_severity", "rate", "active"):
        value = getattr(body, name)
        if value is not None:
            setattr(subscription, name, value)
    if body.channel_ids is not None:
        subscription.channels = [
            changeable_channel(session, channel_id, principal)
            for channel_id in dict.fromkeys(body.channel_ids)
        ]
    session.flush()
    return subscription


def subscription_preview(
    session: Session, context: AppContext, subscription: Subscription, *, weeks: int = WEEKS
) -> HitPreview:
    query = subscription_query(session, subscription.kind, subscription.query, subscription.enterprise_id)
    try:
        return preview(context.index, query, context.settings.timezone, weeks=weeks)
    except QueryError as error:
        raise unprocessable(f"query: {error}") from error


def issue_feed_token(session: Session, context: AppContext, subscription: Subscription) -> FeedTokenOut:
    """A new secret feed URL; the old one (if any) stops working."""
    session.execute(delete(FeedToken).where(FeedToken.subscription_id == subscription.id))
    token = new_token(FEED_TOKEN_PREFIX)
    row = FeedToken(subscription_id=subscription.id, token_hash=token_hash(token))
    session.add(row)
    session.flush()
    base = context.settings.public_url.rstrip("/")
    return FeedTokenOut(
        subscription_id=subscription.id,
        atom_url=f"{base}/api/v1/feeds/{token}.atom",
        rss_url=f"{base}/api/v1/feeds/{token}.rss",
        created_at=row.created_at,
    )


@router.get("", response_model=list[SubscriptionOut])
def list_subscriptions(session: SessionDep, principal: PrincipalDep) -> list[SubscriptionOut]:
    return [subscription_out(session, subscription) for subscription in list_visible(session, principal)]


@router.post("", response_model=SubscriptionOut, status_code=status.HTTP_201_CREATED)
def post_subscription(
    body: SubscriptionIn, session: SessionDep, context: ContextDep, principal: PrincipalDep
) -> SubscriptionOut:
    return subscription_out(session, create_subscription(session, context, principal, body))


@router.post("/preview", response_model=HitPreview, summary="Hit preview of a subscription not yet saved")
def preview_new(
    body: SubscriptionIn,
    session: SessionDep,
    context: ContextDep,
    principal: PrincipalDep,
    weeks: WeeksQuery = WEEKS,
) -> HitPreview:
    _enterprise_id, query = checked_query(session, context, principal, body)
    return preview(context.index, query, context.settings.timezone, weeks=weeks)


@router.get("/{subscription_id}", response_model=SubscriptionOut)
def get_subscription(
    subscription_id: IdPath, session: SessionDep, principal: PrincipalDep
) -> SubscriptionOut:
    return subscription_out(session, readable_subscription(session, subscription_id, principal))


@router.patch("/{subscription_id}", response_model=SubscriptionOut)
def patch_subscription(
    subscription_id: IdPath, body: SubscriptionUpdate, session: SessionDep, principal: PrincipalDep
) -> SubscriptionOut:
    subscription = changeable_subscription(session, subscription_id, principal)
    return subscription_out(session, update_subscription(session, principal, subscription, body))


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscription(subscription_id: IdPath, session: SessionDep, principal: PrincipalDep) -> Response:
    session.delete(changeable_subscription(session, subscription_id, principal))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{subscription_id}/preview", response_model=HitPreview, summary="How often this subscription fires"
)
def get_preview(
    subscription_id: IdPath,
    session: SessionDep,
    context: ContextDep,
    principal: PrincipalDep,
    weeks: WeeksQuery = WEEKS,
) -> HitPreview:
    subscription = readable_subscription(session, subscription_id, principal)
    return subscription_preview(session, context, subscription, weeks=weeks)


@router.post(
    "/{subscription_id}/feed",
    response_model=FeedTokenOut,
    status_code=status.HTTP_201_CREATED,
    summary="Issue the secret RSS/Atom feed URL (shown once; replaces the previous one)",
)
def post_feed_token(
    subscription_id: IdPath, session: SessionDep, context: ContextDep, principal: PrincipalDep
) -> FeedTokenOut:
    return issue_feed_token(session, context, changeable_subscription(session, subscription_id, principal))


@router.delete(
    "/{subscription_id}/feed", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke the feed URL"
)
def delete_feed_token(subscription_id: IdPath, session: SessionDep, principal: PrincipalDep) -> Response:
    subscription = changeable_subscription(session, subscription_id, principal)
    session.execute(delete(FeedToken).where(FeedToken.subscription_id == subscription.id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
