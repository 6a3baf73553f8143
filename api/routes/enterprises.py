"""/api/v1/enterprises: the registry (staff manage it; an enterprise reads its own entry)."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, HTTPException, Response, status
from sqlalchemy import select

from ipsentry.api.deps import AdminDep, ContextDep, PrincipalDep, SessionDep, StaffDep, not_found
from ipsentry.api.schemas import EnterpriseIn, EnterpriseOut
from ipsentry.core.models import Enterprise
from ipsentry.core.registry import EnterpriseRecord
from ipsentry.core.registry_store import upsert_records
from ipsentry.service.retro import retro_match

router = APIRouter(prefix="/api/v1/enterprises", tags=["enterprises"])


@router.get("", response_model=list[EnterpriseOut])
def list_enterprises(session: SessionDep, principal: PrincipalDep) -> list[Enterprise]:
    query = select(Enterprise).order_by(Enterprise.id)
    if not principal.is_staff:
        query = query.where(Enterprise.id == principal.enterprise_id)
    return list(session.scalars(query))


@router.post("", response_model=EnterpriseOut, status_code=status.HTTP_201_CREATED)
def create_enterprise(
    body: EnterpriseIn, session: SessionDep, context: ContextDep, _: StaffDep, tasks: BackgroundTasks
) -> Enterprise:
    if session.scalar(select(Enterprise).where(Enterprise.external_id == body.external_id)):
        raise HTTPException(status.HTTP_409_CONFLICT, f"external_id {body.external_id!r} exists already")
    created, _updated = upsert_records(session, [EnterpriseRecord(**body.model_dump())])
    enterprise = session.get(Enterprise, created[0])
    # A newly registered enterprise sees its existing risks at once (after this commit).
    tasks.add_task(retro_match, context, created)
    return enterprise


@router.get("/{enterprise_id}", response_model=EnterpriseOut)
def get_enterprise(enterprise_id: int, session: SessionDep, principal: PrincipalDep) -> Enterprise:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or not principal.can_see_enterprise(enterprise_id):
        raise not_found("enterprise")
    return enterprise


@router.put("/{enterprise_id}", response_model=EnterpriseOut)
def update_enterprise(
    enterprise_id: int,
    body: EnterpriseIn,
    session: SessionDep,
    context: ContextDep,
    _: StaffDep,
    tasks: BackgroundTasks,
) -> Enterprise:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise not_found("enterprise")
    if body.external_id != enterprise.external_id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "external_id cannot change")
    upsert_records(session, [EnterpriseRecord(**body.model_dump())])
    tasks.add_task(retro_match, context, [enterprise_id])
    return enterprise


@router.delete("/{enterprise_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_enterprise(enterprise_id: int, session: SessionDep, _: AdminDep) -> Response:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise not_found("enterprise")
    session.delete(enterprise)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
