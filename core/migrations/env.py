"""Alembic environment: runs on the connection handed in by ``core.db.migrate`` or on
``IPSENTRY_DATABASE_URL`` when called from the alembic command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from ipsentry.config.settings import get_settings
from ipsentry.core.db import make_engine, migration_connection
from ipsentry.core.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(get_settings().resolved_database_url)
    with migration_connection(engine) as conn:
        _run(conn)
