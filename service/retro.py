"""Retro-matching: when enterprises are added or changed, the documents already stored are
tagged again, so a newly registered enterprise sees its existing risks at once."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ipsentry.alerting.matching import create_alerts, record_matches
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document
from ipsentry.service.context import AppContext

log = logging.getLogger(__name__)


def _match_key(document: Document) -> list[tuple[int, str, str]]:
    return sorted((m.enterprise_id, m.kind, m.role.value) for m in document.matches)


def retro_match(context: AppContext, enterprise_ids: Sequence[int] = ()) -> int:
    """Re-tags every stored document; writes those whose matches changed.  Returns how many
    documents changed.  ``enterprise_ids`` only narrows the log line: a changed enterprise can
    also LOSE matches, so every document is looked at."""
    matcher = context.matcher()
    changed_total = 0
    for batch in context.index.iter_documents():
        changed = [
            tagged
            for stored, tagged in ((document, matcher.tag(document)) for document in batch)
            if _match_key(tagged) != _match_key(stored)
        ]
        if not changed:
            continue
        context.index.upsert(changed)
        saved_searches = context.saved_searches()
        with transaction(context.session_factory) as session:
            record_matches(session, changed)
            create_alerts(session, changed, saved_searches=saved_searches)
        changed_total += len(changed)
    log.info("retro-match for enterprises %s: %d documents changed", list(enterprise_ids), changed_total)
    return changed_total
