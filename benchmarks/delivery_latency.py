"""Alert delivery latency: from the commit of an ingested batch to the webhook's receipt.

    python benchmarks/delivery_latency.py                       # 10,000 subscriptions, SQLite
    python benchmarks/delivery_latency.py --database-url postgresql://u:p@127.0.0.1/empty_db
    python benchmarks/delivery_latency.py --quick

Sets up N enterprises, each watched by an enterprise subscription with its own signed webhook
channel, all pointing at ONE receiver on 127.0.0.1.  Each batch of documents names some of
the enterprises as respondents; it is ingested through the real matching (``create_alerts``
in one transaction, as the ingest pipeline does) while delivery workers run: the standalone
worker's loop (``ipsentry.service.worker.run``) in threads of this process, or the worker itself
as processes (``--processes``, as deployed on PostgreSQL).  Prints p50/p99 latency from the
commit to the receipt, deliveries per second, and as a baseline bare httpx POSTs of the same
bodies to the same receiver with the same parallelism (the cost of HTTP alone), with the
ratio.  The target is p99 ≤ 1 s."""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.matching import create_alerts
from ipsentry.config.settings import Settings
from ipsentry.core.db import make_engine, make_session_factory, migrate, transaction
from ipsentry.core.documents import Document, Match, RiskKind, Role
from ipsentry.core.models import Channel, Delivery, Enterprise, Subscription, SubscriptionChannel
from ipsentry.service.worker import run


