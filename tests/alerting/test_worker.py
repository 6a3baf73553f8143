"""The delivery worker against real receivers: retries, exactly-once per key at the receiver,
disabling a failing channel, crash recovery, and concurrent workers."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.channel_health import FAILURES_BEFORE_DISABLE, reenable_channel
from ipsentry.alerting.matching import create_alerts
from ipsentry.alerting.notices import Notice
from ipsentry.alerting.outbox import Claim, claim_due, settle
from ipsentry.alerting.signing import verify
from ipsentry.alerting.worker import DeliveryWorker, WorkerStats
from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Match
from ipsentry.core.models import Alert, Channel, Delivery, DeliveryAttempt

from .conftest import Clock, Registry
from .receiver import Receiver, Reply

SECRET = "s3cret-for-tests"
MakeDoc = Callable[..., Document]
MakeMatch = Callable[..., Match]


class Setup:
    """One enterprise watched by one subscription with one channel; alerts raised at the
    clock's now, where the enterprise is named a respondent."""

    def __init__(
        self,
        registry: Registry,
        session_factory: sessionmaker[Session],
        make_doc: MakeDoc,
        match: MakeMatch,
        clock: Clock,
        target: str,
        **channel: Any,
    ) -> None:
        self.session_factory = session_factory
        self.make_doc, self.match, self.clock = make_doc, match, clock
        self.enterprise = registry.enterprise("E1", name_zh="深圳市利世安科技有限公司")
        self.channel = registry.channel(target, name="ops hook", secret=SECRET, **channel)
        self.subscription = registry.subscription(
            "enterprise", enterprise_id=self.enterprise, channels=(self.channel,)
        )

    def alert(self, n: int = 1) -> list[Alert]:
        """``n`` alerts, each about another case."""
        return self.alert_on([(f"fr:2026-{i}", f"337-TA-{i}") for i in range(n)])

    def alert_on(self, notices: list[tuple[str, str]]) -> list[Alert]:
        """The alerts of these (document id, case) notices, each naming the enterprise."""
        docs = [self.make_doc(doc, case=case, matches=[self.match(self.enterprise)]) for doc, case in notices]
        with transaction(self.session_factory) as session:
            return create_alerts(session, docs, now=self.clock.now)

    def claim(self, *, lease: float, limit: int) -> list[Claim]:
        """What a worker claims at the clock's now, leased for ``lease`` seconds."""
        with transaction(self.session_factory) as session:
            return claim_due(
                session,
                now=self.clock.now,
                lease_until=self.clock.now + timedelta(seconds=lease),
                limit=limit,
                kinds=["webhook"],
                max_attempts=4,
            )

    def delivery(self) -> Delivery:
        with self.session_factory() as session:
            return session.scalars(select(Delivery)).one()

    def attempts(self) -> list[DeliveryAttempt]:
        with self.session_factory() as session:
            return list(session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)))

    def channel_row(self) -> Channel:
        with self.session_factory() as session:
            return session.get_one(Channel, self.channel)


@pytest.fixture
def make_setup(
    registry: Registry,
    session_factory: sessionmaker[Session],
    make_doc: MakeDoc,
    respondent_match: MakeMatch,
    clock: Clock,
) -> Callable[..., Setup]:
    """A Setup whose channel sends to ``target`` (``channel``: its other columns)."""

    def make(target: str, **channel: Any) -> Setup:
        return Setup(registry, session_factory, make_doc, respondent_match, clock, target, **channel)

    return make


@pytest.fixture
def setup(make_setup: Callable[..., Setup], receiver: Receiver) -> Setup:
    return make_setup(f"{receiver.url}/hook")


@pytest.fixture
def worker(session_factory: sessionmaker[Session], fast_settings: Settings, clock: Clock) -> DeliveryWorker:
    return DeliveryWorker(session_factory, fast_settings, clock=clock)


def test_the_receiver_gets_the_alert_signed_and_the_attempt_is_logged(
    setup: Setup, worker: DeliveryWorker, receiver: Receiver, clock: Clock
) -> None:
    [alert] = setup.alert()

    stats = worker.run_once()

    assert stats == WorkerStats(claimed=1, delivered=1)
    [request] = receiver.requests
    headers = request.headers
    assert verify(SECRET, headers["x-ipsentry-timestamp"], request.body, headers["x-ipsentry-signature"], 300)
    envelope = json.loads(request.body)
    delivery = setup.delivery()
    assert envelope["id"] == headers["idempotency-key"] == delivery.idempotency_key
    assert envelope["alert"] == {"id": alert.id, **alert.payload}
    assert envelope["alert"]["enterprise"]["role"] == "respondent"
    assert (delivery.status, delivery.attempts, delivery.delivered_at) == ("delivered", 1, clock.now)
    [attempt] = setup.attempts()
    assert (attempt.ok, attempt.status_code, attempt.response_excerpt, attempt.error) == (
        True,
        200,
        '{"ok":true}',
        None,
    )
    assert attempt.duration_ms > 0
    assert worker.run_once() == WorkerStats()  # nothing left to do


