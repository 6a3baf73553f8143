"""What the DingTalk, WeCom and Feishu test files share: the channel under test, built as the
registry builds it but pointed at a receiver on 127.0.0.1, and the check of an error code read
from an HTTP 200 answer.  The worker-level check that a bot
answering HTTP 200 with an error code gets the alert again is ``test_bot_throttling.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ipsentry.alerting.channels.base import DeliveryContext, SendOutcome
from ipsentry.alerting.channels.im import BotChannel
from ipsentry.alerting.messages import MessageRenderer

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


def send_refused(
    channel_class: type[BotChannel],
    receiver: Receiver,
    context: DeliveryContext,
    answer: bytes,
    *,
    retryable: bool,
    retry_after: float | None,
) -> SendOutcome:
    """Send ``context`` to a bot that answers HTTP 200 with ``answer``, an error code: the send
    failed, may be retried (after ``retry_after`` seconds) or not, and the answer is kept.  The
    outcome is returned for the channel's own error text."""
    receiver.script(Reply(200, answer))

    outcome: SendOutcome = bot(channel_class).send(context)

    assert (outcome.ok, outcome.status_code, outcome.retryable, outcome.retry_after) == (
        False,
        200,
        retryable,
        retry_after,
    )
    assert outcome.response_excerpt == answer.decode()
    return outcome
