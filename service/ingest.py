"""The ingest pipeline, one pass per crawled batch:
parse (done by the crawler) → tag → upsert into the index → in ONE transaction: matches, case
timeline, alerts and their outbox deliveries.  Delivery happens afterwards, by the worker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ipsentry.alerting.matching import create_alerts, record_matches
from ipsentry.core.case_linking import link_receipts
from ipsentry.core.cases import record_case_events
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document
from ipsentry.service.context import AppContext
from ipsentry.service.trademark_watch import add_similar_marks


@dataclass
class IngestResult:
    documents: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    matches: int = 0
    alerts: int = 0

    def add(self, other: IngestResult) -> None:
        self.documents += other.documents
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.matches += other.matches
        self.alerts += other.alerts


def ingest_batch(context: AppContext, documents: Sequence[Document]) -> IngestResult:
    if not documents:
        return IngestResult()
    matcher = context.matcher()
    tagged = [matcher.tag(document) for document in documents]
    tagged = add_similar_marks(context, tagged)  # trademark filings resembling a registered brand
    # The index is written first: it is idempotent, so a crash before the commit below only
    # means the next crawl re-tags and re-alerts the same documents, and dedupe keeps that exact.
    upserted = context.index.upsert(tagged)
    saved_searches = context.saved_searches()  # matched once for the batch (percolated on a cluster)
    with transaction(context.session_factory) as session:
        record_matches(session, tagged)
        record_case_events(session, tagged)
        link_receipts(session, tagged)  # a receipt's DN docket joins its investigation
        alerts = create_alerts(session, tagged, saved_searches=saved_searches)
    return IngestResult(
        documents=len(tagged),
        created=list(upserted.created),
        updated=list(upserted.updated),
        unchanged=len(upserted.unchanged),
        matches=sum(len(document.matches) for document in tagged),
        alerts=len(alerts),
    )


def ingest(context: AppContext, documents: Sequence[Document], *, batch_size: int = 200) -> IngestResult:
    total = IngestResult()
    for start in range(0, len(documents), batch_size):
        total.add(ingest_batch(context, documents[start : start + batch_size]))
    return total