def test_a_receiver_failing_twice_gets_the_alert_once_it_recovers(
    setup: Setup, worker: DeliveryWorker, receiver: Receiver, clock: Clock
) -> None:
    setup.alert()
    receiver.script(Reply(500, b"down"), Reply(503, b"maintenance"))

    assert worker.run_once() == WorkerStats(claimed=1, retried=1)
    assert worker.run_once() == WorkerStats()  # not due before the first retry delay (10 s)
    first_retry = setup.delivery().next_attempt_at
    assert timedelta(seconds=10) <= first_retry - clock.now <= timedelta(seconds=11)  # 10 % jitter at most

    clock.advance(11)
    assert worker.run_once() == WorkerStats(claimed=1, retried=1)
    clock.advance(22)
    assert worker.run_once() == WorkerStats(claimed=1, delivered=1)
    clock.advance(3600)
    assert worker.run_once() == WorkerStats()

    keys = {request.headers["idempotency-key"] for request in receiver.requests}
    assert len(receiver.requests) == 3 and len(keys) == 1  # the same message, retried
    assert [(a.ok, a.status_code, a.response_excerpt) for a in setup.attempts()] == [
        (False, 500, "down"),
        (False, 503, "maintenance"),
        (True, 200, '{"ok":true}'),
    ]
    delivery = setup.delivery()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)


def test_retries_stop_when_the_schedule_is_exhausted(
    setup: Setup, worker: DeliveryWorker, receiver: Receiver, clock: Clock
) -> None:
    setup.alert()
    receiver.default = Reply(502, b"bad gateway")

    totals = WorkerStats()
    for _ in range(6):
        stats = worker.run_once()
        totals.retried += stats.retried
        totals.failed += stats.failed
        clock.advance(60)

    assert (totals.retried, totals.failed) == (3, 1)  # schedule [10, 20, 40]: four tries in all
    assert len(receiver.requests) == 4
    delivery = setup.delivery()
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == ("failed", 502, "HTTP 502")
    assert setup.channel_row().consecutive_failures == 1 and setup.channel_row().enabled


def test_a_redirecting_receiver_fails_at_once_without_being_followed(
    setup: Setup, worker: DeliveryWorker, make_receiver, receiver: Receiver
) -> None:
    elsewhere = make_receiver()
    receiver.script(Reply(307, b"", {"Location": f"{elsewhere.url}/hook"}))
    setup.alert()

    assert worker.run_once() == WorkerStats(claimed=1, failed=1)
    assert elsewhere.requests == []
    assert "not followed" in (setup.delivery().last_error or "")


def test_a_channel_that_keeps_failing_is_disabled_and_its_owner_told(
    setup: Setup, worker: DeliveryWorker, receiver: Receiver, clock: Clock
) -> None:
    receiver.default = Reply(410, b"this hook was removed")
    setup.alert(n=FAILURES_BEFORE_DISABLE + 2)

    stats = worker.run_once()

    assert stats == WorkerStats(claimed=7, failed=5, disabled=1, cancelled=2)
    assert len(receiver.requests) == FAILURES_BEFORE_DISABLE  # nothing sent once it was disabled
    channel = setup.channel_row()
    assert not channel.enabled and channel.disabled_reason == "HTTP 410"
    with setup.session_factory() as session:
        [notice] = session.scalars(select(Notice)).all()
        statuses = sorted(session.scalars(select(Delivery.status)))
    assert notice.kind == "channel_disabled" and notice.data["channel_id"] == setup.channel
    assert "ops hook" in notice.message and "已停用" in notice.message  # the channel speaks zh-CN
    assert "/hook" not in notice.message  # only scheme and host: paths may hold tokens
    assert statuses == ["cancelled"] * 2 + ["failed"] * 5

    clock.advance(3600)
    assert len(setup.alert_on([("fr:2026-later", "337-TA-99")])) == 1  # still alerted…
    assert worker.run_once() == WorkerStats()  # …but nothing is queued for a disabled channel


