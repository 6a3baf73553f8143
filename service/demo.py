"""``ipsentry demo``: the whole flow on the embedded default, offline.

Creates the database, imports the sample registry, replays the recorded Federal Register
responses through the real spider via the local fixture server, tags, indexes, alerts and
delivers (to a console channel), then reports what it did."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from ipsentry.alerting.worker import DeliveryWorker
from ipsentry.config.settings import REPO_ROOT, Settings
from ipsentry.core.db import transaction
from ipsentry.core.models import Alert, Channel, DocumentMatch, Enterprise, Subscription, User
from ipsentry.core.registry_io import read_registry_file
from ipsentry.core.registry_store import upsert_records
from ipsentry.core.security import hash_password
from ipsentry.core.users import create_user, issue_api_key
from ipsentry.crawlers.fixture_server import FixtureServer
from ipsentry.service.context import AppContext, build_context
from ipsentry.service.crawl import CrawlReport, crawl_source

SAMPLE_REGISTRY = REPO_ROOT / "config" / "sample_registry.json"
DEMO_SINCE = date(2015, 1, 1)
DEMO_ADMIN = "demo-admin"


@dataclass
class DemoReport:
    documents: int
    matches: int
    alerts: int
    delivered: int
    crawl: CrawlReport
    api_key: str
    password: str
    respondent_alerts: list[str]


def _ensure_registry_and_watches(context: AppContext, registry: Path) -> tuple[str, str]:
    """Imports the registry, makes sure the demo admin and an enterprise watch per enterprise
    exist, and returns a fresh API key and console password for the demo admin."""
    records, problems = read_registry_file(registry)
    if problems:
        raise ValueError(f"{registry}: {problems[0]}")
    with transaction(context.session_factory) as session:
        upsert_records(session, records)
        admin = session.scalar(select(User).where(User.username == DEMO_ADMIN))
        if admin is None:
            admin = create_user(session, username=DEMO_ADMIN, role="admin")
        password = secrets.token_urlsafe(9)  # new each run: it is printed, never stored in clear
        admin.password_hash = hash_password(password)
        api_key = issue_api_key(session, admin, name="demo")
        for enterprise in session.scalars(select(Enterprise)):
            exists = session.scalar(
                select(Subscription).where(
                    Subscription.enterprise_id == enterprise.id, Subscription.kind == "enterprise"
                )
            )
            if exists:
                continue
            console = Channel(
                owner_user_id=admin.id,
                enterprise_id=enterprise.id,
                kind="console",
                name="demo console",
                target="console",
            )
            session.add(
                Subscription(
                    owner_user_id=admin.id,
                    enterprise_id=enterprise.id,
                    kind="enterprise",
                    name=f"{enterprise.display_name} 风险监测",
                    min_severity="info",
                    channels=[console],
                )
            )
    return api_key, password


def run_demo(
    settings: Settings, *, registry: Path = SAMPLE_REGISTRY
) -> tuple[DemoReport, AppContext, FixtureServer]:
    """Runs the demo; returns the report, the live context and the (running) fixture server,
    which the caller stops (``serve`` keeps both alive while the API runs)."""
    server = FixtureServer(settings.samples_dir)
    server.start()
    sources = settings.sources.model_copy(update={"federal_register": server.url})
    # The fixture server is on this machine: the politeness owed to the real site is not needed.
    settings = settings.model_copy(update={"sources": sources, "federal_register_max_rps": 100.0})
    context = build_context(settings)
    api_key, password = _ensure_registry_and_watches(context, registry)
    crawl = crawl_source(context, "federal_register", since=DEMO_SINCE)
    worker = DeliveryWorker(context.session_factory, settings)
    delivered = 0
    while True:
        stats = worker.run_once()
        delivered += stats.delivered
        if not stats.claimed:
            break
    with context.session_factory() as session:
        matches = session.scalar(select(func.count(DocumentMatch.id))) or 0
        alerts = session.scalar(select(func.count(Alert.id))) or 0
        respondent_alerts = [
            f"{(alert.payload.get('enterprise') or {}).get('name')} — {alert.document_id}"
            f" ({alert.severity}, {alert.stage})"
            for alert in session.scalars(select(Alert).order_by(Alert.id))
            if alert.severity in ("high", "critical")
        ]
    report = DemoReport(
        documents=context.index.count(),
        matches=matches,
        alerts=alerts,
        delivered=delivered,
        crawl=crawl,
        api_key=api_key,
        password=password,
        respondent_alerts=respondent_alerts,
    )
    return report, context, server
