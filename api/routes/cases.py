"""/api/v1/cases: the threads documents belong to (an investigation, a court case, a trademark
serial), with their stage timeline, parties and documents.

Cases are public records like documents; which registered enterprises they concern is not, so
an enterprise sees only its own matches and may filter on itself only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ipsentry.api.access import Principal
from ipsentry.api.deps import (
    ERROR_RESPONSES,
    ContextDep,
    PositiveId,
    PrincipalDep,
    SessionDep,
    not_found,
)
from ipsentry.api.routes.documents import visible
from ipsentry.api.schemas import CaseDetail, CaseEventOut, CasePage, CaseSummary, DocumentOut
from ipsentry.core.documents import Match, Party
from ipsentry.core.models import Case, CaseEvent, DocumentMatch
from ipsentry.service.context import AppContext

router = APIRouter(prefix="/api/v1/cases", tags=["cases"], responses=ERROR_RESPONSES)

_event_count = (
    select(func.count(CaseEvent.id)).where(CaseEvent.case_id == Case.id).correlate(Case).scalar_subquery()
)


def _summary(case: Case, documents: int) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        kind=case.kind,
        title=case.title,
        authority=case.authority,
        current_stage=case.current_stage,
        first_seen=case.first_seen,
        last_seen=case.last_seen,
        documents=documents,
    )


def list_cases(
    session: Session,
    principal: Principal,
    *,
    kind: str | None = None,
    stage: str | None = None,
    q: str = "",
    enterprise: int | None = None,
    page: int = 1,
    size: int = 50,
) -> CasePage:
    conditions = []
    if kind:
        conditions.append(Case.kind == kind)
    if stage:
        conditions.append(Case.current_stage == stage)
    if q.strip():
        text = q.strip()
        conditions.append(
            or_(Case.id.icontains(text, autoescape=True), Case.title.icontains(text, autoescape=True))
        )
    if enterprise is not None:
        if not principal.can_see_enterprise(enterprise):
            raise not_found("enterprise")
        concerned = (
            select(CaseEvent.case_id)
            .join(DocumentMatch, DocumentMatch.document_id == CaseEvent.document_id)
            .where(DocumentMatch.enterprise_id == enterprise)
        )
        conditions.append(Case.id.in_(concerned))
    total = session.scalar(select(func.count(Case.id)).where(*conditions)) or 0
    rows = session.execute(
        select(Case, _event_count).where(*conditions)
        .order_by(Case.last_seen.desc().nulls_last(), Case.id).offset((page - 1) * size).limit(size)
    ).all()  # fmt: skip
    return CasePage(total=total, page=page, size=size, items=[_summary(case, count) for case, count in rows])


def case_detail(session: Session, context: AppContext, principal: Principal, case_id: str) -> CaseDetail:
    case = session.get(Case, case_id)
    if case is None:
        raise not_found("case")
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.occurred.asc().nulls_first(), CaseEvent.id)
    ).all()  # fmt: skip
    documents = {
        document.id: visible(document, principal)
        for document in context.index.get_many([event.document_id for event in events])
    }
    parties: dict[tuple[str, str], Party] = {}
    matches: dict[tuple[int, str, str], Match] = {}
    for event in events:
        document = documents.get(event.document_id)
        if document is None:
            continue
        for party in document.parties:
            parties.setdefault((party.name.casefold(), party.role.value), party)
        for match in document.matches:
            key = (match.enterprise_id, match.role.value, match.kind)
            if key not in matches or match.score > matches[key].score:
                matches[key] = match
    ordered = [documents[event.document_id] for event in reversed(events) if event.document_id in documents]
    return CaseDetail(
        **_summary(case, len(events)).model_dump(),
        timeline=[
            CaseEventOut(stage=e.stage, occurred=e.occurred, document_id=e.document_id, title=e.title)
            for e in events
        ],
        parties=list(parties.values()),
        matches=list(matches.values()),
        document_list=[DocumentOut.of(document) for document in ordered],
    )


@router.get("", response_model=CasePage, summary="List cases, most recently active first")
def get_cases(
    session: SessionDep,
    principal: PrincipalDep,
    kind: Annotated[str | None, Query(max_length=16)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str, Query(max_length=200, description="part of the case number or title")] = "",
    enterprise: Annotated[PositiveId | None, Query(description="cases concerning this enterprise")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CasePage:
    return list_cases(
        session, principal, kind=kind, stage=stage, q=q, enterprise=enterprise, page=page, size=size
    )


@router.get("/{case_id:path}", response_model=CaseDetail, summary="One case: timeline, parties, documents")
def get_case(case_id: str, session: SessionDep, context: ContextDep, principal: PrincipalDep) -> CaseDetail:
    return case_detail(session, context, principal, case_id)
