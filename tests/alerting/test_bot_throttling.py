"""The delivery worker and the IM bots (DingTalk, Feishu, WeCom): a bot answering HTTP 200 with a
throttling code has not posted the message, so the worker records a failed attempt, retries no
sooner than the service asks, and delivers once the bot accepts.  Each service's hook, secret and
answers are the ones its own test file plays."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.matching import create_alerts
from ipsentry.alerting.worker import DeliveryWorker, WorkerStats
from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Match
from ipsentry.core.models import Delivery, DeliveryAttempt

from . import test_dingtalk as dingtalk
from . import test_feishu as feishu
from . import test_wecom as wecom
from .conftest import Clock, Registry
from .receiver import Receiver, Reply


@pytest.mark.parametrize(
    ("kind", "hook", "secret", "refusal", "success", "throttled_for"),
    [
        pytest.param(
            "dingtalk", dingtalk.hook, dingtalk.SECRET, dingtalk.THROTTLED, dingtalk.OK, 600, id="dingtalk"
        ),
        pytest.param("feishu", feishu.hook, feishu.SECRET, feishu.THROTTLED, feishu.OK, 60, id="feishu"),
        pytest.param("wecom", wecom.hook, None, wecom.THROTTLED, wecom.OK, 60, id="wecom"),  # no signature
    ],
)
def test_the_worker_retries_a_throttled_message_instead_of_counting_it_sent(
    kind: str,
    hook: Callable[[Receiver], str],
    secret: str | None,
    refusal: bytes,
    success: bytes,
    throttled_for: float,
    receiver: Receiver,
    registry: Registry,
    session_factory: sessionmaker[Session],
    fast_settings: Settings,
    clock: Clock,
    make_doc: Callable[..., Document],
    respondent_match: Callable[..., Match],
) -> None:
    enterprise = registry.enterprise("E1", name_zh="深圳市利世安科技有限公司")
    channel = registry.channel(hook(receiver), kind=kind, name="群机器人", secret=secret)
    registry.subscription("enterprise", enterprise_id=enterprise, channels=(channel,))
    with transaction(session_factory) as session:
        create_alerts(session, [make_doc(matches=[respondent_match(enterprise)])], now=clock.now)
    receiver.script(Reply(200, refusal, {"Content-Type": "application/json"}))
    receiver.default = Reply(200, success, {"Content-Type": "application/json"})
    worker = DeliveryWorker(session_factory, fast_settings, clock=clock)

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
