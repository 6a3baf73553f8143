"""What the DingTalk, WeCom and Feishu test files share: the channel under test, built as the
registry builds it but pointed at a receiver on 127.0.0.1, and the worker-level check that a
bot answering HTTP 200 with an error code gets the alert again instead of counting it sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.channels.im import BotChannel
from ipsentry.alerting.matching import create_alerts
from ipsentry.alerting.messages import MessageRenderer
from ipsentry.alerting.worker import DeliveryWorker, WorkerStats
from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Match
from ipsentry.core.models import Delivery, DeliveryAttempt

from .conftest import Clock, Registry
from .receiver import Receiver, Reply

NOW = 1770712200.5  # 2026-02-10 08:30:00.5 UTC, the clock signatures are made with


def bot(channel_class: type[BotChannel], *, clock: Callable[[], float] = lambda: NOW) -> Any:
    return channel_class(
        allowlist=["127.0.0.1/32"],
        timeout=2.0,
        user_agent="ipsentry/test",
        renderer=MessageRenderer(public_url="https://ipsentry.example.cn", timezone="Asia/Shanghai"),
        clock=clock,
    )


def assert_error_code_is_retried_not_delivered(
    *,
    kind: str,
    target: str,
    secret: str | None,
    refusal: bytes,
    success: bytes,
    throttled_for: float,
    receiver: Receiver,
    registry: Registry,
    session_factory: sessionmaker[Session],
    settings: Settings,
    clock: Clock,
    make_doc: Callable[..., Document],
    respondent_match: Callable[..., Match],
) -> None:
    """The first answer is HTTP 200 carrying ``refusal`` (a throttling code): the worker must
    record a failed attempt and retry no sooner than the service's ``throttled_for`` seconds,
    then deliver once the bot answers ``success``."""
    enterprise = registry.enterprise("E1", name_zh="深圳市利世安科技有限公司")
    channel = registry.channel(target, kind=kind, name="群机器人", secret=secret)
    registry.subscription("enterprise", enterprise_id=enterprise, channels=(channel,))
    with transaction(session_factory) as session:
        create_alerts(session, [make_doc(matches=[respondent_match(enterprise)])], now=clock.now)
    receiver.script(Reply(200, refusal, {"Content-Type": "application/json"}))
    receiver.default = Reply(200, success, {"Content-Type": "application/json"})
    worker = DeliveryWorker(session_factory, settings, clock=clock)

    assert worker.run_once() == WorkerStats(claimed=1, retried=1)
    with session_factory() as session:
        delivery = session.scalars(select(Delivery)).one()
    assert (delivery.status, delivery.last_status_code) == ("pending", 200)
    assert delivery.delivered_at is None
    assert (delivery.next_attempt_at - clock.now).total_seconds() >= throttled_for

    clock.advance((delivery.next_attempt_at - clock.now).total_seconds())
    assert worker.run_once() == WorkerStats(claimed=1, delivered=1)
    assert worker.run_once() == WorkerStats()
    with session_factory() as session:
        attempts = session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).all()
        delivery = session.scalars(select(Delivery)).one()
    assert [(a.ok, a.status_code, a.response_excerpt) for a in attempts] == [
        (False, 200, refusal.decode()),
        (True, 200, success.decode()),
    ]
    assert attempts[0].error and "error" in attempts[0].error
    assert delivery.status == "delivered" and len(receiver.requests) == 2
