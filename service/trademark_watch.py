"""The ingest step of the trademark squatting watch: new trademark documents are screened against
every registered brand, and the documents that resemble one get a ``similar_mark`` match (with
its reasons and opposition deadline) before they are indexed and matched to subscriptions.

It goes in ``service/ingest.py`` (``ingest_batch``) right after the enterprise matcher has tagged
the batch: the matcher replaces a document's matches, and its party matches tell who filed::

    tagged = [matcher.tag(document) for document in documents]
    tagged = add_similar_marks(context, tagged)

The screen is built from the stored registry once, and again only when the registry changed
(as ``AppContext.matcher()`` does): building it is the expensive part (seconds for 100,000
brands), screening a batch is milliseconds.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select

from ipsentry.core.documents import Document, RiskKind, Role
from ipsentry.core.models import Enterprise
from ipsentry.core.registry_store import load_registry
from ipsentry.service.context import AppContext
from ipsentry.tagging.trademark_screen import SquatCandidate, TrademarkScreen, tag_trademark_matches

# Party matches that make the enterprise the filer: its own mark is no squat.
_FILER_ROLES = frozenset({Role.APPLICANT, Role.OWNER})


class TrademarkWatch:
    """A :class:`TrademarkScreen` of the current registry, rebuilt when the registry changes."""

    def __init__(self) -> None:
        self._screen: TrademarkScreen | None = None
        self._version: tuple[int, str] | None = None
        self._lock = threading.Lock()

    def screen(self, context: AppContext) -> TrademarkScreen:
        with context.session_factory() as session:
            count, newest = session.execute(
                select(func.count(Enterprise.id), func.max(Enterprise.updated_at))
            ).one()
            version = (int(count), str(newest))
            with self._lock:
                if self._screen is None or version != self._version:
                    self._screen = TrademarkScreen.build(load_registry(session))
                    self._version = version
                return self._screen


_watches: dict[int, TrademarkWatch] = {}
_watches_lock = threading.Lock()


def watch_of(context: AppContext) -> TrademarkWatch:
    """The context's watch (one per running context, dropped with it)."""
    key = id(context)
    with _watches_lock:
        watch = _watches.get(key)
        if watch is None:
            watch = _watches[key] = TrademarkWatch()
            weakref.finalize(context, _watches.pop, key, None)
        return watch


def add_similar_marks(
    context: AppContext, documents: Sequence[Document], *, watch: TrademarkWatch | None = None
) -> list[Document]:
    """``documents`` with a ``similar_mark`` match per enterprise whose brand a trademark
    document resembles (other documents unchanged, order kept).  An enterprise the matcher
    already found as the filer (applicant or owner, high confidence) is not squatted on by its
    own filing."""
    trademarks = [document for document in documents if document.kind == RiskKind.TRADEMARK]
    if not trademarks:
        return list(documents)
    screen = (watch or watch_of(context)).screen(context)
    found: dict[str, list[SquatCandidate]] = defaultdict(list)
    filers = {document.id: _filers(document) for document in trademarks}
    for candidate in screen.screen(trademarks):
        if candidate.enterprise_id not in filers[candidate.document_id]:
            found[candidate.document_id].append(candidate)
    return [
        tag_trademark_matches(document, found[document.id]) if document.id in found else document
        for document in documents
    ]


def _filers(document: Document) -> set[int]:
    return {
        match.enterprise_id
        for match in document.matches
        if match.kind == "party_name" and match.role in _FILER_ROLES and match.confidence == "high"
    }
