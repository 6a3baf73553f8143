"""The delivery worker: claims due outbox rows, sends each outside any transaction, records
every attempt, and reschedules, fails or settles the delivery.

At-least-once: a crash after sending but before recording means the message is sent again
when the lease runs out; receivers dedupe on the Idempotency-Key, which never changes."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.channel_health import record_failed
from ipsentry.alerting.channels.base import (
    ALERT,
    DIGEST,
    RESPONSE_EXCERPT_BYTES,
    Channel,
    DeliveryContext,
    SendOutcome,
)
from ipsentry.alerting.channels.registry import CHANNELS, ChannelFactory, create_channel
from ipsentry.alerting.outbox import (
    CANCELLED,
    FAILED,
    PENDING,
    Claim,
    cancel_for_disabled_channels,
    claim_due,
    fail_abandoned,
    settle,
    settle_delivered,
)
from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.documents import utcnow
from ipsentry.core.models import Alert, Delivery, DeliveryAttempt, Digest
from ipsentry.core.models import Channel as ChannelRow

log = logging.getLogger(__name__)

# Deliveries claimed per transaction.  Small, because the lease must cover sending them all.
CLAIM_CHUNK = 10
# Retries are spread by up to this fraction of their delay, so the backlog of a receiver that
# was down does not arrive all in the same second when it comes back.
JITTER = 0.1
MAX_ERROR_CHARS = 2000


@dataclass
class WorkerStats:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    disabled: int = 0  # channels disabled during this run
    cancelled: int = 0  # deliveries cancelled because their channel is disabled


@dataclass(frozen=True)
class _Sent:
    """A successful send whose recording waits for the end of its chunk."""

    claim: Claim
    context: DeliveryContext
    outcome: SendOutcome
    attempted_at: datetime
    duration_ms: float


def retry_delay(
    schedule: Sequence[float], attempt: int, retry_after: float | None, rng: random.Random
) -> float | None:
    """Seconds until the next try after failed attempt number ``attempt`` (1-based), or None
    when the schedule is exhausted.  A longer Retry-After from the receiver wins."""
    if attempt > len(schedule):
        return None
    delay = schedule[attempt - 1] * (1 + rng.uniform(0, JITTER))
    return max(delay, retry_after or 0.0)


class DeliveryWorker:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        channels: Mapping[str, ChannelFactory] = CHANNELS,
        rng: random.Random | None = None,
        lease: timedelta | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._settings = settings
        self._clock = clock or utcnow
        self._factories = channels
        self._rng = rng or random.Random()
        self._schedule = list(settings.retry_schedule)
        # The first try plus one per step of the schedule.
        self._max_attempts = len(self._schedule) + 1
        # A claimed chunk is sent one by one; each send takes at most a few timeouts (connect,
        # write, read), so the lease covers the chunk with room to spare and nobody else
        # re-sends a row this worker is still working on.  A shorter one (tests, benchmarks)
        # brings a dead worker's claims back sooner, at the risk of a slow chunk being re-sent.
        self._lease = lease or timedelta(seconds=CLAIM_CHUNK * 4 * settings.webhook_timeout_seconds + 30)
        self._channels: dict[str, Channel] = {}

    def run_once(self, limit: int = 100, *, housekeeping: bool = True) -> WorkerStats:
        """Send up to ``limit`` due deliveries; returns what happened.  ``housekeeping`` first
        cancels what waits for disabled channels and fails sends abandoned on their last try;
        a worker looping fast (``service.worker``) does it every few seconds, not every time."""
        stats = WorkerStats()
        if housekeeping:
            with transaction(self._session_factory) as session:
                now = self._clock()
                stats.cancelled = cancel_for_disabled_channels(session, now=now)
                stats.failed += fail_abandoned(session, now=now, max_attempts=self._max_attempts)
        while stats.claimed < limit:
            claimed = self._claim(min(CLAIM_CHUNK, limit - stats.claimed))
            if not claimed:
                break
            stats.claimed += len(claimed)
            # Channels this chunk's failures disabled: their later deliveries are not sent.
            disabled: set[int] = set()
            # Successes are recorded together at the end of the chunk: one commit per chunk
            # instead of one per send, which bounded throughput (and so the latency of the
            # last alert of a batch).  A crash before that commit only means the chunk's
            # sends are resent after the lease, which receivers dedupe by Idempotency-Key.
            sent: list[_Sent] = []
            for claim, loaded in claimed:
                self._deliver(claim, loaded, disabled, stats, sent)
            self._record_sent(sent, stats)
        return stats

    def _claim(self, limit: int) -> list[tuple[Claim, tuple[DeliveryContext, bool] | None]]:
        """Claims and what to send for each, read in the same (committed) transaction: one
        round trip per chunk rather than one per delivery."""
        # Committed at once: the claim must be visible to other workers before sending starts.
        with transaction(self._session_factory) as session:
            now = self._clock()
            claims = claim_due(
                session,
                now=now,
                lease_until=now + self._lease,
                limit=limit,
                kinds=self._factories.keys(),
                max_attempts=self._max_attempts,
            )
            loaded = self._load(session, claims)
        return [(claim, loaded.get(claim.delivery_id)) for claim in claims]

    def _channel(self, kind: str) -> Channel:
        if kind not in self._channels:
            self._channels[kind] = create_channel(kind, self._settings, self._factories)
        return self._channels[kind]

    @staticmethod
    def _load(session: Session, claims: list[Claim]) -> dict[int, tuple[DeliveryContext, bool]]:
        """Each claimed delivery to send, and whether its channel is enabled, by delivery id;
        one whose alert (or digest) was deleted meanwhile is missing: nothing to send."""
        if not claims:
            return {}
        attempts = {claim.delivery_id: claim.attempt for claim in claims}
        rows = session.execute(
            select(Delivery, Alert, Digest, ChannelRow)
            .outerjoin(Alert, Alert.id == Delivery.alert_id)
            .outerjoin(Digest, Digest.id == Delivery.digest_id)
            .join(ChannelRow, ChannelRow.id == Delivery.channel_id)
            .where(Delivery.id.in_(list(attempts)))
        ).all()
        loaded: dict[int, tuple[DeliveryContext, bool]] = {}
        for delivery, alert, digest, channel in rows:
            if alert is not None:
                kind, alert_id, made_at, payload = ALERT, alert.id, alert.created_at, alert.payload
            elif digest is not None:
                kind, alert_id, made_at, payload = DIGEST, None, digest.created_at, digest.payload
            else:
                continue
            context = DeliveryContext(
                delivery_id=delivery.id,
                idempotency_key=delivery.idempotency_key,
                attempt=attempts[delivery.id],
                alert_id=alert_id,
                alert_created_at=made_at,
                payload=dict(payload),
                channel_id=channel.id,
                channel_kind=channel.kind,
                channel_name=channel.name,
                target=channel.target,
                secret=channel.secret,
                language=channel.language,
                kind=kind,
            )
            loaded[delivery.id] = (context, channel.enabled)
        return loaded

    def _deliver(
        self,
        claim: Claim,
        loaded: tuple[DeliveryContext, bool] | None,
        disabled: set[int],
        stats: WorkerStats,
        sent: list[_Sent],
    ) -> None:
        if loaded is None:
            return
        context, enabled = loaded
        if not enabled or context.channel_id in disabled:
            # Disabled by an earlier failure of this chunk.  (One disabled by its owner after
            # the claim may still get the few deliveries already claimed, as a second earlier.)
            with transaction(self._session_factory) as session:
                if settle(session, claim, status=CANCELLED, status_code=None, error="channel disabled"):
                    stats.cancelled += 1
            return
        disabled_before = stats.disabled
        attempted_at = self._clock()
        started = time.perf_counter()
        try:
            outcome = self._channel(context.channel_kind).send(context)
        except Exception as error:
            # A bug in one channel must not stop the others; the attempt is recorded and retried.
            log.exception("channel %s crashed sending delivery %s", context.channel_id, context.delivery_id)
            outcome = SendOutcome(
                ok=False, error=f"internal error: {type(error).__name__}: {error}", retryable=True
            )
        duration_ms = (time.perf_counter() - started) * 1000.0
        if not outcome.ok:
            log.warning(
                "delivery %s to channel %s, attempt %s failed: %s",
                context.delivery_id,
                context.channel_id,
                claim.attempt,
                outcome.error,
            )
        if outcome.ok:
            sent.append(_Sent(claim, context, outcome, attempted_at, duration_ms))
            return
        # The successes before this failure are recorded first, so a channel's failure count
        # follows the order of its sends (a success resets it).
        self._record_sent(sent, stats)
        with transaction(self._session_factory) as session:
            self._record_failure(session, claim, context, outcome, attempted_at, duration_ms, stats)
        if stats.disabled > disabled_before:
            disabled.add(context.channel_id)

    def _record_sent(self, sent: list[_Sent], stats: WorkerStats) -> None:
        """Record successful sends (their attempts, the deliveries, their channels' health) in
        one transaction of a few set-based statements; empties ``sent``."""
        if not sent:
            return
        with transaction(self._session_factory) as session:
            session.add_all(self._attempt(s.claim, s.outcome, s.attempted_at, s.duration_ms) for s in sent)
            now = self._clock()
            by_code: dict[int | None, list[Claim]] = {}
            for item in sent:
                by_code.setdefault(item.outcome.status_code, []).append(item.claim)
            settled = [
                row
                for code, claims in by_code.items()
                for row in settle_delivered(session, claims, status_code=code, delivered_at=now)
            ]
            channels = sorted({channel_id for _, channel_id in settled})
            if channels:
                # record_delivered for all of them at once: a success resets the failure count.
                session.execute(
                    update(ChannelRow)
                    .where(ChannelRow.id.in_(channels), ChannelRow.consecutive_failures != 0)
                    .values(consecutive_failures=0),
                    execution_options={"synchronize_session": False},
                )
            stats.delivered += len(settled)
        sent.clear()

    @staticmethod
    def _attempt(
        claim: Claim, outcome: SendOutcome, attempted_at: datetime, duration_ms: float
    ) -> DeliveryAttempt:
        error = outcome.error[:MAX_ERROR_CHARS] if outcome.error else None
        return DeliveryAttempt(
            delivery_id=claim.delivery_id,
            attempted_at=attempted_at,
            ok=outcome.ok,
            status_code=outcome.status_code,
            response_excerpt=outcome.response_excerpt[:RESPONSE_EXCERPT_BYTES]
            if outcome.response_excerpt
            else None,
            error=error,
            duration_ms=duration_ms,
        )

    def _record_failure(
        self,
        session: Session,
        claim: Claim,
        context: DeliveryContext,
        outcome: SendOutcome,
        attempted_at: datetime,
        duration_ms: float,
        stats: WorkerStats,
    ) -> None:
        error = outcome.error[:MAX_ERROR_CHARS] if outcome.error else None
        session.add(self._attempt(claim, outcome, attempted_at, duration_ms))
        now = self._clock()
        code = outcome.status_code
        # Successes are settled in bulk by _record_sent; only a failure comes here.
        delay = None
        if outcome.retryable:
            delay = retry_delay(self._schedule, claim.attempt, outcome.retry_after, self._rng)
        if delay is not None:
            retry_at = now + timedelta(seconds=delay)
            if settle(
                session, claim, status=PENDING, status_code=code, error=error, next_attempt_at=retry_at
            ):
                stats.retried += 1
            return
        # Refused for good, or out of retries.
        if settle(session, claim, status=FAILED, status_code=code, error=error):
            stats.failed += 1
            if record_failed(session, context.channel_id, reason=error or "failed", now=now):
                stats.disabled += 1
