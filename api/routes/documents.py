"""/api/v1/documents: search (query language, filters, facets, highlights) and one document."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status

from ipsentry.api.deps import ContextDep, Principal, PrincipalDep, not_found
from ipsentry.api.schemas import DocumentDetail, DocumentOut, SearchPage
from ipsentry.core.documents import Document
from ipsentry.search.index import FACET_FIELDS, QueryError, SearchRequest

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])


def visible(document: Document, principal: Principal) -> Document:
    """Documents are public records, but which enterprises they matched is not: an enterprise
    sees only its own matches."""
    if principal.is_staff:
        return document
    own = [match for match in document.matches if match.enterprise_id == principal.enterprise_id]
    return document.model_copy(update={"matches": own})


@router.get("", response_model=SearchPage, summary="Search documents")
def search_documents(
    context: ContextDep,
    principal: PrincipalDep,
    q: Annotated[
        str, Query(max_length=2000, description="query language, e.g. exclusion AND kind:itc337")
    ] = "",
    kind: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI reads list defaults per request
    source: Annotated[list[str], Query()] = [],  # noqa: B006
    stage: Annotated[list[str], Query()] = [],  # noqa: B006
    jurisdiction: Annotated[list[str], Query()] = [],  # noqa: B006
    enterprise: Annotated[list[int], Query()] = [],  # noqa: B006
    published_from: date | None = None,
    published_to: date | None = None,
    sort: Literal["relevance", "date_desc", "date_asc"] = "relevance",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 20,
    facets: Annotated[list[str], Query()] = [],  # noqa: B006
) -> SearchPage:
    unknown = [name for name in facets if name not in FACET_FIELDS]
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"unknown facet(s) {', '.join(unknown)}; known: {', '.join(FACET_FIELDS)}",
        )
    request = SearchRequest(
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
    try:
        result = context.index.search(request)
    except QueryError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"query: {error}") from error
    items = [
        DocumentOut.of(visible(hit.document, principal), highlights=hit.highlights, score=hit.score)
        for hit in result.hits
    ]
    facet_counts = result.facets
    if not principal.is_staff and "enterprise" in facet_counts:
        own = str(principal.enterprise_id)
        facet_counts["enterprise"] = {k: v for k, v in facet_counts["enterprise"].items() if k == own}
    return SearchPage(total=result.total, page=page, size=size, items=items, facets=facet_counts)


@router.get("/{document_id:path}", response_model=DocumentDetail, summary="One document")
def get_document(document_id: str, context: ContextDep, principal: PrincipalDep) -> DocumentDetail:
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
