"""Console: search with facets, highlighted matches and the explanation of each match; export;
the document page."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from ipsentry.api.deps import ContextDep, SessionDep
from ipsentry.api.routes.documents import SearchRequestDep, document_detail, export_documents, search_page
from ipsentry.api.web.deps import WebUser, render
from ipsentry.core.models import Enterprise

router = APIRouter(include_in_schema=False)

_FILTER_PARAM = {"kind": "kind", "stage": "stage", "source": "source", "enterprise": "enterprise"}


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    href: str


def _toggle(request: Request, facet: str, value: str) -> tuple[str, bool]:
    """The search URL with this facet value switched on or off (back to page 1)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    if facet == "year":
        wanted = [("published_from", f"{value}-01-01"), ("published_to", f"{value}-12-31")]
        selected = all(item in items for item in wanted)
        items = [(k, v) for k, v in items if k not in ("published_from", "published_to")]
        if not selected:
            items += wanted
    else:
        param = _FILTER_PARAM[facet]
        selected = (param, value) in items
        items = [item for item in items if item != (param, value)] + ([] if selected else [(param, value)])
    return "/search?" + urlencode(items), selected


def _facets(
    request: Request, counts: dict[str, dict[str, int]], labels: dict[str, dict[str, str]]
) -> dict[str, list[FacetValue]]:
    groups: dict[str, list[FacetValue]] = {}
    for facet, values in counts.items():
        entries = []
        for value, count in list(values.items())[:12]:
            href, selected = _toggle(request, facet, value)
            entries.append(FacetValue(value, labels.get(facet, {}).get(value, value), count, selected, href))
        if facet == "year":
            entries.sort(key=lambda entry: entry.value, reverse=True)
        groups[facet] = entries
    return groups


def _page_href(request: Request, number: int) -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return "/search?" + urlencode([*items, ("page", str(number))])


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request, context: ContextDep, session: SessionDep, principal: WebUser, search: SearchRequestDep
) -> HTMLResponse:
    facets = ["kind", "stage", "source", "year"] + (["enterprise"] if principal.is_staff else [])
    error = None
    page = None
    try:
        page = search_page(context, principal, replace(search, facets=facets))
    except HTTPException as problem:
        error = str(problem.detail)
    names = {
        str(enterprise.id): enterprise.display_name
        for enterprise in session.scalars(select(Enterprise))
        if principal.can_see_enterprise(enterprise.id)
    }
    groups = _facets(request, page.facets if page else {}, {"enterprise": names})
    export_query = urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "size")]
    )
    number = search.offset // search.limit + 1
    more = page is not None and search.offset + search.limit < page.total
    return render(
        request,
        "search.html",
        principal,
        prev_href=_page_href(request, number - 1) if number > 1 else None,
        next_href=_page_href(request, number + 1) if more else None,
        nav="search",
        q=search.query,
        page=page,
        error=error,
        facets=groups,
        enterprise_names=names,
        export_query=export_query,
        sort=search.sort,
    )


@router.get("/search/export")
def export(
    context: ContextDep, principal: WebUser, search: SearchRequestDep, format: Literal["csv", "xlsx"] = "csv"
) -> Response:
    return export_documents(context, principal, search, format)


@router.get("/documents/{document_id:path}", response_class=HTMLResponse)
def document(request: Request, document_id: str, context: ContextDep, principal: WebUser) -> HTMLResponse:
    detail = document_detail(context, principal, document_id)
    return render(request, "document.html", principal, nav="search", document=detail)
