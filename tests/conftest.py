"""Shared fixtures: a fresh data directory and a fresh database per test, on SQLite always
and on PostgreSQL when ``IPSENTRY_TEST_POSTGRES_URL`` names a server (CI starts one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.config.settings import Settings
from ipsentry.core.db import make_engine, make_session_factory, migrate

from .alerting.receiver import Receiver

POSTGRES_URL = os.environ.get("IPSENTRY_TEST_POSTGRES_URL")
SAMPLES = Settings().samples_dir


@pytest.fixture
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        pytest.fail(f"the shared samples are missing at {SAMPLES} (set IPSENTRY_SAMPLES_DIR)")
    return SAMPLES


def _postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    if not POSTGRES_URL:
        if os.environ.get("IPSENTRY_REQUIRE_POSTGRES") == "1":
            pytest.fail("IPSENTRY_REQUIRE_POSTGRES=1 but IPSENTRY_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need IPSENTRY_TEST_POSTGRES_URL (.ci/run sets it)")
    admin_url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"ipsentry_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that asks for it runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ipsentry.sqlite'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """For tests that are about something other than the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'ipsentry.sqlite'}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "var",
        database_url=database_url,
        samples_dir=SAMPLES,
        webhook_allowlist=["127.0.0.1/32"],
        # Spiders talk to the local fixture server: no politeness delay needed (tests of the
        # rate limit set their own).
        federal_register_max_rps=100.0,
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1, stopped after the test."""
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture
def fixture_server(samples_dir: Path) -> Iterator[Any]:
    """The local stand-in for the public sources, serving the recorded real responses."""
    from ipsentry.crawlers.fixture_server import FixtureServer

    with FixtureServer(samples_dir) as server:
        yield server


@pytest.fixture
def app_context(settings: Settings, fixture_server: Any) -> Iterator[Any]:
    """A running ipsentry (database migrated, empty index) whose sources are the fixture server."""
    from ipsentry.service.context import build_context

    sources = settings.sources.model_copy(update={"federal_register": fixture_server.url})
    context = build_context(settings.model_copy(update={"sources": sources}))
    yield context
    context.close()
