"""The outbox: delivery rows written with their alert, claimed and settled by workers.

Statuses: ``pending`` (due at ``next_attempt_at``) → ``sending`` (claimed until
``claimed_until``) → ``delivered`` | ``pending`` again (retry) | ``failed`` (permanent refusal or
retries exhausted) | ``cancelled`` (its channel was disabled; re-enabling replays it).

A claim is one conditional UPDATE: on PostgreSQL its subquery takes the rows ``FOR UPDATE SKIP
LOCKED`` so concurrent workers split the work; SQLite has one writer at a time, so the same
statement (without the lock clause, which SQLite ignores) is already exclusive.  A ``sending``
row whose lease ran out (its worker died mid-send) is due again: nothing is lost, and the
receiver dedupes the resend by its Idempotency-Key.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from ipsentry.core.models import Channel, Delivery

PENDING, SENDING, DELIVERED, FAILED, CANCELLED = "pending", "sending", "delivered", "failed", "cancelled"

# Only immediate subscriptions get outbox rows; daily and weekly digests group their alerts
# per recipient when the digest is due.
IMMEDIATE = "immediate"

# Core-level UPDATEs: the ORM need not reconcile objects in the session with them.
_CORE = {"synchronize_session": False}


def rowcount(result: Any) -> int:
    """Rows an UPDATE touched (``Session.execute`` is typed as returning a plain Result)."""
    return cast(CursorResult[Any], result).rowcount


def delivery_row(
    *, channel_id: int, now: datetime, alert_id: int | None = None, digest_id: int | None = None
) -> dict[str, Any]:
    """The columns of a new delivery of one alert or one digest, due at once."""
    return {
        "alert_id": alert_id,
        "digest_id": digest_id,
        "channel_id": channel_id,
        # Random, not derived from ids: ids repeat across databases (staging, restores), and a
        # receiver must never drop a real alert as a duplicate of another installation's.
        "idempotency_key": uuid.uuid4().hex,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    attempt: int
    # The lease end doubles as a fencing token: a worker whose lease ran out and was re-claimed
    # by another no longer matches it, so it cannot overwrite the newer worker's result.
    claimed_until: datetime


def _due(now: datetime, max_attempts: int) -> ColumnElement[bool]:
    return or_(
        and_(Delivery.status == PENDING, Delivery.next_attempt_at <= now),
        and_(Delivery.status == SENDING, Delivery.claimed_until < now, Delivery.attempts < max_attempts),
    )


def claim_due(
    session: Session,
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    kinds: Collection[str],
    max_attempts: int,
) -> list[Claim]:
    """Claim up to ``limit`` due deliveries of enabled channels of ``kinds``; the caller commits
    at once so the claim is visible to other workers."""
    candidates = (
        select(Delivery.id)
        .join(Channel, Channel.id == Delivery.channel_id)
        .where(_due(now, max_attempts), Channel.enabled.is_(True), Channel.kind.in_(list(kinds)))
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Delivery)
    )
    claimed = session.execute(
        update(Delivery)
        # The due test is repeated outside the subquery so a row another worker claimed between
        # the subquery's snapshot and this write is not claimed twice.
        .where(Delivery.id.in_(candidates.scalar_subquery()), _due(now, max_attempts))
        .values(status=SENDING, claimed_until=lease_until, attempts=Delivery.attempts + 1)
        .returning(Delivery.id, Delivery.attempts),
        execution_options=_CORE,
    ).all()
    return [Claim(row.id, row.attempts, lease_until) for row in sorted(claimed, key=lambda row: row.id)]


def settle(
    session: Session,
    claim: Claim,
    *,
    status: str,
    status_code: int | None,
    error: str | None,
    next_attempt_at: datetime | None = None,
    delivered_at: datetime | None = None,
) -> bool:
    """Record the result of a claimed send; False when the claim had been lost meanwhile."""
    values: dict[str, object] = {
        "status": status,
        "claimed_until": None,
        "last_status_code": status_code,
        "last_error": error,
    }
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    if delivered_at is not None:
        values["delivered_at"] = delivered_at
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == claim.delivery_id,
            Delivery.status == SENDING,
            Delivery.claimed_until == claim.claimed_until,
        )
        .values(**values),
        execution_options=_CORE,
    )
    return rowcount(result) == 1


def cancel_for_disabled_channels(session: Session, *, now: datetime, channel_id: int | None = None) -> int:
    """Cancel what waits for a disabled channel (including sends abandoned mid-way); returns
    how many.  Re-enabling the channel replays them while they are fresh."""
    disabled = select(Channel.id).where(Channel.enabled.is_(False))
    if channel_id is not None:
        disabled = disabled.where(Channel.id == channel_id)
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.channel_id.in_(disabled.scalar_subquery()),
            or_(Delivery.status == PENDING, and_(Delivery.status == SENDING, Delivery.claimed_until < now)),
        )
        .values(status=CANCELLED, claimed_until=None, last_error="channel disabled"),
        execution_options=_CORE,
    )
    return rowcount(result)


def fail_abandoned(session: Session, *, now: datetime, max_attempts: int) -> int:
    """Fail sends abandoned on their last allowed attempt: a message that kills its worker each
    time it is sent must not be re-sent forever."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.status == SENDING,
            Delivery.claimed_until < now,
            Delivery.attempts >= max_attempts,
        )
        .values(status=FAILED, claimed_until=None, last_error="abandoned during the last attempt"),
        execution_options=_CORE,
    )
    return rowcount(result)


def settle_delivered(
    session: Session, claims: Collection[Claim], *, status_code: int | None, delivered_at: datetime
) -> list[tuple[int, int]]:
    """Record claimed sends that all succeeded with ``status_code``, in one UPDATE (a chunk's
    results, not one transaction per send); returns (delivery id, channel id) of those whose
    claim still held, as ``settle`` does one by one."""
    if not claims:
        return []
    # Each claim keeps its own fencing token: a row re-claimed by another worker meanwhile has
    # another lease end and is left alone.
    held = or_(
        *(and_(Delivery.id == c.delivery_id, Delivery.claimed_until == c.claimed_until) for c in claims)
    )
    rows = session.execute(
        update(Delivery)
        .where(held, Delivery.status == SENDING)
        .values(
            status=DELIVERED,
            claimed_until=None,
            last_status_code=status_code,
            last_error=None,
            delivered_at=delivered_at,
        )
        .returning(Delivery.id, Delivery.channel_id),
        execution_options=_CORE,
    ).all()
    return [(row.id, row.channel_id) for row in rows]
