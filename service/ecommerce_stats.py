"""Aggregates of e-commerce IP suits for the guidance center: cases per month and court, the
most active plaintiffs, brands and law firms, and how many cases reached each stage.

Counted per CASE, not per document: a Schedule A case arrives as a CourtListener docket, a
dozen PACER feed entries and a caption record, all threaded by the case key
(``ilnd:1:24-cv-03089``).  :func:`cases_from_documents` folds a case's documents into one
:class:`EcommerceCase` (earliest filing date, plaintiff, brands, firms, every stage any of its
documents or docket entries marks); :func:`summarise` counts those; :func:`ecommerce_stats`
does both over the document index, which is what the API serves.

Names are grouped spelling-blind ("GoPro" and "GOPRO" are one brand, shown as first seen);
law firms are already written one way by the parsers (``canonical_firm``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from ipsentry.core.documents import Document, RiskKind, Role
from ipsentry.core.stages import ECOMMERCE_STAGES, OTHER
from ipsentry.search.index import DocumentIndex, SearchRequest

PAGE = 500  # documents read from the index per request
STAGE_ORDER = [stage for stage in ECOMMERCE_STAGES if stage != OTHER]


@dataclass
class EcommerceCase:
    """One suit, as all its documents together describe it."""

    id: str
    court: str | None = None
    filed: date | None = None
    title: str = ""
    plaintiff: str | None = None
    brands: list[str] = field(default_factory=list)
    law_firms: list[str] = field(default_factory=list)
    stages: set[str] = field(default_factory=set)
    schedule_a: bool = False
    documents: int = 0

    @property
    def month(self) -> str | None:
        return f"{self.filed:%Y-%m}" if self.filed else None


@dataclass(frozen=True)
class Ranked:
    name: str
    cases: int


@dataclass(frozen=True)
class MonthCourt:
    month: str  # "2024-04"
    court: str
    cases: int


@dataclass
class EcommerceStats:
    cases: int
    schedule_a_cases: int
    per_month_court: list[MonthCourt]
    plaintiffs: list[Ranked]
    brands: list[Ranked]
    law_firms: list[Ranked]
    stages: dict[str, int]  # stage → cases that reached it, in the order cases go through them


def _key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def _strings(value: object) -> list[str]:
    items = value if isinstance(value, list | tuple) else [value]
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def _add_unique(target: list[str], names: Iterable[str]) -> None:
    known = {_key(name) for name in target}
    for name in names:
        if (key := _key(name)) and key not in known:
            known.add(key)
            target.append(name)


def _document_stages(document: Document) -> set[str]:
    """The stage of the document and of every docket entry it carries (CourtListener and
    RECAP documents list their entries with a stage each)."""
    stages = {document.stage}
    for entry in document.extra.get("entries") or []:
        if isinstance(entry, dict) and isinstance(entry.get("stage"), str):
            stages.add(entry["stage"])
    return {stage for stage in stages if stage in ECOMMERCE_STAGES and stage != OTHER}


def _plaintiff(document: Document) -> str | None:
    named = _strings(document.extra.get("plaintiff"))
    if named:
        return named[0]
    return next((p.name for p in document.parties if p.role is Role.PLAINTIFF), None)


def cases_from_documents(documents: Iterable[Document]) -> list[EcommerceCase]:
    """Fold e-commerce documents into their cases (other kinds and unthreaded ones are left out)."""
    cases: dict[str, EcommerceCase] = {}
    for document in documents:
        case_id = document.case_id
        if document.kind != RiskKind.ECOMMERCE or not case_id:
            continue
        case = cases.setdefault(case_id, EcommerceCase(id=case_id))
        case.documents += 1
        case.court = case.court or document.authority
        case.title = case.title or document.title
        filed = document.filed or document.published
        if filed and (case.filed is None or filed < case.filed):
            case.filed = filed
        case.plaintiff = case.plaintiff or _plaintiff(document)
        _add_unique(case.brands, _strings(document.extra.get("brands")))
        _add_unique(case.law_firms, _strings(document.extra.get("law_firms")))
        case.stages |= _document_stages(document)
        case.schedule_a = case.schedule_a or bool(document.extra.get("schedule_a"))
    return sorted(cases.values(), key=lambda case: case.id)


def _ranked(names_per_case: Iterable[Sequence[str]], top: int) -> list[Ranked]:
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for names in names_per_case:
        for key in {_key(name) for name in names if _key(name)}:
            counts[key] += 1
        for name in names:
            shown.setdefault(_key(name), name)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], shown[item[0]].casefold()))
    return [Ranked(shown[key], count) for key, count in ordered[:top]]


def summarise(cases: Sequence[EcommerceCase], *, top: int = 10) -> EcommerceStats:
    per_month_court: Counter[tuple[str, str]] = Counter(
        (case.month or "unknown", case.court or "unknown") for case in cases
    )
    return EcommerceStats(
        cases=len(cases),
        schedule_a_cases=sum(case.schedule_a for case in cases),
        per_month_court=[
            MonthCourt(month, court, count) for (month, court), count in sorted(per_month_court.items())
        ],
        plaintiffs=_ranked(([case.plaintiff] if case.plaintiff else [] for case in cases), top),
        brands=_ranked((case.brands for case in cases), top),
        law_firms=_ranked((case.law_firms for case in cases), top),
        stages={stage: sum(stage in case.stages for case in cases) for stage in STAGE_ORDER},
    )


def iter_ecommerce_documents(
    index: DocumentIndex, *, since: date | None = None, until: date | None = None
) -> Iterator[Document]:
    """Every e-commerce document of the index, oldest first, page by page (published between
    ``since`` and ``until`` when given)."""
    offset = 0
    while True:
        request = SearchRequest(
            kinds=[RiskKind.ECOMMERCE.value],
            published_from=since,
            published_to=until,
            sort="date_asc",
            offset=offset,
            limit=PAGE,
            highlight=False,
        )
        hits = index.search(request).hits
        yield from (hit.document for hit in hits)
        if len(hits) < PAGE:
            return
        offset += PAGE


def ecommerce_stats(
    index: DocumentIndex,
    *,
    since: date | None = None,
    until: date | None = None,
    courts: Sequence[str] = (),
    schedule_a_only: bool = False,
    top: int = 10,
) -> EcommerceStats:
    """The guidance center's figures over the indexed documents.  ``since``/``until`` select
    cases by filing month (a case filed earlier but active in the window is not counted),
    ``courts`` by court id."""
    wanted = {court.lower() for court in courts}
    cases = [
        case
        for case in cases_from_documents(iter_ecommerce_documents(index))
        if (not wanted or (case.court or "") in wanted)
        and (not schedule_a_only or case.schedule_a)
        and (since is None or (case.filed is not None and case.filed >= since))
        and (until is None or (case.filed is not None and case.filed <= until))
    ]
    return summarise(cases, top=top)
