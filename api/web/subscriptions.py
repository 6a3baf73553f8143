"""Console: subscriptions — list, create (with a hit preview first), pause, delete, the secret
feed URL — and each subscription's page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ipsentry.api.access import Principal
from ipsentry.api.deps import ContextDep, IdPath, SessionDep
from ipsentry.api.preview import preview
from ipsentry.api.routes.alerts import find_alerts
from ipsentry.api.routes.channels import list_visible as visible_channels
from ipsentry.api.routes.subscriptions import (
    changeable_subscription,
    checked_query,
    create_subscription,
    issue_feed_token,
    list_visible,
    readable_subscription,
    subscription_out,
    subscription_preview,
    update_subscription,
)
from ipsentry.api.schemas import FeedTokenOut, HitPreview, SubscriptionIn, SubscriptionUpdate
from ipsentry.api.web.charts import bar_chart
from ipsentry.api.web.deps import WebUser, redirect, render
from ipsentry.core.models import Enterprise
from ipsentry.service.context import AppContext

router = APIRouter(include_in_schema=False)

KINDS_FOR_ENTERPRISES = ("enterprise", "search", "keyword", "brand", "firm")
KINDS_FOR_STAFF = ("enterprise", "search", "region", "industry", "keyword", "brand", "firm")


def _problem(error: ValidationError | HTTPException) -> str:
    if isinstance(error, HTTPException):
        return str(error.detail)
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())


def _list_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    form: dict[str, object] | None = None,
    error: str | None = None,
    hit_preview: HitPreview | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    enterprises = [
        e
        for e in session.scalars(select(Enterprise).order_by(Enterprise.id))
        if principal.can_see_enterprise(e.id)
    ]
    return render(
        request,
        "subscriptions.html",
        principal,
        status_code=status_code,
        nav="subscriptions",
        subscriptions=[subscription_out(session, s) for s in list_visible(session, principal)],
        channels=visible_channels(session, principal),
        enterprises=enterprises,
        enterprise_names={e.id: e.display_name for e in enterprises},
        kinds=KINDS_FOR_STAFF if principal.is_staff else KINDS_FOR_ENTERPRISES,
        form=form or {},
        error=error,
        preview=hit_preview,
        preview_chart=_weeks_chart(hit_preview) if hit_preview else None,
    )


def _weeks_chart(hits: HitPreview) -> object:
    return bar_chart([(week.first_day.isoformat(), week.count) for week in hits.weeks], css="bar")


@router.get("/subscriptions", response_class=HTMLResponse)
def subscriptions(request: Request, session: SessionDep, principal: WebUser) -> HTMLResponse:
    return _list_page(request, session, principal)


@router.post("/subscriptions", response_class=HTMLResponse)
def create(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    principal: WebUser,
    kind: Annotated[str, Form(max_length=16)],
    name: Annotated[str, Form(max_length=200)] = "",
    query: Annotated[str, Form(max_length=2000)] = "",
    enterprise_id: Annotated[str, Form(max_length=12)] = "",
    min_severity: Annotated[str, Form(max_length=16)] = "low",
    rate: Annotated[str, Form(max_length=16)] = "immediate",
    channel_ids: Annotated[list[int], Form()] = [],  # noqa: B006 - FastAPI reads list defaults per request
    action: Annotated[str, Form(max_length=16)] = "create",
) -> Response:
    form = {
        "kind": kind, "name": name, "query": query, "enterprise_id": enterprise_id,
        "min_severity": min_severity, "rate": rate, "channel_ids": channel_ids,
    }  # fmt: skip
    try:
        body = SubscriptionIn(
            kind=kind,  # type: ignore[arg-type]
            name=name,
            query=query or None,
            enterprise_id=int(enterprise_id) if enterprise_id.strip().isdigit() else None,
            min_severity=min_severity,  # type: ignore[arg-type]
            rate=rate,  # type: ignore[arg-type]
            channel_ids=channel_ids,
        )
        if action == "preview":
            _enterprise, text = checked_query(session, context, principal, body)
            return _list_page(
                request,
                session,
                principal,
                form=form,
                hit_preview=preview(context.index, text, context.settings.timezone),
            )
        create_subscription(session, context, principal, body)
    except (ValidationError, HTTPException) as error:
        return _list_page(request, session, principal, form=form, error=_problem(error), status_code=422)
    return redirect("/subscriptions", notice="subscription_created")


def _detail_page(
    request: Request,
    session: Session,
    context: AppContext,
    principal: Principal,
    subscription_id: int,
    feed: FeedTokenOut | None = None,
) -> HTMLResponse:
    subscription = readable_subscription(session, subscription_id, principal)
    hits = subscription_preview(session, context, subscription)
    return render(
        request,
        "subscription.html",
        principal,
        nav="subscriptions",
        subscription=subscription_out(session, subscription),
        channels={c.id: c for c in visible_channels(session, principal)},
        preview=hits,
        preview_chart=_weeks_chart(hits),
        alerts=find_alerts(session, principal, subscription_id=subscription.id, size=20),
        feed=feed,
        can_change=principal.can_change_scoped(subscription.enterprise_id, subscription.owner_user_id),
    )


@router.get("/subscriptions/{subscription_id}", response_class=HTMLResponse)
def subscription(
    request: Request, subscription_id: IdPath, session: SessionDep, context: ContextDep, principal: WebUser
) -> HTMLResponse:
    return _detail_page(request, session, context, principal, subscription_id)


@router.post("/subscriptions/{subscription_id}/feed", response_class=HTMLResponse)
def feed(
    request: Request, subscription_id: IdPath, session: SessionDep, context: ContextDep, principal: WebUser
) -> HTMLResponse:
    # Rendered, not redirected: the secret URL must not end up in a Location header or history.
    issued = issue_feed_token(session, context, changeable_subscription(session, subscription_id, principal))
    return _detail_page(request, session, context, principal, subscription_id, feed=issued)


@router.post("/subscriptions/{subscription_id}/active")
def set_active(
    subscription_id: IdPath,
    session: SessionDep,
    principal: WebUser,
    active: Annotated[bool, Form()] = False,
) -> Response:
    subscription = changeable_subscription(session, subscription_id, principal)
    update_subscription(session, principal, subscription, SubscriptionUpdate(active=active))
    return redirect("/subscriptions", notice="saved")


@router.post("/subscriptions/{subscription_id}/delete")
def delete(subscription_id: IdPath, session: SessionDep, principal: WebUser) -> Response:
    session.delete(changeable_subscription(session, subscription_id, principal))
    return redirect("/subscriptions", notice="deleted")
