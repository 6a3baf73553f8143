"""What the ingest pipeline writes for alerting, inside ITS transaction (nothing here commits):
the document × enterprise matches, and the alerts of every subscription a batch satisfies,
each with its outbox deliveries.

Dedupe lives in the database: an alert is unique per (subscription, document, stage) and per
(subscription, case, stage), and is inserted with ON CONFLICT DO NOTHING, so a duplicate
(re-processing, a second document of the same case stage, a concurrent ingest of the same
record on PostgreSQL) is skipped without disturbing the enclosing transaction.

A document updated as its case moves on (a CourtListener docket: complaint, TRO, preliminary
injunction, default judgment) therefore alerts again at each stage it reaches, once; the same
stage re-ingested alerts nothing.  An update that falls back to stage "other" (no entry marks
a stage) is no news for a subscription already alerted about the document, and is skipped."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload

from ipsentry.alerting.outbox import IMMEDIATE, delivery_row
from ipsentry.alerting.payload import build_payload
from ipsentry.alerting.saved_searches import SEARCH, by_subscription, match_saved_searches
from ipsentry.alerting.selectors import Batch, Hit, select_hits
from ipsentry.alerting.severity import match_severity
from ipsentry.alerting.upsert import upsert_insert
from ipsentry.core.documents import Document, Match, Severity, utcnow
from ipsentry.core.models import Alert, Delivery, DocumentMatch, Enterprise, Subscription
from ipsentry.core.stages import OTHER
from ipsentry.search.index import DocumentIndex
from ipsentry.search.percolate import BatchMatches, SavedSearchMatcher

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


def _alert_row(subscription: Subscription, hit: Hit, now: datetime) -> dict[str, Any]:
    document = hit.document
    return {
        "subscription_id": subscription.id,
        "document_id": document.id,
        "enterprise_id": hit.match.enterprise_id if hit.match else None,
        "case_id": _dedupe_case_id(document),
        "stage": document.stage,
        "risk_kind": document.kind.value,
        "severity": hit.severity.value,
        "title": document.title,
        "payload": build_payload(subscription, hit),
        "created_at": now,
    }


def _wanted_alerts(
    subscriptions: Sequence[Subscription], batch: Batch, now: datetime
) -> list[dict[str, Any]]:
    """The alert rows the batch asks for, at most one per (subscription, document) and per
    (subscription, case, stage): the first in subscription then document order wins, as when
    each was inserted on its own.  Dropping in-batch duplicates here keeps one multi-row INSERT
    from conflicting with itself, which ON CONFLICT handles differently per database."""
    rows: list[dict[str, Any]] = []
    for subscription in subscriptions:
        threshold = _min_rank(subscription)
        seen_documents: set[str] = set()
        seen_stages: set[tuple[str, str]] = set()
        for hit in select_hits(subscription, batch):
            if hit.severity.rank < threshold:
                continue
            document = hit.document
            case_id = _dedupe_case_id(document)
            if document.id in seen_documents or (case_id, document.stage) in seen_stages:
                continue
            seen_documents.add(document.id)
            if case_id is not None:
                seen_stages.add((case_id, document.stage))
            rows.append(_alert_row(subscription, hit, now))
    return rows


def _without_fallbacks_to_other(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop the stage-"other" rows of (subscription, document) pairs alerted before, at any
    stage: a docket whose newest entries mark no stage has not moved on.  One read for the
    batch, only when it has such rows; a real stage is never dropped here."""
    pairs = {(row["subscription_id"], row["document_id"]) for row in rows if row["stage"] == OTHER}
    if not pairs:
        return rows
    # Filtered by each column apart (a few parameters, whatever the pairs), then pair by pair.
    found = session.execute(
        select(Alert.subscription_id, Alert.document_id)
        .where(
            Alert.subscription_id.in_(sorted({subscription_id for subscription_id, _ in pairs})),
            Alert.document_id.in_(sorted({document_id for _, document_id in pairs})),
        )
        .distinct()
    )
    alerted = {(row.subscription_id, row.document_id) for row in found} & pairs
    return [
        row
        for row in rows
        if row["stage"] != OTHER or (row["subscription_id"], row["document_id"]) not in alerted
    ]


