"""The delivery worker as a process of its own::

    python -m ipsentry.service.worker [--lease-seconds S] [--idle-seconds S] [--batch N] [--once]

It sends due outbox deliveries continuously (the scheduler's delivery job does the same every
``delivery_interval_seconds``; a process of its own delivers within a second of the ingest
commit).  Settings come from the environment (``IPSENTRY_DATABASE_URL``, …) as for the service.
SIGTERM or SIGINT: the chunk in hand is finished and recorded, then it exits 0.  Killed hard
(SIGKILL, out of memory, power loss), nothing is lost: what it had claimed is due again when
the lease runs out, and receivers drop the resent copies by their Idempotency-Key.  Several
may run at once: on PostgreSQL they split the work, on SQLite they take turns.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import fields
from datetime import timedelta
from types import FrameType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.worker import CLAIM_CHUNK, DeliveryWorker, WorkerStats
from ipsentry.config.settings import Settings, get_settings
from ipsentry.core.db import make_engine, make_session_factory

log = logging.getLogger("ipsentry.service.worker")

# How often the loop cancels what waits for disabled channels and fails abandoned sends: these
# are write transactions, too costly to run before every chunk.
HOUSEKEEPING_SECONDS = 5.0


def _add(total: WorkerStats, more: WorkerStats) -> None:
    for field in fields(WorkerStats):
        setattr(total, field.name, getattr(total, field.name) + getattr(more, field.name))


def run(
    session_factory: sessionmaker[Session],
    settings: Settings,
    stop: threading.Event,
    *,
    lease: timedelta | None = None,
    idle_seconds: float = 0.5,
    batch: int = CLAIM_CHUNK,
    once: bool = False,
) -> WorkerStats:
    """Deliver until ``stop`` is set (or, with ``once``, until nothing is due); ``stop`` is
    looked at between batches, so a small batch stops sooner."""
    worker = DeliveryWorker(session_factory, settings, lease=lease)
    totals = WorkerStats()
    housekept = float("-inf")
    while not stop.is_set():
        housekeeping = time.monotonic() - housekept >= HOUSEKEEPING_SECONDS
        if housekeeping:
            housekept = time.monotonic()
        stats = worker.run_once(limit=batch, housekeeping=housekeeping)
        _add(totals, stats)
        if not stats.claimed:
            if once:
                break
            stop.wait(idle_seconds)  # woken at once by a signal
    return totals


def make_worker_engine(url: str) -> Engine:
    """The worker's engine.  On PostgreSQL its commits do not wait for the disk
    (``synchronous_commit=off``): a claim or a result lost in a crash only means a resend, which
    at-least-once delivery with idempotency keys already allows, and the worker then commits
    several times per delivery at memory speed."""
    if url.startswith("postgresql"):
        return make_engine(url, connect_args={"options": "-c synchronous_commit=off"})
    return make_engine(url)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ipsentry.service.worker", description="Send due alert deliveries until SIGTERM."
    )
    parser.add_argument(
        "--lease-seconds",
        type=float,
        default=None,
        help="how long a claim lasts before another worker may resend it (default: from the timeouts)",
    )
    parser.add_argument("--idle-seconds", type=float, default=0.5, help="wait when nothing is due")
    parser.add_argument("--batch", type=int, default=CLAIM_CHUNK, help="deliveries between stop checks")
    parser.add_argument("--once", action="store_true", help="exit when nothing is due")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    settings = get_settings()
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s: finishing the deliveries in hand", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    engine = make_worker_engine(settings.resolved_database_url)
    lease = timedelta(seconds=args.lease_seconds) if args.lease_seconds else None
    log.info("delivery worker started (lease: %s)", lease or "default")
    try:
        totals = run(
            make_session_factory(engine),
            settings,
            stop,
            lease=lease,
            idle_seconds=args.idle_seconds,
            batch=args.batch,
            once=args.once,
        )
    finally:
        engine.dispose()
    log.info("delivery worker stopped: %s", totals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
