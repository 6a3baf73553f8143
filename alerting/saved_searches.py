"""Search subscriptions (kind ``search``) and the saved-search matcher (``search/percolate.py``):
what a subscription registers, keeping the matcher in step with the subscriptions table, and a
batch's saved-search matches, computed once for every search subscription.

The subscriptions table is the record; the matcher follows it:

- ``watch_subscriptions`` hooks a session factory: a search subscription inserted, changed or
  deleted (directly, or with its enterprise or owner) is registered or removed when its
  transaction commits, never before, so a rolled-back write leaves no trace;
- ``sync_saved_searches`` compares the whole registry with the table and repairs it: at start,
  after a reindex and before the nightly sweep on a cluster (a fresh index, a registration that
  failed while the cluster was away), before every batch for a registry held in process memory
  (the embedded matcher: the subscription may have been written by another process).

What a batch's matching could not see (a registration missing at the time, a search saved after
the document arrived) is caught by the nightly sweep (``service/sweep.py``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect, or_, select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.core.documents import Document
from ipsentry.core.models import Enterprise, Subscription, User
from ipsentry.search.index import DocumentIndex
from ipsentry.search.percolate import BatchMatches, IndexQueryMatcher, SavedSearch, SavedSearchMatcher

log = logging.getLogger(__name__)

SEARCH = "search"

SavedMatches = dict[int, dict[str, tuple[str, ...]]]
"""subscription id -> document id -> names of the query clauses the document satisfied."""

# What a registered saved search is made of: a change to any of these re-registers it.
_REGISTERED = ("kind", "query", "active", "enterprise_id", "owner_user_id")
_PENDING = "ipsentry.saved_search_changes"  # session.info key: subscription id -> search or None


def owner_of(subscription: Subscription) -> str | None:
    """Whose saved search it is, as the matcher's ``owners`` filter names them."""
    if subscription.enterprise_id is not None:
        return f"enterprise:{subscription.enterprise_id}"
    if subscription.owner_user_id is not None:
        return f"user:{subscription.owner_user_id}"
    return None


def saved_search_of(subscription: Subscription) -> SavedSearch | None:
    """The saved search a subscription registers; None for other kinds and an empty query."""
    query = (subscription.query or "").strip()
    if subscription.kind != SEARCH or not query or subscription.id is None:
        return None
    return SavedSearch(
        str(subscription.id),
        query,
        owner=owner_of(subscription),
        active=subscription.active is not False,  # None before the insert applied the default
    )


def stored_searches(session: Session) -> list[SavedSearch]:
    """Every search subscription of the table (paused ones too, registered as inactive)."""
    rows = session.scalars(select(Subscription).where(Subscription.kind == SEARCH).order_by(Subscription.id))
    return [search for search in map(saved_search_of, rows) if search is not None]


@dataclass
class SyncReport:
    registered: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # subscription id -> why


def sync_saved_searches(matcher: SavedSearchMatcher, wanted: Iterable[SavedSearch]) -> SyncReport:
    """Brings the matcher's registry in step with ``wanted`` (the table's searches): registers
    what is missing or different, removes what the table no longer has.  A query the matcher
    refuses is logged and left out (the table's query is the one that counts, so an older
    registered version is removed)."""
    wanted_by_id = {search.subscription_id: search for search in wanted}
    current = {search.subscription_id: search for search in matcher.saved_searches()}
    changed = [search for sid, search in wanted_by_id.items() if current.get(sid) != search]
    refused = matcher.register_many(changed) if changed else {}
    for sid, reason in refused.items():
        log.warning("subscription %s: saved search not registered: %s", sid, reason)
    removed = [sid for sid in current if sid not in wanted_by_id or sid in refused]
    for sid in removed:
        matcher.remove(sid)
    report = SyncReport(
        [s.subscription_id for s in changed if s.subscription_id not in refused], removed, refused
    )
    if report.registered or report.removed:
        log.info("saved searches: %d registered, %d removed", len(report.registered), len(report.removed))
    return report


# --------------------------------------------------------------------------- matching a batch


def by_subscription(found: BatchMatches, subscription_ids: Collection[int]) -> SavedMatches:
    """The matches of these subscriptions, by subscription then document."""
    result: SavedMatches = {}
    for document_id, matches in found.items():
        for sid, clauses in matches:
            # The matcher may still hold a search the table no longer has (or has paused):
            # only the subscriptions being alerted count.
            if sid.isdigit() and int(sid) in subscription_ids:
                result.setdefault(int(sid), {})[document_id] = tuple(clauses)
    return result


