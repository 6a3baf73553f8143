"""Linking a receipt-of-complaint docket to the investigation it becomes.

A receipt-of-complaint notice has no investigation number yet, only the complaint's docket
number (``DN 3655``), so :func:`~ipsentry.core.cases.record_case_events` files it under a case of
that name.  About a month later the institution notice (or the USITC IDS record) names the
investigation (``337-TA-1340``) and the same product.  :func:`link_receipts`, run by the ingest
pipeline right after ``record_case_events`` in the same transaction, joins the two:

1. **docket** — a document that carries both numbers (an IDS record lists the docket of the
   investigation) links them outright, and wins over any inferred link;
2. **product and complainant** — a docket case and an investigation case whose product titles are
   equal once normalised (case, punctuation, "Certain", "the"), whose first documents are at most
   :data:`LINK_WINDOW_DAYS` apart with the receipt first, and — when both sides know their
   complainants — that share a complainant.  Exactly one candidate must remain; two or more are
   logged and left alone rather than guessed.  Either side may arrive first (a backfill ingests in
   any order).

A link is recorded as ``cases.linked_to`` on the docket case (migration 0005) and as the docket
case's timeline events copied onto the investigation case, so the investigation's timeline starts
with its receipt notice; events that reach a linked docket later are copied too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipsentry.core.documents import Document, RiskKind, Role
from ipsentry.core.models import Case, CaseEvent

log = logging.getLogger(__name__)

LINK_WINDOW_DAYS = 60  # receipt notice → institution takes about 30 days, rarely more than 55
DOCKET_PREFIX = "DN "
INVESTIGATION_PREFIX = "337-TA-"

_PRODUCT_STOPWORDS = frozenset({"certain", "the"})
_COMPANY_SUFFIXES = frozenset(
    {"inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "llp", "lp"}
    | {"plc", "gmbh", "ag", "sa", "nv", "bv", "kk", "oy", "ab", "pte", "pty"}
)


@dataclass(frozen=True)
class CaseLink:
    receipt_case: str  # "DN 3428"
    investigation_case: str  # "337-TA-1191"
    how: str  # "docket" | "product_complainant"
    document_id: str  # the document whose arrival made the link


def normalise_product(title: str) -> str:
    """ "Certain Capacitive Touch- Controlled Mobile Devices" → "capacitive touch controlled mobile
    devices": wrapped hyphens, punctuation, case and the words "Certain"/"the" vary between notices."""
    words = re.sub(r"[^0-9a-z]+", " ", title.lower()).split()
    return " ".join(w for w in words if w not in _PRODUCT_STOPWORDS)


def normalise_party(name: str) -> str:
    """ "Sonos, Inc." → "sonos"; company suffixes and punctuation do not tell parties apart."""
    words = re.sub(r"[^0-9a-z]+", " ", name.lower()).split()
    while len(words) > 1 and words[-1] in _COMPANY_SUFFIXES:
        words.pop()
    return " ".join(words)


def link_receipts(session: Session, documents: Sequence[Document]) -> list[CaseLink]:
    """Link docket cases to investigation cases for a batch of documents whose case events are
    already recorded; returns the links made now (an existing link is not made again)."""
    relevant = [d for d in documents if d.kind == RiskKind.ITC337 and (d.case_numbers or d.docket_number)]
    for document in relevant:
        _remember_complainants(session, document)
    links: list[CaseLink] = []
    for document in relevant:
        link: CaseLink | None = None
        if document.docket_number and document.case_numbers:
            link = _link(session, document.docket_number, document.case_numbers[0], "docket", document)
        elif document.case_numbers:
            link = _match_docket(session, document)
        else:
            link = _match_investigation(session, document)
        if link is not None:
            links.append(link)
        if document.docket_number and not document.case_numbers:
            docket = session.get(Case, document.docket_number)
            if docket is not None and docket.linked_to:
                # A later notice of a linked docket (an amended complaint) joins the investigation too.
                _copy_events(session, docket, docket.linked_to)
    session.flush()
    return links


# ---------------------------------------------------------------------------------------------


def _remember_complainants(session: Session, document: Document) -> None:
    keys = {normalise_party(p.name) for p in document.parties if p.role == Role.COMPLAINANT}
    keys.discard("")
    if not keys:
        return
    for case_id in document.case_numbers or [document.docket_number]:
        case = session.get(Case, case_id) if case_id else None
        if case is not None and not keys <= set(case.complainant_keys or []):
            case.complainant_keys = sorted(set(case.complainant_keys or []) | keys)


