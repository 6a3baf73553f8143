"""/api/v1/channels: where alerts go (webhook, e-mail, IM bots), and a test message.  Secrets
are never returned whole."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from ipsentry.alerting.channel_health import reenable_channel
from ipsentry.alerting.channels.registry import UnknownChannelKind
from ipsentry.alerting.ssrf import UnsafeTarget, check_target
from ipsentry.alerting.test_send import test_send
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
from ipsentry.api.schemas import ChannelIn, ChannelOut, ChannelTestResult, ChannelUpdate
from ipsentry.config.settings import Settings
from ipsentry.core.models import Channel, Enterprise
from ipsentry.core.security import mask_secret

router = APIRouter(prefix="/api/v1/channels", tags=["channels"], responses=ERROR_RESPONSES)

URL_KINDS = ("webhook", "dingtalk", "wecom", "feishu")
# Alerts a re-enabled channel missed are re-sent if younger than this.
REPLAY_MAX_AGE = timedelta(days=2)


def channel_out(channel: Channel) -> ChannelOut:
    return ChannelOut(
        id=channel.id,
        kind=channel.kind,
        name=channel.name,
        target=channel.target,
        secret=mask_secret(channel.secret),
        language=channel.language,
        enabled=channel.enabled,
        disabled_reason=channel.disabled_reason,
        enterprise_id=channel.enterprise_id,
        created_at=channel.created_at,
    )


def readable_channel(session: Session, channel_id: int, principal: Principal) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None or not principal.can_read_scoped(channel.enterprise_id):
        raise not_found("channel")
    return channel


def changeable_channel(session: Session, channel_id: int, principal: Principal) -> Channel:
    channel = readable_channel(session, channel_id, principal)
    if not principal.can_change_scoped(channel.enterprise_id, channel.owner_user_id):
        raise forbidden("this channel belongs to an enterprise or another analyst")
    return channel


def check_channel_target(kind: str, target: str, settings: Settings) -> None:
    if kind in URL_KINDS:
        try:
            check_target(target, settings.webhook_allowlist)
        except UnsafeTarget as error:
            raise unprocessable(f"target refused: {error}") from error
    elif kind == "email" and "@" not in target:
        raise unprocessable("an e-mail channel needs an address")


def list_visible(session: Session, principal: Principal) -> list[Channel]:
    query = select(Channel).where(principal.scoped_filter(Channel.enterprise_id)).order_by(Channel.id)
    return list(session.scalars(query))


def create_channel(session: Session, settings: Settings, principal: Principal, body: ChannelIn) -> Channel:
    enterprise_id = body.enterprise_id if principal.is_staff else principal.enterprise_id
    if enterprise_id is not None and session.get(Enterprise, enterprise_id) is None:
        raise unprocessable(f"no enterprise {enterprise_id}")
    check_channel_target(body.kind, body.target, settings)
    channel = Channel(
        owner_user_id=principal.user_id,
        enterprise_id=enterprise_id,
        kind=body.kind,
        name=body.name,
        target=body.target,
        secret=body.secret,
        language=body.language,
    )
    session.add(channel)
    session.flush()
    return channel


def update_channel(session: Session, settings: Settings, channel: Channel, body: ChannelUpdate) -> Channel:
    if body.target is not None:
        check_channel_target(channel.kind, body.target, settings)
        channel.target = body.target
    for name in ("name", "secret", "language"):
        value = getattr(body, name)
        if value is not None:
            setattr(channel, name, value)
    if body.enabled is True and not channel.enabled:
        reenable_channel(session, channel.id, replay_max_age=REPLAY_MAX_AGE)
    elif body.enabled is False and channel.enabled:
        channel.enabled = False
        channel.disabled_reason = "disabled by its owner"
    session.flush()
    return channel


def send_test(channel: Channel, settings: Settings) -> ChannelTestResult:
    """A sample alert, marked as a test, through the channel's real code."""
    try:
        outcome, curl = test_send(channel, settings)
    except UnknownChannelKind as error:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, str(error)) from error
    return ChannelTestResult(
        ok=outcome.ok,
        status_code=outcome.status_code,
        error=outcome.error,
        response_excerpt=outcome.response_excerpt,
        curl=curl,
    )


@router.get("", response_model=list[ChannelOut])
def list_channels(session: SessionDep, principal: PrincipalDep) -> list[ChannelOut]:
    return [channel_out(channel) for channel in list_visible(session, principal)]


@router.post("", response_model=ChannelOut, status_code=status.HTTP_201_CREATED)
def post_channel(
    body: ChannelIn, session: SessionDep, context: ContextDep, principal: PrincipalDep
) -> ChannelOut:
    return channel_out(create_channel(session, context.settings, principal, body))


@router.get("/{channel_id}", response_model=ChannelOut)
def get_channel(channel_id: IdPath, session: SessionDep, principal: PrincipalDep) -> ChannelOut:
    return channel_out(readable_channel(session, channel_id, principal))


@router.patch("/{channel_id}", response_model=ChannelOut)
def patch_channel(
    channel_id: IdPath, body: ChannelUpdate, session: SessionDep, context: ContextDep, principal: PrincipalDep
) -> ChannelOut:
    channel = changeable_channel(session, channel_id, principal)
    return channel_out(update_channel(session, context.settings, channel, body))


@router.delete("/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_channel(channel_id: IdPath, session: SessionDep, principal: PrincipalDep) -> Response:
    session.delete(changeable_channel(session, channel_id, principal))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{channel_id}/test",
    response_model=ChannelTestResult,
    summary="Send a test message through the channel",
    responses={501: {"description": "this version cannot send to channels of this kind"}},
)
def test_channel(
    channel_id: IdPath, session: SessionDep, context: ContextDep, principal: PrincipalDep
) -> ChannelTestResult:
    return send_test(changeable_channel(session, channel_id, principal), context.settings)