def match_saved_searches(
    matcher: SavedSearchMatcher | None,
    documents: Sequence[Document],
    subscriptions: Sequence[Subscription],
    *,
    index: DocumentIndex | None = None,
) -> SavedMatches:
    """The documents each of these search subscriptions selects, matched once for all of them.
    Without a matcher, the searches are run over the batch in ``index`` (which must hold it).
    A matcher that fails leaves the batch without saved-search hits, logged: the other
    subscriptions' alerts stand, and the nightly sweep catches up."""
    searches = [subscription for subscription in subscriptions if subscription.kind == SEARCH]
    if not searches or not documents:
        return {}
    if matcher is None:
        if index is None:
            log.warning(
                "saved searches %s not evaluated: no matcher or index given", [s.id for s in searches]
            )
            return {}
        matcher = IndexQueryMatcher(index)
        sync_saved_searches(matcher, [s for s in map(saved_search_of, searches) if s is not None])
    try:
        found = matcher.match_batch(documents)
    except Exception:  # the cluster, or a stored query it cannot run: never the whole batch
        log.exception("saved searches not matched for %d documents; the nightly sweep will", len(documents))
        return {}
    return by_subscription(found, {subscription.id for subscription in searches})


# --------------------------------------------------------------------------- following writes


def _pending(session: Session) -> dict[str, SavedSearch | None]:
    return session.info.setdefault(_PENDING, {})  # type: ignore[no-any-return]


def _was_search(subscription: Subscription) -> bool:
    return SEARCH in (inspect(subscription).attrs.kind.history.deleted or ())


def _note_cascades(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush deletes an enterprise or a user, the search subscriptions the database
    will delete with it (ON DELETE CASCADE) are noted for removal."""
    enterprises = [o.id for o in session.deleted if isinstance(o, Enterprise) and o.id is not None]
    users = [o.id for o in session.deleted if isinstance(o, User) and o.id is not None]
    if not (enterprises or users):
        return
    with session.no_autoflush:
        ids = session.scalars(
            select(Subscription.id).where(
                Subscription.kind == SEARCH,
                or_(Subscription.enterprise_id.in_(enterprises), Subscription.owner_user_id.in_(users)),
            )
        ).all()
    _pending(session).update({str(sid): None for sid in ids})


def _note_changes(session: Session, _context: Any) -> None:
    """After a flush (ids assigned, history not yet reset): the search subscriptions written."""
    for subscription in (*session.new, *session.dirty):
        if not isinstance(subscription, Subscription):
            continue
        if subscription.kind == SEARCH:
            state = inspect(subscription)
            if subscription in session.new or any(state.attrs[n].history.has_changes() for n in _REGISTERED):
                _pending(session)[str(subscription.id)] = saved_search_of(subscription)
        elif _was_search(subscription):
            _pending(session)[str(subscription.id)] = None
    for subscription in session.deleted:
        if isinstance(subscription, Subscription) and (
            subscription.kind == SEARCH or _was_search(subscription)
        ):
            _pending(session)[str(subscription.id)] = None


def _apply(matcher_of: Callable[[], SavedSearchMatcher], session: Session) -> None:
    """After the commit: the noted searches registered or removed.  A failure is logged, not
    raised (the subscription is committed; the next sync registers it, the sweep catches up)."""
    pending: dict[str, SavedSearch | None] = session.info.pop(_PENDING, None) or {}
    if not pending:
        return
    try:
        matcher = matcher_of()
        searches = [search for search in pending.values() if search is not None]
        refused = matcher.register_many(searches) if searches else {}
        for sid, reason in refused.items():
            log.warning("subscription %s: saved search not registered: %s", sid, reason)
        for sid, search in pending.items():
            if search is None or sid in refused:
                matcher.remove(sid)
    except Exception:
        log.exception(
            "saved searches of subscriptions %s not brought in step; the next sync will", sorted(pending)
        )


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def watch_subscriptions(
    session_factory: sessionmaker[Session], matcher_of: Callable[[], SavedSearchMatcher]
) -> None:
    """Every session of ``session_factory`` registers the search subscriptions it writes (or
    removes those it deletes) in ``matcher_of()`` once its transaction commits."""
    event.listen(session_factory, "before_flush", _note_cascades)
    event.listen(session_factory, "after_flush", _note_changes)

    def apply(session: Session) -> None:
        _apply(matcher_of, session)

    event.listen(session_factory, "after_commit", apply)
    event.listen(session_factory, "after_rollback", _forget)


__all__ = [
    "SEARCH",
    "SavedMatches",
    "SyncReport",
    "by_subscription",
    "match_saved_searches",
    "owner_of",
    "saved_search_of",
    "stored_searches",
    "sync_saved_searches",
    "watch_subscriptions",
]