def _insert_alerts(session: Session, rows: list[dict[str, Any]]) -> list[Alert]:
    """Insert the rows in multi-row statements, skipping those an earlier or concurrent
    transaction already alerted; returns the inserted ones, in ``rows`` order.

    No read beforehand: the unique constraints decide, in the same statement, so a concurrent
    ingest of the same record on PostgreSQL waits for the other transaction and then skips."""
    if not rows:
        return []
    # ORM bulk INSERT … RETURNING: SQLAlchemy sends it as multi-row VALUES pages sized to the
    # driver's parameter limit, not one statement per row.
    # Inserted in key order: two concurrent ingests of overlapping batches then wait on each
    # other's rows in the same order instead of deadlocking on PostgreSQL.
    ordered = sorted(rows, key=lambda row: (row["subscription_id"], row["document_id"]))
    inserted = session.scalars(
        upsert_insert(session, Alert).on_conflict_do_nothing().returning(Alert), ordered
    ).all()
    # Rows skipped on conflict return nothing, so RETURNING order cannot be zipped with
    # ``rows``: (subscription, document, stage) is unique and maps them back.
    by_key = {(alert.subscription_id, alert.document_id, alert.stage): alert for alert in inserted}
    keys = ((row["subscription_id"], row["document_id"], row["stage"]) for row in rows)
    return [by_key[key] for key in keys if key in by_key]


def _insert_deliveries(
    session: Session, alerts: Sequence[Alert], subscriptions: Mapping[int, Subscription], now: datetime
) -> None:
    """The outbox rows of the new alerts of immediate subscriptions, one per enabled channel,
    in one multi-row INSERT (the alerts are new, so the conflict clause only guards the
    (alert, channel) key should a caller ever pass an alert twice)."""
    rows = [
        delivery_row(alert_id=alert.id, channel_id=channel.id, now=now)
        for alert in alerts
        if (subscription := subscriptions[alert.subscription_id]).rate == IMMEDIATE
        for channel in subscription.channels
        if channel.enabled
    ]
    if rows:
        # RETURNING makes SQLAlchemy page the rows into multi-row VALUES (insertmanyvalues)
        # instead of the driver's executemany, which is one statement per row on some drivers.
        session.execute(
            upsert_insert(session, Delivery.__table__).on_conflict_do_nothing().returning(Delivery.id), rows
        )


def _enterprises(session: Session, documents: Sequence[Document]) -> dict[int, Enterprise]:
    """Every enterprise matched in the documents, by id."""
    ids = sorted({eid for document in documents for eid in document.enterprise_ids})
    return {
        enterprise.id: enterprise
        for enterprise in session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)))
    }


def _write_alerts(
    session: Session, subscriptions: Sequence[Subscription], batch: Batch, now: datetime
) -> list[Alert]:
    wanted = _without_fallbacks_to_other(session, _wanted_alerts(subscriptions, batch, now))
    created = _insert_alerts(session, wanted)
    _insert_deliveries(
        session, created, {subscription.id: subscription for subscription in subscriptions}, now
    )
    if created:
        log.info("%s new alerts from %s documents", len(created), len(batch.documents))
    return created


def create_alerts(
    session: Session,
    documents: Sequence[Document],
    *,
    index: DocumentIndex | None = None,
    saved_searches: SavedSearchMatcher | None = None,
    now: datetime | None = None,
) -> list[Alert]:
    """Create the new alerts (and their deliveries) the tagged ``documents`` raise for every
    active subscription; returns them.  Saved searches are matched once for the batch by
    ``saved_searches`` (in step with the table: ``AppContext.saved_searches()``); without it,
    by running them over the batch in the ``index`` the documents were upserted into.
    Re-running on the same documents creates nothing.

    Set-based: a fixed number of statements per batch (enterprises, subscriptions, their
    channels, alerts, deliveries) whatever its size, so ingest time does not grow with round
    trips per alert; likewise one saved-search match per batch, whatever their number."""
    batch_documents = _latest_by_id(documents)
    if not batch_documents:
        return []
    now = now or utcnow()
    enterprises = _enterprises(session, batch_documents)
    enterprise_ids = sorted({eid for document in batch_documents for eid in document.enterprise_ids})
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
    saved = match_saved_searches(saved_searches, batch_documents, subscriptions, index=index)
    batch = Batch(documents=batch_documents, enterprises=enterprises, saved=saved)
    return _write_alerts(session, subscriptions, batch, now)


def create_saved_search_alerts(
    session: Session,
    documents: Sequence[Document],
    matches: BatchMatches,
    *,
    now: datetime | None = None,
) -> list[Alert]:
    """The alerts of saved searches already matched (the nightly sweep's ``matches`` over
    ``documents``), through the same path and dedupe as a batch's: only what was not alerted
    before is created.  Other kinds of subscription are not looked at."""
    batch_documents = _latest_by_id(documents)
    if not batch_documents or not matches:
        return []
    subscriptions = session.scalars(
        select(Subscription)
        .where(Subscription.active.is_(True), Subscription.kind == SEARCH)
        .options(selectinload(Subscription.channels))
        .order_by(Subscription.id)
    ).all()
    saved = by_subscription(matches, {subscription.id for subscription in subscriptions})
    if not saved:
        return []
    batch = Batch(documents=batch_documents, enterprises=_enterprises(session, batch_documents), saved=saved)
    return _write_alerts(session, [s for s in subscriptions if s.id in saved], batch, now or utcnow())


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
