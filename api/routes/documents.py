"""/api/v1/documents: search (query language, filters, facets, highlights), export (CSV, XLSX)
and one document."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status

from ipsentry.alerting.severity import strongest_match
from ipsentry.api.access import Principal
from ipsentry.api.deps import (
    ERROR_RESPONSES,
    ContextDep,
    PositiveId,
    PrincipalDep,
    not_found,
    unprocessable,
)
from ipsentry.api.export import to_csv, to_xlsx
from ipsentry.api.schemas import DocumentDetail, DocumentOut, SearchPage
from ipsentry.core.documents import Document, Severity
from ipsentry.search.index import FACET_FIELDS, QueryError, SearchRequest, SearchResult
from ipsentry.search.query import And, FieldValue, Node, Not, Or, parse_query
from ipsentry.service.context import AppContext

router = APIRouter(
    prefix="/api/v1/documents",
    tags=["documents"],
    responses={**ERROR_RESPONSES, 400: {"description": "the query does not parse (the reason says where)"}},
)

EXPORT_LIMIT = 5000
_EXPORT_PAGE = 200
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def search_request(
    q: Annotated[
        str, Query(max_length=2000, description="query language, e.g. exclusion AND kind:itc337")
    ] = "",
    kind: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006 - FastAPI reads list defaults per request
    source: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006
    stage: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006
    jurisdiction: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006
    enterprise: Annotated[list[PositiveId], Query(max_length=50)] = [],  # noqa: B006
    published_from: date | None = None,
    published_to: date | None = None,
    sort: Literal["relevance", "date_desc", "date_asc"] = "relevance",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 20,
    facets: Annotated[list[str], Query(max_length=len(FACET_FIELDS))] = [],  # noqa: B006
) -> SearchRequest:
    """The search parameters shared by the API, the export and the console's search page."""
    unknown = [name for name in facets if name not in FACET_FIELDS]
    if unknown:
        raise unprocessable(f"unknown facet(s) {', '.join(unknown)}; known: {', '.join(FACET_FIELDS)}")
    return SearchRequest(
        query=q,
        kinds=kind,
        sources=source,
        stages=stage,
        jurisdictions=jurisdiction,
        enterprise_ids=enterprise,
        published_from=published_from,
        published_to=published_to,
        sort=sort,
        offset=(page - 1) * size,
        limit=size,
        facets=facets,
    )


SearchRequestDep = Annotated[SearchRequest, Depends(search_request)]


def _enterprise_values(node: Node) -> list[str]:
    match node:
        case FieldValue("enterprise", value):
            return [value]
        case And(items) | Or(items):
            return [value for item in items for value in _enterprise_values(item)]
        case Not(item):
            return _enterprise_values(item)
    return []


def check_enterprise_filters(request: SearchRequest, principal: Principal) -> None:
    """Which documents matched which enterprise is not public: an enterprise may filter on
    itself only (``enterprise:`` in the query, negated or not, or the ``enterprise`` filter)."""
    if principal.is_staff:
        return
    try:
        named = _enterprise_values(parse_query(request.query))
    except QueryError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"query: {error}") from error
    own = principal.enterprise_id
    if any(value != str(own) for value in named) or any(eid != own for eid in request.enterprise_ids):
        raise not_found("enterprise")


def visible(document: Document, principal: Principal) -> Document:
    """Documents are public records, but which enterprises they matched is not: an enterprise
    sees only its own matches, and the severity they give (the stored severity is the maximum
    over all enterprises, so a "critical" would say that some registered enterprise is sued)."""
    if principal.is_staff:
        return document
    own = [match for match in document.matches if match.enterprise_id == principal.enterprise_id]
    strongest = strongest_match(document, own)
    severity = strongest[1] if strongest else Severity.INFO
    return document.model_copy(update={"matches": own, "severity": severity})


def run_search(context: AppContext, principal: Principal, request: SearchRequest) -> SearchResult:
    """The search as this caller may see it (400 with the reason on a bad query)."""
    check_enterprise_filters(request, principal)
    try:
        result = context.index.search(request)
    except QueryError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"query: {error}") from error
    for hit in result.hits:
        hit.document = visible(hit.document, principal)
    if not principal.is_staff and "enterprise" in result.facets:
        own = str(principal.enterprise_id)
        result.facets["enterprise"] = {k: v for k, v in result.facets["enterprise"].items() if k == own}
    return result


def search_page(context: AppContext, principal: Principal, request: SearchRequest) -> SearchPage:
    result = run_search(context, principal, request)
    size = request.limit
    return SearchPage(
        total=result.total,
        page=request.offset // size + 1,
        size=size,
        items=[
            DocumentOut.of(hit.document, highlights=hit.highlights, score=hit.score) for hit in result.hits
        ],
        facets=result.facets,
    )


def export_documents(
    context: AppContext, principal: Principal, request: SearchRequest, file_format: Literal["csv", "xlsx"]
) -> Response:
    documents: list[Document] = []
    offset = 0
    while len(documents) < EXPORT_LIMIT:
        page = replace(request, offset=offset, limit=_EXPORT_PAGE, facets=(), highlight=False)
        hits = run_search(context, principal, page).hits
        documents += [hit.document for hit in hits]
        if len(hits) < _EXPORT_PAGE:
            break
        offset += _EXPORT_PAGE
    body = to_csv(documents[:EXPORT_LIMIT]) if file_format == "csv" else to_xlsx(documents[:EXPORT_LIMIT])
    return Response(
        body,
        media_type=_MEDIA[file_format],
        headers={"Content-Disposition": f'attachment; filename="ipsentry-documents.{file_format}"'},
    )


@router.get("", response_model=SearchPage, summary="Search documents")
def search_documents(context: ContextDep, principal: PrincipalDep, request: SearchRequestDep) -> SearchPage:
    return search_page(context, principal, request)


@router.get(
    "/export",
    summary=f"Export the search results (at most {EXPORT_LIMIT}) as CSV or XLSX",
    response_class=Response,
    responses={200: {"content": {media: {} for media in _MEDIA.values()}}},
)
def export(
    context: ContextDep,
    principal: PrincipalDep,
    request: SearchRequestDep,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    return export_documents(context, principal, request, format)


def document_detail(context: AppContext, principal: Principal, document_id: str) -> DocumentDetail:
    document = context.index.get(document_id)
    if document is None:
        raise not_found("document")
    document = visible(document, principal)
    return DocumentDetail(
        **DocumentOut.of(document).model_dump(),
        text=document.text,
        extra=document.extra,
        fetched=document.fetched,
    )


@router.get("/{document_id:path}", response_model=DocumentDetail, summary="One document")
def get_document(document_id: str, context: ContextDep, principal: PrincipalDep) -> DocumentDetail:
    return document_detail(context, principal, document_id)
