"""Statistics for the guidance center: what is happening, to whom, driven by whom.

Counts by risk kind, stage, month and region come from the relational tables (cases, matches,
enterprises); the most active plaintiffs, law firms and brands come from the documents
themselves (parties and the fields ``party:``/``firm:``/``brand:`` search), counted per case so a
case with twenty notices counts once."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipsentry.core.documents import ADVERSE_ROLES, Document, Role, Severity
from ipsentry.core.models import Case, DocumentMatch, Enterprise
from ipsentry.search.index import DocumentIndex, SearchRequest
from ipsentry.search.query import text_field_values

TOP = 10
PLAINTIFF_ROLES = frozenset({Role.COMPLAINANT, Role.PLAINTIFF})
_ADVERSE = sorted(role.value for role in ADVERSE_ROLES)
_TRAILING = re.compile(r"[\s.,;:]+$")


class Count(BaseModel):
    name: str
    count: int


class MonthCounts(BaseModel):
    month: str  # YYYY-MM
    counts: dict[str, int]  # risk kind → new cases that month


class RegionCount(BaseModel):
    region: str  # province as registered ("" when unknown)
    enterprises: int
    documents: int


class Statistics(BaseModel):
    since: date | None
    until: date | None
    documents: int
    cases: int
    documents_by_kind: dict[str, int]
    cases_by_kind: dict[str, int]
    cases_by_stage: dict[str, int]
    cases_by_month: list[MonthCounts]
    matches_by_severity: dict[str, int]
    respondent_regions: list[RegionCount]
    top_plaintiffs: list[Count]
    top_firms: list[Count]
    top_brands: list[Count]


def _in_range(day: date | None, since: date | None, until: date | None) -> bool:
    if since is None and until is None:
        return True
    return day is not None and (since is None or day >= since) and (until is None or day <= until)


def _key(name: str) -> str:
    return _TRAILING.sub("", " ".join(name.split())).casefold()


class _Tally:
    """Distinct cases per name; the first spelling seen is the one shown."""

    def __init__(self) -> None:
        self.cases: defaultdict[str, set[str]] = defaultdict(set)
        self.shown: dict[str, str] = {}

    def add(self, names: Iterable[str], case: str) -> None:
        for name in names:
            key = _key(name)
            if key:
                self.shown.setdefault(key, _TRAILING.sub("", " ".join(name.split())))
                self.cases[key].add(case)

    def top(self, limit: int) -> list[Count]:
        ranked = sorted(self.cases.items(), key=lambda item: (-len(item[1]), item[0]))[:limit]
        return [Count(name=self.shown[key], count=len(cases)) for key, cases in ranked]


def _document_tallies(
    documents: Iterable[Document], since: date | None, until: date | None, top: int
) -> tuple[list[Count], list[Count], list[Count]]:
    plaintiffs, firms, brands = _Tally(), _Tally(), _Tally()
    for document in documents:
        if not _in_range(document.published, since, until):
            continue
        case = document.case_id or document.id
        plaintiffs.add((p.name for p in document.parties if p.role in PLAINTIFF_ROLES), case)
        fields = text_field_values(document)
        firms.add(fields["firm"], case)
        brands.add(fields["brand"], case)
    return plaintiffs.top(top), firms.top(top), brands.top(top)


def statistics(
    session: Session,
    index: DocumentIndex,
    *,
    since: date | None = None,
    until: date | None = None,
    top: int = TOP,
) -> Statistics:
    cases = [
        (kind, stage, first_seen)
        for kind, stage, first_seen in session.execute(select(Case.kind, Case.current_stage, Case.first_seen))
        if _in_range(first_seen, since, until)
    ]
    months: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for kind, _stage, first_seen in cases:
        if first_seen is not None:
            months[first_seen.strftime("%Y-%m")][kind] += 1

    match_range = []
    if since is not None:
        match_range.append(DocumentMatch.published >= since)
    if until is not None:
        match_range.append(DocumentMatch.published <= until)
    severities = dict(
        session.execute(
            select(DocumentMatch.severity, func.count(func.distinct(DocumentMatch.document_id)))
            .where(*match_range)
            .group_by(DocumentMatch.severity)
        ).all()
    )
    regions = session.execute(
        select(
            Enterprise.region_province,
            func.count(func.distinct(Enterprise.id)),
            func.count(func.distinct(DocumentMatch.document_id)),
        )
        .join(Enterprise, Enterprise.id == DocumentMatch.enterprise_id)
        .where(DocumentMatch.role.in_(_ADVERSE), *match_range)
        .group_by(Enterprise.region_province)
    ).all()

    by_kind = index.search(
        SearchRequest(published_from=since, published_to=until, limit=0, facets=["kind"], highlight=False)
    )
    plaintiffs, firms, brands = _document_tallies(
        (document for batch in index.iter_documents() for document in batch), since, until, top
    )
    return Statistics(
        since=since,
        until=until,
        documents=by_kind.total,
        cases=len(cases),
        documents_by_kind=by_kind.facets["kind"],
        cases_by_kind=dict(Counter(kind for kind, _, _ in cases).most_common()),
        cases_by_stage=dict(Counter(stage for _, stage, _ in cases).most_common()),
        cases_by_month=[MonthCounts(month=month, counts=dict(months[month])) for month in sorted(months)],
        matches_by_severity={
            s.value: severities[s.value] for s in reversed(Severity) if s.value in severities
        },
        respondent_regions=[
            RegionCount(region=region or "", enterprises=enterprises, documents=documents)
            for region, enterprises, documents in sorted(regions, key=lambda row: (-row[2], row[0] or ""))
        ],
        top_plaintiffs=plaintiffs,
        top_firms=firms,
        top_brands=brands,
    )
