"""Everything a running ipsentry needs, built once from settings: the database, the document
index, the enterprise matcher (rebuilt when the registry changes) and the saved-search matcher
(percolator queries on a cluster, queries over the batch on the embedded index), which follows
the subscriptions table (``alerting/saved_searches.py``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.saved_searches import (
    SyncReport,
    stored_searches,
    sync_saved_searches,
    watch_subscriptions,
)
from ipsentry.config.settings import Settings
from ipsentry.core.db import make_engine, make_session_factory, migrate
from ipsentry.core.models import Enterprise
from ipsentry.core.registry_store import load_registry
from ipsentry.search.factory import open_index, open_saved_search_matcher
from ipsentry.search.index import DocumentIndex
from ipsentry.search.percolate import SavedSearchMatcher
from ipsentry.tagging.matcher import EnterpriseMatcher


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    index: DocumentIndex
    _matcher: EnterpriseMatcher | None = None
    _matcher_version: tuple[int, str] | None = None
    _saved_searches: SavedSearchMatcher | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _saved_lock: threading.Lock = field(default_factory=threading.Lock)

    def matcher(self) -> EnterpriseMatcher:
        """The matcher over the current registry; rebuilt only when the registry changed
        (count or newest update differ), since building is the expensive part."""
        with self.session_factory() as session:
            count, newest = session.execute(
                select(func.count(Enterprise.id), func.max(Enterprise.updated_at))
            ).one()
            version = (int(count), str(newest))
            with self._lock:
                if self._matcher is None or version != self._matcher_version:
                    self._matcher = EnterpriseMatcher.build(load_registry(session))
                    self._matcher_version = version
                return self._matcher

    @property
    def saved_search_matcher(self) -> SavedSearchMatcher:
        """The saved-search matcher as it stands (made on first use; on a cluster that creates
        its index)."""
        with self._saved_lock:
            if self._saved_searches is None:
                self._saved_searches = open_saved_search_matcher(self.index)
            return self._saved_searches

    def saved_searches(self) -> SavedSearchMatcher:
        """The saved-search matcher, in step with the subscriptions table.  A cluster's registry
        is shared by every process and follows each write as it commits; a registry in this
        process's memory (the embedded matcher) is brought in step here, since another process
        may have written the subscription."""
        matcher = self.saved_search_matcher
        if not matcher.shared:
            self.sync_saved_searches()
        return matcher

    def sync_saved_searches(self) -> SyncReport:
        """Registers every search subscription of the table and removes what it no longer has:
        the "ensure" step at start, after a reindex and before the nightly sweep."""
        matcher = self.saved_search_matcher
        with self.session_factory() as session:
            wanted = stored_searches(session)
        with self._saved_lock:  # two syncs at once would both register the same searches
            return sync_saved_searches(matcher, wanted)

    def close(self) -> None:
        self.index.close()
        self.engine.dispose()


def build_context(settings: Settings, *, run_migrations: bool = True) -> AppContext:
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url)
    if run_migrations:
        migrate(engine)
    context = AppContext(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        index=open_index(settings),
    )
    # Search subscriptions written through this context are registered as they commit.
    watch_subscriptions(context.session_factory, lambda: context.saved_search_matcher)
    return context
