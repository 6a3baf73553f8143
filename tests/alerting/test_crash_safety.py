"""Crash safety: the delivery worker process killed with SIGKILL in the middle of a batch and
started again delivers every alert, and a receiver that dedupes by Idempotency-Key ends with
exactly one accepted payload per key (resends are allowed on the wire: at-least-once)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.matching import create_alerts
from ipsentry.alerting.signing import verify
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Match
from ipsentry.core.models import Delivery

from .conftest import Registry

ALERTS = 200
SECRET = "crash-test-secret"
KILL_AFTER = 40  # accepted payloads before the worker is killed
POLL = 0.05
DEADLINE = 120.0  # seconds any wait may take before the test gives up (never reached when healthy)


class IdempotentReceiver:
    """A webhook receiver as the documentation tells receivers to be: verify the signature,
    accept a key's payload once, answer a repeat with 200 without accepting it again.  Answers
    slowly (20 ms) so a batch takes long enough to be killed in the middle."""

    def __init__(self) -> None:
        self.accepted: dict[str, bytes] = {}
        self.accept_log: list[str] = []
        self.seen_again: Counter[str] = Counter()
        self.resent_bodies: list[tuple[str, bytes]] = []
        self.bad_signatures = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(0.02)
                key = self.headers["Idempotency-Key"]
                signed = verify(
                    SECRET, self.headers["X-Ipsentry-Timestamp"], body, self.headers["X-Ipsentry-Signature"]
                )
                with receiver._lock:
                    if not signed:
                        receiver.bad_signatures += 1
                    elif key in receiver.accepted:
                        receiver.seen_again[key] += 1
                        receiver.resent_bodies.append((key, body))
                    else:
                        receiver.accepted[key] = body
                        receiver.accept_log.append(key)
                self.send_response(200 if signed else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def accepted_count(self) -> int:
        with self._lock:
            return len(self.accepted)

    def __enter__(self) -> IdempotentReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def idempotent_receiver() -> Iterator[IdempotentReceiver]:
    with IdempotentReceiver() as receiver:
        yield receiver


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Polls ``condition``; fails with ``what`` if it never holds (a hang, not a slow machine)."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(POLL)


def start_worker(database_url: str, tmp_path: Path, log_name: str) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "IPSENTRY_ENVIRONMENT": "test",
        "IPSENTRY_DATABASE_URL": database_url,
        "IPSENTRY_DATA_DIR": str(tmp_path / "var"),
        "IPSENTRY_WEBHOOK_ALLOWLIST": '["127.0.0.1/32"]',
        "IPSENTRY_RETRY_SCHEDULE": "[1, 1, 1]",
    }
    log = (tmp_path / log_name).open("wb")
    command = [
        sys.executable,
        "-m",
        "ipsentry.service.worker",
        "--lease-seconds",
        "2",
        "--idle-seconds",
        "0.1",
    ]
    return subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)


def statuses(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with session_factory() as session:
        rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
        return {status: count for status, count in rows}


def test_a_worker_killed_mid_batch_and_restarted_delivers_every_alert_once(
    idempotent_receiver: IdempotentReceiver,
    registry: Registry,
    session_factory: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
    make_doc: Callable[..., Document],
    respondent_match: Callable[..., Match],
) -> None:
    enterprise = registry.enterprise("E1", name_zh="深圳市利世安科技有限公司")
    hook = registry.channel(idempotent_receiver.url, secret=SECRET)
    registry.subscription("enterprise", enterprise_id=enterprise, channels=(hook,))
    documents = [
        make_doc(f"fr:2026-{i}", case=f"337-TA-{i}", matches=[respondent_match(enterprise)])
        for i in range(ALERTS)
    ]
    with transaction(session_factory) as session:
        assert len(create_alerts(session, documents)) == ALERTS
    with session_factory() as session:
        keys = set(session.scalars(select(Delivery.idempotency_key)))

    first = start_worker(database_url, tmp_path, "worker-1.log")
    try:
        wait_until(lambda: idempotent_receiver.accepted_count() >= KILL_AFTER, "the first worker to deliver")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    accepted_before_restart = idempotent_receiver.accepted_count()
    assert first.returncode == -signal.SIGKILL
    assert KILL_AFTER <= accepted_before_restart < ALERTS  # killed in the middle of the batch

    second = start_worker(database_url, tmp_path, "worker-2.log")
    try:
        wait_until(
            lambda: statuses(session_factory) == {"delivered": ALERTS}, "every delivery to be delivered"
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert second.returncode == 0, (tmp_path / "worker-2.log").read_text()

    assert idempotent_receiver.bad_signatures == 0
    assert set(idempotent_receiver.accepted) == keys  # none missing, none unknown
    assert len(idempotent_receiver.accept_log) == len(set(idempotent_receiver.accept_log)) == ALERTS
    # A resend is the same payload, not a new message: dropping it loses nothing.
    for key, body in idempotent_receiver.resent_bodies:
        assert body == idempotent_receiver.accepted[key]
        assert json.loads(body)["id"] == key
