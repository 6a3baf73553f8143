"""Everything a running ipsentry needs, built once from settings: the database, the document
index and the enterprise matcher (rebuilt when the registry changes)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.config.settings import Settings
from ipsentry.core.db import make_engine, make_session_factory, migrate
from ipsentry.core.models import Enterprise
from ipsentry.core.registry_store import load_registry
from ipsentry.search.factory import open_index
from ipsentry.search.index import DocumentIndex
from ipsentry.tagging.matcher import EnterpriseMatcher


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    index: DocumentIndex
    _matcher: EnterpriseMatcher | None = None
    _matcher_version: tuple[int, str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

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

    def close(self) -> None:
        self.index.close()
        self.engine.dispose()


def build_context(settings: Settings, *, run_migrations: bool = True) -> AppContext:
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url)
    if run_migrations:
        migrate(engine)
    return AppContext(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        index=open_index(settings),
    )
