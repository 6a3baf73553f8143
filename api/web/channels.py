"""Console: notification channels — list, add, test, switch on/off, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ipsentry.api.access import Principal
from ipsentry.api.deps import ContextDep, IdPath, SessionDep
from ipsentry.api.routes.channels import (
    changeable_channel,
    channel_out,
    create_channel,
    list_visible,
    send_test,
    update_channel,
)
from ipsentry.api.routes.deliveries import find_deliveries
from ipsentry.api.schemas import ChannelIn, ChannelTestResult, ChannelUpdate
from ipsentry.api.web.deps import WebUser, redirect, render

router = APIRouter(include_in_schema=False)

KINDS = ("webhook", "email", "dingtalk", "wecom", "feishu", "console")


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    tested: tuple[int, ChannelTestResult | None, str | None] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "channels.html",
        principal,
        status_code=status_code,
        nav="channels",
        channels=[channel_out(channel) for channel in list_visible(session, principal)],
        deliveries=find_deliveries(session, principal, size=20),
        kinds=KINDS,
        form=form or {},
        error=error,
        tested=tested,
    )


@router.get("/channels", response_class=HTMLResponse)
def channels(request: Request, session: SessionDep, principal: WebUser) -> HTMLResponse:
    return _page(request, session, principal)


@router.post("/channels", response_class=HTMLResponse)
def create(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    principal: WebUser,
    kind: Annotated[str, Form(max_length=16)],
    target: Annotated[str, Form(max_length=2000)],
    name: Annotated[str, Form(max_length=128)] = "",
    secret: Annotated[str, Form(max_length=256)] = "",
    language: Annotated[str, Form(max_length=8)] = "zh-CN",
) -> Response:
    form = {"kind": kind, "target": target, "name": name, "language": language}
    try:
        body = ChannelIn(
            kind=kind,  # type: ignore[arg-type]
            target=target,
            name=name,
            secret=secret or None,
            language=language,  # type: ignore[arg-type]
        )
        create_channel(session, context.settings, principal, body)
    except ValidationError as error:
        reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return _page(request, session, principal, form=form, error=reason, status_code=422)
    except HTTPException as error:
        return _page(request, session, principal, form=form, error=str(error.detail), status_code=422)
    return redirect("/channels", notice="channel_created")


@router.post("/channels/{channel_id}/test", response_class=HTMLResponse)
def test(
    request: Request, channel_id: IdPath, session: SessionDep, context: ContextDep, principal: WebUser
) -> HTMLResponse:
    channel = changeable_channel(session, channel_id, principal)
    try:
        result, problem = send_test(channel, context.settings), None
    except HTTPException as error:  # 501 when this version cannot send test messages
        result, problem = None, str(error.detail)
    return _page(request, session, principal, tested=(channel_id, result, problem))


@router.post("/channels/{channel_id}/enabled")
def set_enabled(
    channel_id: IdPath,
    session: SessionDep,
    context: ContextDep,
    principal: WebUser,
    enabled: Annotated[bool, Form()] = False,
) -> Response:
    channel = changeable_channel(session, channel_id, principal)
    update_channel(session, context.settings, channel, ChannelUpdate(enabled=enabled))
    return redirect("/channels", notice="saved")


@router.post("/channels/{channel_id}/delete")
def delete(channel_id: IdPath, session: SessionDep, principal: WebUser) -> Response:
    session.delete(changeable_channel(session, channel_id, principal))
    return redirect("/channels", notice="deleted")