def test_re_enabling_a_channel_replays_what_is_still_fresh(
    setup: Setup, worker: DeliveryWorker, receiver: Receiver, clock: Clock
) -> None:
    receiver.default = Reply(401, b"bad signature")
    setup.alert(n=FAILURES_BEFORE_DISABLE + 1)  # 2 days before "now"
    worker.run_once()
    assert not setup.channel_row().enabled
    clock.advance(2 * 86400)
    # Raised while the channel was off: the alert is kept, no delivery is queued for it.
    [fresh] = setup.alert_on([("fr:2026-fresh", "337-TA-99")])
    receiver.requests.clear()
    receiver.default = Reply(200)

    with transaction(setup.session_factory) as session:
        replayed = reenable_channel(session, setup.channel, replay_max_age=timedelta(days=1), now=clock.now)

    assert replayed == 1
    channel = setup.channel_row()
    assert (channel.enabled, channel.consecutive_failures, channel.disabled_reason) == (True, 0, None)
    assert worker.run_once() == WorkerStats(claimed=1, delivered=1)
    assert [json.loads(r.body)["alert"]["id"] for r in receiver.requests] == [fresh.id]


def test_a_send_abandoned_by_a_dead_worker_is_sent_again_after_its_lease(
    setup: Setup, worker: DeliveryWorker, receiver: Receiver, clock: Clock
) -> None:
    setup.alert()
    claimed = setup.claim(lease=120, limit=10)  # a worker claims, then dies mid-send
    assert len(claimed) == 1 and setup.delivery().status == "sending"

    assert worker.run_once() == WorkerStats()  # still leased to the dead worker
    clock.advance(121)
    assert worker.run_once() == WorkerStats(claimed=1, delivered=1)

    delivery = setup.delivery()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)  # the lost try counts
    assert [r.headers["idempotency-key"] for r in receiver.requests] == [delivery.idempotency_key]


def test_the_result_of_a_send_whose_lease_was_taken_over_is_not_recorded_as_the_outcome(
    setup: Setup, session_factory: sessionmaker[Session], clock: Clock
) -> None:
    setup.alert()
    [slow] = setup.claim(lease=1, limit=1)
    clock.advance(2)
    [fresh] = setup.claim(lease=60, limit=1)
    with transaction(session_factory) as session:
        late = settle(session, slow, status="failed", status_code=500, error="HTTP 500")
        current = settle(
            session, fresh, status="delivered", status_code=200, error=None, delivered_at=clock.now
        )

    assert (late, current) == (False, True)
    assert setup.delivery().status == "delivered"


def test_deliveries_of_kinds_this_worker_cannot_send_are_left_alone(
    make_setup: Callable[..., Setup], worker: DeliveryWorker
) -> None:
    # A kind a newer release may add (e-mail was one, before this version could send it).
    sms = make_setup("+8613800000000", kind="sms")
    sms.alert()

    assert worker.run_once() == WorkerStats()
    assert sms.delivery().status == "pending"


def test_the_console_channel_logs_the_alert(
    make_setup: Callable[..., Setup], worker: DeliveryWorker, caplog: pytest.LogCaptureFixture
) -> None:
    console = make_setup("-", kind="console")
    console.alert()

    with caplog.at_level(logging.INFO, logger="ipsentry.alerting.channels.console"):
        assert worker.run_once() == WorkerStats(claimed=1, delivered=1)

    [line] = [r.getMessage() for r in caplog.records if r.name == "ipsentry.alerting.channels.console"]
    assert "[CRITICAL] Certain Portable Power Stations" in line
    assert "[337-TA-0]" in line and "Shenzhen Lishian Technology Co., Ltd. (respondent)" in line


def test_concurrent_workers_send_each_delivery_once(
    setup: Setup,
    session_factory: sessionmaker[Session],
    fast_settings: Settings,
    receiver: Receiver,
    clock: Clock,
) -> None:
    setup.alert(n=30)
    receiver.default = Reply(200, delay=0.01)
    workers = [DeliveryWorker(session_factory, fast_settings, clock=clock) for _ in range(3)]
    results: list[WorkerStats] = []
    threads = [threading.Thread(target=lambda w=w: results.append(w.run_once())) for w in workers]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(stats.delivered for stats in results) == 30
    keys = [request.headers["idempotency-key"] for request in receiver.requests]
    assert len(keys) == len(set(keys)) == 30
    with session_factory() as session:
        assert set(session.scalars(select(Delivery.status))) == {"delivered"}
