"""/api/v1/enterprises: the registry (staff manage it; an enterprise reads its own entry) and
each enterprise's risk summary."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, Response, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipsentry.api.access import Principal
from ipsentry.api.deps import (
    ERROR_RESPONSES,
    AdminDep,
    ContextDep,
    IdPath,
    PrincipalDep,
    SessionDep,
    StaffDep,
    not_found,
)
from ipsentry.api.schemas import EnterpriseIn, EnterpriseOut, EnterpriseRisk, RiskItem
from ipsentry.core.documents import Severity
from ipsentry.core.models import CaseEvent, DocumentMatch, Enterprise
from ipsentry.core.registry import EnterpriseRecord
from ipsentry.core.registry_store import upsert_records
from ipsentry.search.index import DocumentIndex
from ipsentry.service.retro import retro_match

router = APIRouter(prefix="/api/v1/enterprises", tags=["enterprises"], responses=ERROR_RESPONSES)

LATEST = 20


def _rank(severity: str) -> int:
    try:
        return Severity(severity).rank
    except ValueError:
        return -1


def visible_enterprise(session: Session, principal: Principal, enterprise_id: int) -> Enterprise:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or not principal.can_see_enterprise(enterprise_id):
        raise not_found("enterprise")
    return enterprise


def enterprise_risk(
    session: Session, index: DocumentIndex, enterprise: Enterprise, *, latest: int = LATEST
) -> EnterpriseRisk:
    """Counts per document (not per match): a document naming the enterprise twice, say as
    respondent and in the text, counts once, under its most severe match."""
    rows = session.scalars(select(DocumentMatch).where(DocumentMatch.enterprise_id == enterprise.id)).all()
    strongest: dict[str, DocumentMatch] = {}
    for row in rows:
        kept = strongest.get(row.document_id)
        if kept is None or (_rank(row.severity), row.score) > (_rank(kept.severity), kept.score):
            strongest[row.document_id] = row
    cases = dict(
        session.execute(
            select(CaseEvent.document_id, func.min(CaseEvent.case_id))
            .where(CaseEvent.document_id.in_(list(strongest)))
            .group_by(CaseEvent.document_id)
        ).all()
    )
    newest = sorted(
        strongest.values(), key=lambda row: (row.published is not None, row.published, row.id), reverse=True
    )
    titles = {
        document.id: document.title
        for document in index.get_many([row.document_id for row in newest[:latest]])
    }
    by_severity = Counter(row.severity for row in strongest.values())
    return EnterpriseRisk(
        enterprise_id=enterprise.id,
        name=enterprise.display_name,
        documents=len(strongest),
        cases=len(set(cases.values())),
        by_kind=dict(Counter(row.risk_kind for row in strongest.values()).most_common()),
        by_stage=dict(Counter(row.stage for row in strongest.values()).most_common()),
        by_severity={name: by_severity[name] for name in reversed(Severity) if by_severity[name]},
        by_role=dict(Counter(row.role for row in strongest.values()).most_common()),
        latest=[
            RiskItem(
                document_id=row.document_id,
                title=titles.get(row.document_id) or row.document_id,
                risk_kind=row.risk_kind,
                stage=row.stage,
                severity=row.severity,
                role=row.role,
                match_kind=row.kind,
                variant=row.variant,
                evidence=row.evidence,
                case_id=cases.get(row.document_id),
                published=row.published,
            )
            for row in newest[:latest]
        ],
    )


def list_visible(session: Session, principal: Principal) -> list[Enterprise]:
    query = select(Enterprise).order_by(Enterprise.id)
    if not principal.is_staff:
        query = query.where(Enterprise.id == principal.enterprise_id)
    return list(session.scalars(query))


@router.get("", response_model=list[EnterpriseOut])
def list_enterprises(session: SessionDep, principal: PrincipalDep) -> list[Enterprise]:
    return list_visible(session, principal)


@router.post(
    "",
    response_model=EnterpriseOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "exists already"}},
)
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
def get_enterprise(enterprise_id: IdPath, session: SessionDep, principal: PrincipalDep) -> Enterprise:
    return visible_enterprise(session, principal, enterprise_id)


@router.get("/{enterprise_id}/risk", response_model=EnterpriseRisk, summary="The enterprise's risk summary")
def get_enterprise_risk(
    enterprise_id: IdPath,
    session: SessionDep,
    context: ContextDep,
    principal: PrincipalDep,
    latest: Annotated[int, Query(ge=0, le=200, description="how many recent documents to list")] = LATEST,
) -> EnterpriseRisk:
    enterprise = visible_enterprise(session, principal, enterprise_id)
    return enterprise_risk(session, context.index, enterprise, latest=latest)


@router.put("/{enterprise_id}", response_model=EnterpriseOut)
def update_enterprise(
    enterprise_id: IdPath,
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
def delete_enterprise(enterprise_id: IdPath, session: SessionDep, _: AdminDep) -> Response:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise not_found("enterprise")
    session.delete(enterprise)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
