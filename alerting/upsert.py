"""INSERT … ON CONFLICT for the two databases we run on.

Duplicates are skipped by the database itself rather than by catching IntegrityError in a
savepoint: that is exact under concurrency on PostgreSQL (the insert waits for the other
transaction and then skips) and needs no SAVEPOINT, which the pysqlite driver mishandles
(its savepoint release can commit the enclosing transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert_insert(session: Session, target: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into ``target`` (mapped class or table) supporting ``on_conflict_do_*``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(target)
    if dialect == "sqlite":
        return sqlite.insert(target)
    raise NotImplementedError(f"no INSERT … ON CONFLICT for {dialect}")
