"""Daily and weekly digests: the alerts of a channel's daily (or weekly) subscriptions, grouped
into one message per channel and window, sent through the outbox like any alert.

A window ends at a due time in the service's time zone: every day at ``DIGEST_HOUR``:00 for
daily subscriptions, on ``WEEKLY_DIGEST_WEEKDAY`` at the same hour for weekly ones.  The job
(:func:`send_digests`) may run as often as wanted: it makes the digests of the latest due
time, and a digest is unique per (channel, rate, window end), an alert goes into at most one
digest per channel, so a re-run in the same window makes nothing new.  A run missed (the
service was down at 08:00) is caught up by the next one; alerts older than ``CATCH_UP`` are
left out rather than surfacing weeks later.

What a digest holds is frozen in its payload when it is made (the webhook's ``"digest"``
object): ``id``, ``rate``, ``window_start``, ``window_end``, ``total``, ``alerts`` (the most
severe first, at most ``MAX_DIGEST_ITEMS``, each ``{"id", "created_at", ...alert payload}``),
``more_url`` (all of them in the web console) and ``subscriptions`` (``{"id", "name"}``: what
the e-mail's unsubscribe link stops).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.outbox import delivery_row
from ipsentry.alerting.upsert import upsert_insert
from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.documents import Severity, utcnow
from ipsentry.core.models import (
    Alert,
    Channel,
    Delivery,
    Digest,
    DigestAlert,
    Subscription,
    SubscriptionChannel,
)

log = logging.getLogger(__name__)

DAILY, WEEKLY = "daily", "weekly"
RATES = (DAILY, WEEKLY)
DIGEST_HOUR = 8  # local time the digests are due
WEEKLY_DIGEST_WEEKDAY = 0  # Monday
MAX_DIGEST_ITEMS = 20  # alerts listed in one message; the rest are behind ``more_url``
CATCH_UP = {DAILY: timedelta(days=7), WEEKLY: timedelta(days=28)}
ALERTS_PATH = "/alerts"


def window_end(rate: str, now: datetime, zone: ZoneInfo) -> datetime:
    """The latest due time of ``rate`` at or before ``now`` (time-zone aware, DST included), in
    UTC: arithmetic on datetimes sharing a ZoneInfo is wall-clock time, wrong across DST."""
    local = now.astimezone(zone)
    day = local.date()
    if rate == WEEKLY:
        day -= timedelta(days=(day.weekday() - WEEKLY_DIGEST_WEEKDAY) % 7)
    due = datetime.combine(day, time(DIGEST_HOUR), tzinfo=zone)
    if due > local:
        due = datetime.combine(
            day - timedelta(days=1 if rate == DAILY else 7), time(DIGEST_HOUR), tzinfo=zone
        )
    return due


def window_start(rate: str, end: datetime, zone: ZoneInfo) -> datetime:
    """The due time before ``end``: a wall-clock day (or week) earlier, so a DST change makes
    the window an hour shorter or longer instead of moving the due hour."""
    local = end.astimezone(zone)
    days = 1 if rate == DAILY else 7
    return datetime.combine(local.date() - timedelta(days=days), local.time(), tzinfo=zone).astimezone(UTC)


@dataclass
class DigestRun:
    """What one run made."""

    window_ends: dict[str, datetime] = field(default_factory=dict)
    digests: list[int] = field(default_factory=list)
    alerts: int = 0


def _severity_rank(alert: Alert) -> int:
    try:
        return Severity(alert.severity).rank
    except ValueError:
        return 0


def _due_alerts(session: Session, channel_id: int, rate: str, end: datetime) -> Sequence[Alert]:
    """Alerts of the channel's active ``rate`` subscriptions made before ``end`` that the
    channel has not had yet, in a digest or on its own (a subscription switched from
    immediate to daily must not send its old alerts again)."""
    return session.scalars(
        select(Alert)
        .join(Subscription, Subscription.id == Alert.subscription_id)
        .join(
            SubscriptionChannel,
            (SubscriptionChannel.subscription_id == Alert.subscription_id)
            & (SubscriptionChannel.channel_id == channel_id),
        )
        .where(
            Subscription.active.is_(True),
            Subscription.rate == rate,
            Alert.created_at < end,
            Alert.created_at >= end - CATCH_UP[rate],
            ~exists().where(DigestAlert.channel_id == channel_id, DigestAlert.alert_id == Alert.id),
            ~exists().where(Delivery.channel_id == channel_id, Delivery.alert_id == Alert.id),
        )
        .order_by(Alert.id)
    ).all()


def _payload(
    digest: Digest, alerts: Sequence[Alert], names: dict[int, str], public_url: str
) -> dict[str, Any]:
    ordered = sorted(
        alerts, key=lambda alert: (-_severity_rank(alert), -alert.created_at.timestamp(), alert.id)
    )
    return {
        "id": digest.id,
        "rate": digest.rate,
        "window_start": digest.window_start.isoformat(),
        "window_end": digest.window_end.isoformat(),
        "total": len(alerts),
        "alerts": [
            {"id": alert.id, "created_at": alert.created_at.isoformat(), **alert.payload}
            for alert in ordered[:MAX_DIGEST_ITEMS]
        ],
        "more_url": f"{public_url.rstrip('/')}{ALERTS_PATH}?digest={digest.id}",
        "subscriptions": [
            {"id": subscription_id, "name": names.get(subscription_id, "")}
            for subscription_id in sorted({alert.subscription_id for alert in alerts})
        ],
    }


def make_digest(
    session: Session,
    *,
    channel_id: int,
    rate: str,
    end: datetime,
    start: datetime,
    public_url: str,
    now: datetime,
) -> tuple[int, int] | None:
    """The digest of one channel and window with its delivery, in the caller's transaction;
    (digest id, alerts) or None when there is nothing new or the window's digest exists."""
    alerts = _due_alerts(session, channel_id, rate, end)
    if not alerts:
        return None
    start = min([start, *(alert.created_at for alert in alerts)])  # caught-up alerts widen it
    digest_id = session.execute(
        upsert_insert(session, Digest)
        .values(
            channel_id=channel_id,
            rate=rate,
            window_start=start,
            window_end=end,
            total=0,
            payload={},
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(Digest.id)
    ).scalar_one_or_none()
    if digest_id is None:
        return None  # made by an earlier (or concurrent) run of this window
    claimed = set(
        session.scalars(
            upsert_insert(session, DigestAlert)
            .values([{"digest_id": digest_id, "alert_id": a.id, "channel_id": channel_id} for a in alerts])
            .on_conflict_do_nothing()
            .returning(DigestAlert.alert_id)
        )
    )
    # A concurrent run of another window may have taken some: this digest carries the rest.
    carried = [alert for alert in alerts if alert.id in claimed]
    if not carried:
        session.delete(session.get_one(Digest, digest_id))
        return None
    names: dict[int, str] = {
        row.id: row.name
        for row in session.execute(
            select(Subscription.id, Subscription.name).where(
                Subscription.id.in_({alert.subscription_id for alert in carried})
            )
        )
    }
    digest = session.get_one(Digest, digest_id)
    payload = _payload(digest, carried, names, public_url)
    session.execute(
        update(Digest).where(Digest.id == digest_id).values(total=len(carried), payload=payload),
        execution_options={"synchronize_session": False},
    )
    session.add(Delivery(**delivery_row(channel_id=channel_id, digest_id=digest_id, now=now)))
    return digest_id, len(carried)


def _channels_with(session: Session, rate: str) -> list[int]:
    """Enabled channels of active subscriptions of ``rate`` (a disabled channel's alerts wait:
    re-enabled within ``CATCH_UP``, the next digest carries them)."""
    return list(
        session.scalars(
            select(Channel.id)
            .join(SubscriptionChannel, SubscriptionChannel.channel_id == Channel.id)
            .join(Subscription, Subscription.id == SubscriptionChannel.subscription_id)
            .where(Channel.enabled.is_(True), Subscription.active.is_(True), Subscription.rate == rate)
            .distinct()
            .order_by(Channel.id)
        )
    )


def send_digests(
    session_factory: sessionmaker[Session], settings: Settings, *, now: datetime | None = None
) -> DigestRun:
    """Make the digests due at ``now`` (one per channel and rate with something new), each
    with its outbox delivery; the delivery worker sends them.  One transaction per digest, so
    one channel's trouble does not hold back the others."""
    now = now or utcnow()
    zone = ZoneInfo(settings.timezone)
    run = DigestRun()
    for rate in RATES:
        end = window_end(rate, now, zone)
        start = window_start(rate, end, zone)
        run.window_ends[rate] = end
        with session_factory() as session:
            channels = _channels_with(session, rate)
        for channel_id in channels:
            with transaction(session_factory) as session:
                made = make_digest(
                    session,
                    channel_id=channel_id,
                    rate=rate,
                    end=end,
                    start=start,
                    public_url=settings.public_url,
                    now=now,
                )
            if made is not None:
                run.digests.append(made[0])
                run.alerts += made[1]
    if run.digests:
        log.info("%d digests made with %d alerts", len(run.digests), run.alerts)
    return run
