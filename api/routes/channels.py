"""/api/v1/channels: where alerts go (webhook, e-mail, IM bots).  Secrets are never returned whole."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy import select

from ipsentry.alerting.ssrf import UnsafeTarget, check_target
from ipsentry.api.deps import ContextDep, Principal, PrincipalDep, SessionDep, not_found
from ipsentry.api.schemas import ChannelIn, ChannelOut
from ipsentry.core.models import Channel
from ipsentry.core.security import mask_secret

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])

URL_KINDS = ("webhook", "dingtalk", "wecom", "feishu")


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


def owned_channel(session: SessionDep, channel_id: int, principal: Principal) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None or not (
        principal.is_staff
        or (channel.enterprise_id is not None and channel.enterprise_id == principal.enterprise_id)
    ):
        raise not_found("channel")
    return channel


@router.get("", response_model=list[ChannelOut])
def list_channels(session: SessionDep, principal: PrincipalDep) -> list[ChannelOut]:
    query = select(Channel).order_by(Channel.id)
    if not principal.is_staff:
        query = query.where(Channel.enterprise_id == principal.enterprise_id)
    return [channel_out(channel) for channel in session.scalars(query)]


@router.post("", response_model=ChannelOut, status_code=status.HTTP_201_CREATED)
def create_channel(
    body: ChannelIn, session: SessionDep, context: ContextDep, principal: PrincipalDep
) -> ChannelOut:
    enterprise_id = body.enterprise_id if principal.is_staff else principal.enterprise_id
    if body.kind in URL_KINDS:
        try:
            check_target(body.target, context.settings.webhook_allowlist)
        except UnsafeTarget as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"target refused: {error}") from error
    elif body.kind == "email" and "@" not in body.target:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "an e-mail channel needs an address")
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
    return channel_out(channel)


@router.get("/{channel_id}", response_model=ChannelOut)
def get_channel(channel_id: int, session: SessionDep, principal: PrincipalDep) -> ChannelOut:
    return channel_out(owned_channel(session, channel_id, principal))


@router.delete("/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_channel(channel_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    session.delete(owned_channel(session, channel_id, principal))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
