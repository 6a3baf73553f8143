"""APScheduler 3 wiring: a crawl job per source, delivery, digests and the nightly saved-search
sweep, stored in the relational database (SQLAlchemy job store) so a restart keeps the
schedule.  Each job coalesces missed runs and never runs twice at once."""

from __future__ import annotations

import logging

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from ipsentry.service.context import AppContext

log = logging.getLogger(__name__)

# Sources crawled on a schedule by default; others are added as their spiders land.
SCHEDULED_SOURCES = (
    "federal_register",
    "fr_public_inspection",
    "usitc_ids",
    "edis_rss",
    "courtlistener",
    "pacer_rss",
    "uspto_daily",
    "euipo",
)

# The nightly saved-search sweep, in local time (settings.timezone): after the evening's
# crawls, before the morning's readers.
SWEEP_HOUR, SWEEP_MINUTE = 3, 30

# Job functions are looked up by reference ("module:function") by the job store, so they take
# no live objects as arguments: they read the process's context from here.
_context: AppContext | None = None


def _require_context() -> AppContext:
    if _context is None:
        raise RuntimeError("the scheduler's context is not set; start it with start_scheduler()")
    return _context


def crawl_job(source: str) -> None:
    from ipsentry.service.crawl import crawl_source

    crawl_source(_require_context(), source)


def delivery_job() -> None:
    from ipsentry.alerting.worker import DeliveryWorker

    context = _require_context()
    stats = DeliveryWorker(context.session_factory, context.settings).run_once()
    if stats.claimed:
        log.info("delivery: %s", stats)


def digest_job() -> None:
    from ipsentry.alerting.digest import send_digests

    context = _require_context()
    send_digests(context.session_factory, context.settings)


def saved_search_sweep_job() -> None:
    from ipsentry.service.sweep import sweep_saved_searches

    sweep_saved_searches(_require_context())


def build_scheduler(context: AppContext) -> BackgroundScheduler:
    global _context
    _context = context
    settings = context.settings
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=context.engine, tablename="apscheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=settings.timezone,
    )
    for source in SCHEDULED_SOURCES:
        scheduler.add_job(
            crawl_job,
            "interval",
            minutes=settings.crawl_interval_minutes,
            args=[source],
            id=f"crawl:{source}",
            name=f"crawl {source}",
            replace_existing=True,
        )
    scheduler.add_job(
        delivery_job,
        "interval",
        seconds=settings.delivery_interval_seconds,
        id="deliver",
        name="deliver alerts",
        replace_existing=True,
    )
    # Digests close at fixed local times; looking every 15 minutes makes them at most that late.
    scheduler.add_job(
        digest_job,
        "interval",
        minutes=15,
        id="digests",
        name="daily and weekly digests",
        replace_existing=True,
    )
    scheduler.add_job(
        saved_search_sweep_job,
        "cron",
        hour=SWEEP_HOUR,
        minute=SWEEP_MINUTE,
        id="sweep:saved-searches",
        name="nightly saved-search sweep",
        replace_existing=True,
    )
    return scheduler
