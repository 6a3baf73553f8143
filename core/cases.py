"""Case threading: each document joins the case (investigation, court case, trademark
serial) it belongs to, and the case keeps a timeline of the stages reached."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipsentry.core.documents import Document
from ipsentry.core.models import Case, CaseEvent


def record_case_events(session: Session, documents: Sequence[Document]) -> int:
    """Create or update cases and add one timeline event per (case, document).  Returns the
    number of new events.  Consolidated investigations get the event on every case."""
    new_events = 0
    for document in documents:
        case_ids = document.case_numbers or ([document.docket_number] if document.docket_number else [])
        for case_id in dict.fromkeys(case_ids):
            case = session.get(Case, case_id)
            if case is None:
                case = Case(id=case_id, kind=document.kind.value, title="", authority=document.authority)
                session.add(case)
            product_title = document.products[0] if document.products else document.title
            if not case.title:
                case.title = product_title
            day = document.published or document.filed
            if day is not None:
                case.first_seen = min(filter(None, (case.first_seen, day)))
                if case.last_seen is None or day >= case.last_seen:
                    case.last_seen = day
                    # A later procedural notice ("other") does not undo the stage reached.
                    if document.stage != "other":
                        case.current_stage = document.stage
            elif case.current_stage == "other":
                case.current_stage = document.stage
            event = session.scalar(
                select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.document_id == document.id)
            )
            if event is None:
                session.add(
                    CaseEvent(
                        case_id=case_id,
                        document_id=document.id,
                        stage=document.stage,
                        occurred=day,
                        title=document.title,
                    )
                )
                new_events += 1
            else:
                event.stage, event.occurred, event.title = document.stage, day, document.title
            session.flush()
    return new_events