class Receiver:
    """Records when each Idempotency-Key first arrived (monotonic clock of this process)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.monotonic()
                key = self.headers.get("Idempotency-Key", "")
                with receiver._lock:
                    receiver.arrived.setdefault(key, now)
                    if len(receiver.bodies) < 100:
                        receiver.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def count(self, keys: set[str]) -> int:
        with self._lock:
            return sum(1 for key in keys if key in self.arrived)


@contextmanager
def serving(receiver: Receiver) -> Iterator[Receiver]:
    thread = threading.Thread(
        target=receiver.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def populate(session_factory: sessionmaker[Session], size: int, url: str) -> list[int]:
    """``size`` enterprises, each with a watch and a webhook channel; returns enterprise ids."""
    now = datetime.now(UTC)
    with transaction(session_factory) as session:
        session.execute(
            insert(Enterprise),
            [{"external_id": f"E{n}", "name_zh": f"深圳市测试{n}科技有限公司", "created_at": now,
              "updated_at": now} for n in range(size)],
        )  # fmt: skip
        ids = list(session.scalars(select(Enterprise.id).order_by(Enterprise.id)))
        session.execute(
            insert(Channel),
            [{"kind": "webhook", "name": f"hook {n}", "target": url, "secret": f"secret-{n}",
              "language": "zh-CN", "enabled": True, "consecutive_failures": 0, "created_at": now,
              "enterprise_id": eid} for n, eid in enumerate(ids)],
        )  # fmt: skip
        channels = dict(session.execute(select(Channel.enterprise_id, Channel.id)).all())
        session.execute(
            insert(Subscription),
            [{"kind": "enterprise", "enterprise_id": eid, "name": f"watch {eid}", "min_severity": "low",
              "rate": "immediate", "active": True, "created_at": now} for eid in ids],
        )  # fmt: skip
        subscriptions = dict(session.execute(select(Subscription.enterprise_id, Subscription.id)).all())
        session.execute(
            insert(SubscriptionChannel),
            [{"subscription_id": subscriptions[eid], "channel_id": channels[eid]} for eid in ids],
        )
    return ids


def documents(batch: int, enterprises: list[int], rng: random.Random) -> list[Document]:
    named = rng.sample(enterprises, batch)
    return [
        Document(
            id=f"bench:{batch}:{eid}:{rng.getrandbits(64):x}",
            source="federal_register",
            kind=RiskKind.ITC337,
            native_id=str(eid),
            title="Certain Portable Power Stations; Institution of Investigation",
            summary="Notice is hereby given that a complaint was filed with the U.S. International Trade "
            "Commission.",
            published=date(2026, 2, 10),
            authority="USITC",
            case_numbers=[f"337-TA-{rng.getrandbits(32)}"],
            stage="institution",
            matches=[
                Match(
                    enterprise_id=eid, enterprise_name=f"测试{eid}", kind="party_name", role=Role.RESPONDENT
                )
            ],
        )
        for eid in named
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def wait_for(receiver: Receiver, keys: set[str], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while receiver.count(keys) < len(keys):
        if time.monotonic() > deadline:
            raise SystemExit(f"only {receiver.count(keys)} of {len(keys)} deliveries arrived")
        time.sleep(0.005)


def baseline(url: str, bodies: list[bytes], total: int, workers: int) -> float:
    """Deliveries/s of bare httpx POSTs, same parallelism; the receiver closes each connection,
    as it does for the channels' sends (a new, address-pinned connection each)."""
    per_thread = total // workers

    def post_loop(offset: int) -> None:
        with httpx.Client(trust_env=False) as client:
            for n in range(per_thread):
                body = bodies[(offset + n) % len(bodies)]
                client.post(url, content=body, headers={"Idempotency-Key": f"baseline-{offset}-{n}",
                                                          "Content-Type": "application/json"})  # fmt: skip

    threads = [threading.Thread(target=post_loop, args=(n * per_thread,)) for n in range(workers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_thread * workers / (time.monotonic() - started)


@contextmanager
def worker_threads(
    session_factory: sessionmaker[Session], settings: Settings, count: int, idle: float
) -> Iterator[None]:
    """Delivery workers as threads of this process (they share its GIL with the receiver)."""
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=run, args=(session_factory, settings, stop), kwargs={"idle_seconds": idle}, daemon=True
        )
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


@contextmanager
def worker_processes(database_url: str, work: str, count: int, idle: float) -> Iterator[None]:
    """Delivery workers as ``python -m ipsentry.service.worker`` processes, as deployed."""
    environment = {
        **os.environ,
        "IPSENTRY_ENVIRONMENT": "test",
        "IPSENTRY_DATABASE_URL": database_url,
        "IPSENTRY_DATA_DIR": work,
        "IPSENTRY_WEBHOOK_ALLOWLIST": '["127.0.0.1/32"]',
    }
    command = [sys.executable, "-m", "ipsentry.service.worker", "--idle-seconds", str(idle)]
    processes = [
        subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for process in processes:
            with suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=200, help="documents per batch, one alert each")
    parser.add_argument("--workers", type=int, default=2, help="delivery workers")
    parser.add_argument(
        "--processes",
        action="store_true",
        help="run the workers as `python -m ipsentry.service.worker` processes, not as threads",
    )
    parser.add_argument("--idle-seconds", type=float, default=0.05, help="a worker's poll interval when idle")
    parser.add_argument(
        "--database-url", help="an EMPTY database to use (default: SQLite in a temporary dir)"
    )
    parser.add_argument("--quick", action="store_true", help="1,000 subscriptions, 2 batches of 50")
    args = parser.parse_args()
    if args.quick:
        args.subscriptions, args.batches, args.batch_size = 1_000, 2, 50

    with tempfile.TemporaryDirectory(prefix="ipsentry-bench-") as work, serving(Receiver()) as receiver:
        url = args.database_url or f"sqlite:///{Path(work) / 'bench.sqlite'}"
        settings = Settings(environment="test", data_dir=Path(work), database_url=url,
                            webhook_allowlist=["127.0.0.1/32"])  # fmt: skip
        engine = make_engine(url)
        migrate(engine)
        session_factory = make_session_factory(engine)
        started = time.monotonic()
        enterprises = populate(session_factory, args.subscriptions, receiver.url)
        mode = "processes" if args.processes else "threads"
        print(f"{args.subscriptions:,} subscriptions set up in {time.monotonic() - started:.1f}s "
              f"({engine.dialect.name}, {args.workers} worker {mode})")  # fmt: skip

        if args.processes:
            workers = worker_processes(url, work, args.workers, args.idle_seconds)
        else:
            workers = worker_threads(session_factory, settings, args.workers, args.idle_seconds)
        rng = random.Random(7)
        latencies: list[float] = []
        ingest_seconds: list[float] = []
        busy = 0.0
        with workers:
            for _ in range(args.batches):
                batch = documents(args.batch_size, enterprises, rng)
                before = time.monotonic()
                with transaction(session_factory) as session:
                    alert_ids = [alert.id for alert in create_alerts(session, batch)]
                committed = time.monotonic()
                ingest_seconds.append(committed - before)
                with session_factory() as session:
                    keys = set(
                        session.scalars(
                            select(Delivery.idempotency_key).where(Delivery.alert_id.in_(alert_ids))
                        )
                    )
                wait_for(receiver, keys)
                arrivals = [receiver.arrived[key] for key in keys]
                latencies += [arrived - committed for arrived in arrivals]
                busy += max(arrivals) - committed
        delivered = len(latencies)
        rate = delivered / busy
        bare = baseline(receiver.url, receiver.bodies, max(delivered, 1000), args.workers)
        engine.dispose()

    print(f"ingest (create_alerts + commit) per batch of {args.batch_size}: "
          f"p50 {statistics.median(ingest_seconds) * 1000:.0f} ms")  # fmt: skip
    print(f"deliveries: {delivered:,} in {args.batches} batches")
    p99 = percentile(latencies, 0.99)
    print(f"latency commit → receipt: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
          f"(target p99 ≤ 1000 ms: {'met' if p99 <= 1.0 else 'NOT met'})")  # fmt: skip
    print(f"throughput: {rate:,.0f} deliveries/s; baseline bare httpx POST: {bare:,.0f}/s; "
          f"ratio {rate / bare:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
