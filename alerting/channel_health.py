"""A channel that keeps failing is disabled and its owner told; re-enabling it replays the
alerts that are still fresh.

"Failing" counts deliveries that ended ``failed`` (refused, or retries exhausted), not single
attempts: a receiver down for an hour recovers by itself through retries, one that refuses
every message or stays down for days is switched off instead of piling up work."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from ipsentry.alerting.notices import Notice, add_notice
from ipsentry.alerting.outbox import (
    CANCELLED,
    FAILED,
    IMMEDIATE,
    PENDING,
    cancel_for_disabled_channels,
    delivery_row,
    rowcount,
)
from ipsentry.alerting.upsert import upsert_insert
from ipsentry.core.documents import utcnow
from ipsentry.core.models import Alert, Channel, Delivery, Subscription, SubscriptionChannel

log = logging.getLogger(__name__)

FAILURES_BEFORE_DISABLE = 5
CHANNEL_DISABLED = "channel_disabled"

_MESSAGES = {
    "zh": "通知渠道“{name}”（{kind}，{target}）连续 {count} 条预警发送失败，已停用。最后的错误：{reason}。"
    "请检查后重新启用，启用后将补发仍在有效期内的预警。",
    "en": "Channel “{name}” ({kind}, {target}) was disabled after {count} alerts in a row failed to "
    "deliver. Last error: {reason}. Check it and re-enable it; fresh alerts will then be re-sent.",
}


def shown_target(target: str) -> str:
    """Scheme and host only: paths and query strings of bot URLs carry access tokens."""
    parts = urlsplit(target)
    if parts.scheme and parts.hostname:
        return f"{parts.scheme}://{parts.hostname}/…"
    return target.split("?", 1)[0]


def record_delivered(session: Session, channel_id: int) -> None:
    session.execute(
        update(Channel)
        .where(Channel.id == channel_id, Channel.consecutive_failures != 0)
        .values(consecutive_failures=0),
        execution_options={"synchronize_session": False},
    )


def record_failed(session: Session, channel_id: int, *, reason: str, now: datetime) -> bool:
    """Count one more failed delivery; True when that disabled the channel."""
    # Incremented in SQL, not read-modify-write, so concurrent workers do not lose counts.
    count = session.execute(
        update(Channel)
        .where(Channel.id == channel_id)
        .values(consecutive_failures=Channel.consecutive_failures + 1)
        .returning(Channel.consecutive_failures),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if count is None or count < FAILURES_BEFORE_DISABLE:
        return False
    return disable_channel(session, channel_id, reason=reason, now=now)


def disable_channel(session: Session, channel_id: int, *, reason: str, now: datetime) -> bool:
    """Disable, cancel what waits for it, tell the owner; False if it was already disabled
    (so of two workers only one notifies)."""
    changed = session.execute(
        update(Channel)
        .where(Channel.id == channel_id, Channel.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason),
        execution_options={"synchronize_session": False},
    )
    if rowcount(changed) != 1:
        return False
    cancel_for_disabled_channels(session, now=now, channel_id=channel_id)
    channel = session.get(Channel, channel_id, populate_existing=True)
    if channel is not None:
        notify_owner_channel_disabled(session, channel, now=now)
    return True


def notify_owner_channel_disabled(
    session: Session, channel: Channel, *, now: datetime | None = None
) -> Notice:
    """A notice for the channel's owner (user and/or enterprise), shown by the web console."""
    language = "zh" if channel.language.lower().startswith("zh") else "en"
    message = _MESSAGES[language].format(
        name=channel.name or f"#{channel.id}",
        kind=channel.kind,
        target=shown_target(channel.target),
        count=channel.consecutive_failures,
        reason=channel.disabled_reason or "?",
    )
    log.warning(
        "channel %s (%s, %s) disabled after %s failed deliveries: %s",
        channel.id,
        channel.kind,
        shown_target(channel.target),
        channel.consecutive_failures,
        channel.disabled_reason,
    )
    return add_notice(
        session,
        kind=CHANNEL_DISABLED,
        message=message,
        user_id=channel.owner_user_id,
        enterprise_id=channel.enterprise_id,
        data={"channel_id": channel.id, "reason": channel.disabled_reason},
        now=now,
    )


def reenable_channel(
    session: Session, channel_id: int, *, replay_max_age: timedelta, now: datetime | None = None
) -> int:
    """Enable the channel again and queue every alert of the last ``replay_max_age`` it missed
    (cancelled, failed, or created while it was off); returns how many were queued.  Replays
    keep their Idempotency-Key, so a receiver that did get one drops the copy."""
    now = now or utcnow()
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise LookupError(f"no channel {channel_id}")
    channel.enabled = True
    channel.consecutive_failures = 0
    channel.disabled_reason = None
    fresh = select(Alert.id).where(Alert.created_at >= now - replay_max_age)
    requeued = rowcount(
        session.execute(
            update(Delivery)
            .where(
                Delivery.channel_id == channel_id,
                Delivery.status.in_([CANCELLED, FAILED]),
                Delivery.alert_id.in_(fresh.scalar_subquery()),
            )
            .values(status=PENDING, attempts=0, next_attempt_at=now, claimed_until=None),
            execution_options={"synchronize_session": False},
        )
    )
    missed = session.scalars(
        select(Alert.id)
        .join(SubscriptionChannel, SubscriptionChannel.subscription_id == Alert.subscription_id)
        .join(Subscription, Subscription.id == Alert.subscription_id)
        .where(
            SubscriptionChannel.channel_id == channel_id,
            Subscription.active.is_(True),
            Subscription.rate == IMMEDIATE,
            Alert.created_at >= now - replay_max_age,
            ~exists().where(Delivery.alert_id == Alert.id, Delivery.channel_id == channel_id),
        )
        .order_by(Alert.id)
    ).all()
    created = 0
    for alert_id in missed:
        # A concurrent re-enable may queue the same one: one delivery per (alert, channel).
        inserted = session.execute(
            upsert_insert(session, Delivery)
            .values(**delivery_row(alert_id=alert_id, channel_id=channel_id, now=now))
            .on_conflict_do_nothing()
            .returning(Delivery.id)
        ).scalar_one_or_none()
        created += inserted is not None
    return requeued + created
