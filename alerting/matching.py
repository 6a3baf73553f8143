"""What the ingest pipeline writes for alerting, inside ITS transaction (nothing here commits):
the document × enterprise matches, and the alerts of every subscription a batch satisfies,
each with its outbox deliveries.

Dedupe lives in the database: an alert is unique per (subscription, document) and per
(subscription, case, stage), and is inserted with ON CONFLICT DO NOTHING, so a duplicate
(re-processing, a second document of the same case stage, a concurrent ingest of the same
record on PostgreSQL) is skipped without disturbing the enclosing transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session, selectinload

from ipsentry.alerting.outbox import IMMEDIATE, delivery_row
from ipsentry.alerting.payload import build_payload
from ipsentry.alerting.selectors import Batch, Hit, select_hits
from ipsentry.alerting.severity import match_severity
from ipsentry.alerting.upsert import upsert_insert
from ipsentry.core.documents import Document, Match, Severity, utcnow
from ipsentry.core.models import Alert, Delivery, DocumentMatch, Enterprise, Subscription
from ipsentry.core.stages import OTHER
from ipsentry.search.index import DocumentIndex

log = logging.getLogger(__name__)


def _latest_by_id(documents: Sequence[Document]) -> list[Document]:
    """One document per id (the last one given wins, as a re-crawl replaces a record)."""
    return list({document.id: document for document in documents}.values())


def _min_rank(subscription: Subscription) -> int:
    try:
        return Severity(subscription.min_severity).rank
    except ValueError:
        log.warning(
            "subscription %s: unknown min_severity %r, using low", subscription.id, subscription.min_severity
        )
        return Severity.LOW.rank


def _dedupe_case_id(document: Document) -> str | None:
    """The case an alert dedupes on.  Stage "other" is no stage at all: two unclassified
    notices of one case are different news, so they dedupe on the document only (the case id
    stays in the payload)."""
    return None if document.stage == OTHER else document.case_id


def _already_alerted(session: Session, subscription_id: int, document: Document) -> bool:
    case_id = _dedupe_case_id(document)
    same = Alert.document_id == document.id
    if case_id is not None:
        same = or_(same, and_(Alert.case_id == case_id, Alert.stage == document.stage))
    found = session.scalar(select(Alert.id).where(Alert.subscription_id == subscription_id, same).limit(1))
    return found is not None


def _insert_alert(session: Session, subscription: Subscription, hit: Hit, now: datetime) -> Alert | None:
    document = hit.document
    # The read spares most duplicate inserts; the unique constraints stay the last word, for
    # another transaction may be inserting the same alert right now.
    if _already_alerted(session, subscription.id, document):
        return None
    inserted = session.scalars(
        upsert_insert(session, Alert)
        .values(
            subscription_id=subscription.id,
            document_id=document.id,
            enterprise_id=hit.match.enterprise_id if hit.match else None,
            case_id=_dedupe_case_id(document),
            stage=document.stage,
            risk_kind=document.kind.value,
            severity=hit.severity.value,
            title=document.title,
            payload=build_payload(subscription, hit),
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(Alert)
    ).one_or_none()
    if inserted is None:
        return None
    if subscription.rate == IMMEDIATE:
        for channel in subscription.channels:
            if channel.enabled:
                session.add(Delivery(**delivery_row(alert_id=inserted.id, channel_id=channel.id, now=now)))
    return inserted


def create_alerts(
    session: Session,
    documents: Sequence[Document],
    *,
    index: DocumentIndex | None = None,
    now: datetime | None = None,
) -> list[Alert]:
    """Create the new alerts (and their deliveries) the tagged ``documents`` raise for every
    active subscription; returns them.  Saved searches need the ``index`` the documents were
    upserted into.  Re-running on the same documents creates nothing."""
    batch_documents = _latest_by_id(documents)
    if not batch_documents:
        return []
    now = now or utcnow()
    enterprise_ids = sorted({eid for document in batch_documents for eid in document.enterprise_ids})
    enterprises = {
        enterprise.id: enterprise
        for enterprise in session.scalars(select(Enterprise).where(Enterprise.id.in_(enterprise_ids)))
    }
    subscriptions = session.scalars(
        select(Subscription)
        .where(
            Subscription.active.is_(True),
            # Enterprise watches of enterprises absent from the batch cannot match: not loaded.
            or_(Subscription.kind != "enterprise", Subscription.enterprise_id.in_(enterprise_ids)),
        )
        .options(selectinload(Subscription.channels))
        .order_by(Subscription.id)
    ).all()
    batch = Batch(documents=batch_documents, enterprises=enterprises, index=index)
    created: list[Alert] = []
    for subscription in subscriptions:
        threshold = _min_rank(subscription)
        for hit in select_hits(subscription, batch):
            if hit.severity.rank < threshold:
                continue
            alert = _insert_alert(session, subscription, hit, now)
            if alert is not None:
                created.append(alert)
    if created:
        log.info("%s new alerts from %s documents", len(created), len(batch_documents))
    return created


def _match_rows(document: Document, known_enterprises: set[int]) -> list[dict[str, object]]:
    best: dict[tuple[int, str, str], Match] = {}
    for match in document.matches:
        if match.enterprise_id not in known_enterprises:
            log.warning(
                "document %s matched unknown enterprise %s: skipped", document.id, match.enterprise_id
            )
            continue
        # One row per (enterprise, kind, role), as the table's key: the best scored explains it.
        key = (match.enterprise_id, match.kind, match.role.value)
        if key not in best or match.score > best[key].score:
            best[key] = match
    return [
        {
            "document_id": document.id,
            "enterprise_id": match.enterprise_id,
            "kind": match.kind,
            "role": match.role.value,
            "score": match.score,
            "confidence": match.confidence,
            "evidence": match.evidence,
            "variant": match.variant,
            "risk_kind": document.kind.value,
            "stage": document.stage,
            "severity": match_severity(document, match).value,
            "published": document.published,
        }
        for match in best.values()
    ]


def record_matches(session: Session, documents: Sequence[Document]) -> int:
    """Store each document's matches, replacing what an earlier tagging stored for it (so a
    re-tag that drops a match drops its row); returns the number of rows written."""
    batch_documents = _latest_by_id(documents)
    if not batch_documents:
        return 0
    wanted = {match.enterprise_id for document in batch_documents for match in document.matches}
    known = set(session.scalars(select(Enterprise.id).where(Enterprise.id.in_(sorted(wanted)))))
    rows = [row for document in batch_documents for row in _match_rows(document, known)]
    ids = [document.id for document in batch_documents]
    session.execute(delete(DocumentMatch).where(DocumentMatch.document_id.in_(ids)))
    if rows:
        table = DocumentMatch.__table__
        statement = upsert_insert(session, table)
        # A concurrent ingest of the same documents may have written these keys after our
        # delete: the later tagging then overwrites them instead of failing the batch.
        key = ("document_id", "enterprise_id", "kind", "role")
        statement = statement.on_conflict_do_update(
            index_elements=list(key),
            set_={name: statement.excluded[name] for name in rows[0] if name not in key},
        )
        session.execute(statement, rows)
    return len(rows)