def _product(document: Document) -> str:
    return normalise_product(document.products[0]) if document.products else ""


def _match_docket(session: Session, document: Document) -> CaseLink | None:
    """An investigation's document: the unlinked docket case it grew out of, if exactly one."""
    investigation = session.get(Case, document.case_numbers[0])
    product = _product(document)
    if investigation is None or not product or _has_docket(session, investigation.id):
        return None
    anchor = _first_day(investigation, document)
    if anchor is None:
        return None
    candidates = session.scalars(
        select(Case).where(
            Case.id.startswith(DOCKET_PREFIX),
            Case.kind == RiskKind.ITC337.value,
            Case.linked_to.is_(None),
            Case.first_seen >= anchor - timedelta(days=LINK_WINDOW_DAYS),
            Case.first_seen <= anchor,
        )
    ).all()
    matches = [c for c in candidates if _same_case(c, investigation, product)]
    return _only(session, matches, investigation.id, document, reverse=False)


def _match_investigation(session: Session, document: Document) -> CaseLink | None:
    """A docket's document arriving after its investigation: the investigation, if exactly one."""
    docket = session.get(Case, document.docket_number) if document.docket_number else None
    product = _product(document)
    if docket is None or docket.linked_to or not product:
        return None
    anchor = _first_day(docket, document)
    if anchor is None:
        return None
    candidates = session.scalars(
        select(Case).where(
            Case.id.startswith(INVESTIGATION_PREFIX),
            Case.first_seen >= anchor,
            Case.first_seen <= anchor + timedelta(days=LINK_WINDOW_DAYS),
        )
    ).all()
    matches = [c for c in candidates if not _has_docket(session, c.id) and _same_case(c, docket, product)]
    return _only(session, matches, docket.id, document, reverse=True)


def _same_case(candidate: Case, known: Case, product: str) -> bool:
    """Same product (as the new document or the known case names it) and no contradicting
    complainants."""
    if normalise_product(candidate.title) not in {product, normalise_product(known.title)}:
        return False
    ours, theirs = set(candidate.complainant_keys or []), set(known.complainant_keys or [])
    # Unknown complainants on either side cannot contradict; known ones must share a name.
    return not ours or not theirs or bool(ours & theirs)


def _only(
    session: Session, matches: list[Case], case_id: str, document: Document, *, reverse: bool
) -> CaseLink | None:
    if len(matches) != 1:
        if matches:
            log.warning(
                "case linking: %s could be any of %s; left unlinked",
                case_id,
                ", ".join(c.id for c in matches),
            )
        return None
    docket_id, investigation_id = (case_id, matches[0].id) if reverse else (matches[0].id, case_id)
    return _link(session, docket_id, investigation_id, "product_complainant", document)


def _link(
    session: Session, docket_id: str, investigation_id: str, how: str, document: Document
) -> CaseLink | None:
    docket = session.get(Case, docket_id)
    if docket is None:
        # The receipt notice has not been seen (yet): keep the link for when it arrives.
        title = document.products[0] if document.products else document.title
        docket = Case(id=docket_id, kind=document.kind.value, title=title, authority=document.authority)
        docket.complainant_keys = []
        session.add(docket)
    if docket.linked_to == investigation_id:
        return None
    if docket.linked_to and how != "docket":
        return None
    if docket.linked_to:
        log.warning(
            "case linking: %s moves from %s to %s (docket number)",
            docket_id,
            docket.linked_to,
            investigation_id,
        )
    docket.linked_to = investigation_id
    session.flush()
    _copy_events(session, docket, investigation_id)
    return CaseLink(docket_id, investigation_id, how, document.id)


def _copy_events(session: Session, docket: Case, investigation_id: str) -> None:
    investigation = session.get(Case, investigation_id)
    if investigation is None:
        return
    present = set(session.scalars(select(CaseEvent.document_id).where(CaseEvent.case_id == investigation_id)))
    for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id == docket.id)).all():
        if event.document_id in present:
            continue
        session.add(
            CaseEvent(
                case_id=investigation_id,
                document_id=event.document_id,
                stage=event.stage,
                occurred=event.occurred,
                title=event.title,
            )
        )
        if event.occurred is not None:
            investigation.first_seen = min(filter(None, (investigation.first_seen, event.occurred)))
    session.flush()


def _has_docket(session: Session, investigation_id: str) -> bool:
    return session.scalar(select(Case.id).where(Case.linked_to == investigation_id).limit(1)) is not None


def _first_day(case: Case, document: Document) -> date | None:
    days = [d for d in (case.first_seen, document.published or document.filed) if d is not None]
    return min(days) if days else None
