"""The nightly sweep of saved searches: every active saved search is run again over the documents
changed in the last day, and the hits go through the alert path of a crawled batch (dedupe in
the database: what was alerted already is not alerted again).

It catches what matching each crawled batch could not see: documents changed after they were
matched (retro-matching adds an enterprise to stored documents), searches saved after the
document arrived, and a registration missing from the cluster when the batch was matched (the
matcher is first brought in step with the subscriptions table)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ipsentry.alerting.matching import create_saved_search_alerts
from ipsentry.core.db import transaction
from ipsentry.core.documents import utcnow
from ipsentry.service.context import AppContext

log = logging.getLogger(__name__)

# A day, overlapping the previous night's window by an hour (a late or coalesced run loses
# nothing; what the overlap finds twice is deduplicated).
SWEEP_WINDOW = timedelta(days=1, hours=1)
SWEEP_DOCUMENTS = 500  # documents read and alerted per transaction


def sweep_saved_searches(
    context: AppContext,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """Sweeps the documents changed in [since, until) (by default the last ``SWEEP_WINDOW``);
    returns how many alerts it created."""
    now = now or utcnow()
    since = since or now - SWEEP_WINDOW
    context.sync_saved_searches()
    found = context.saved_search_matcher.sweep(since, until)
    ids = sorted(found)
    created = 0
    for start in range(0, len(ids), SWEEP_DOCUMENTS):
        documents = context.index.get_many(ids[start : start + SWEEP_DOCUMENTS])
        matches = {document.id: found[document.id] for document in documents}
        with transaction(context.session_factory) as session:
            created += len(create_saved_search_alerts(session, documents, matches, now=now))
    log.info("saved-search sweep since %s: %d documents matched, %d new alerts", since, len(ids), created)
    return created
