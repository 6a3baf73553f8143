"""The scheduler's jobs: the nightly saved-search sweep is scheduled like the others (coalesced,
one at a time) and alerts what the crawled batches missed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from ipsentry.config.settings import Settings
from ipsentry.core.db import make_session_factory, transaction
from ipsentry.core.documents import Document, RiskKind, utcnow
from ipsentry.core.models import Alert, Subscription
from ipsentry.service import scheduler
from ipsentry.service.context import AppContext, build_context
from ipsentry.service.ingest import ingest_batch


@pytest.fixture
def context(settings: Settings) -> Iterator[AppContext]:
    running = build_context(settings)
    yield running
    running.close()


def test_the_nightly_sweep_is_scheduled_once_a_night(context: AppContext) -> None:
    jobs = scheduler.build_scheduler(context)
    jobs.start(paused=True)
    try:
        job = jobs.get_job("sweep:saved-searches")
        assert job is not None
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert isinstance(job.trigger, CronTrigger)
        fields = {field.name: str(field) for field in job.trigger.fields}
        assert (fields["hour"], fields["minute"]) == ("3", "30")
        assert str(job.trigger.timezone) == context.settings.timezone
    finally:
        jobs.shutdown(wait=False)


def test_the_sweep_job_alerts_a_search_saved_after_its_document(context: AppContext) -> None:
    document = Document(
        id="fr:drones",
        source="federal_register",
        kind=RiskKind.ITC337,
        native_id="drones",
        title="Certain Drones and Components Thereof",
        fetched=utcnow(),
    )
    ingest_batch(context, [document])
    # Written by another process (not through this context's sessions): only the table knows.
    with transaction(make_session_factory(context.engine)) as session:
        session.add(Subscription(kind="search", query="drones"))
    scheduler.build_scheduler(context)  # sets the context the jobs read

    scheduler.saved_search_sweep_job()
    scheduler.saved_search_sweep_job()

    with context.session_factory() as session:
        assert session.scalars(select(Alert.document_id)).all() == ["fr:drones"]
