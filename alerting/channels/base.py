"""What every channel is: something that sends one alert to one target and says how it went.

Channels get plain data (``DeliveryContext``), never database rows: they run outside any
transaction, and the worker alone records the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

# How much of a receiver's answer is kept with each attempt (enough to read an error).
RESPONSE_EXCERPT_BYTES = 1024

# What a delivery carries: one alert, or one digest of several (daily and weekly rates).
ALERT, DIGEST = "alert", "digest"


@dataclass(frozen=True)
class DeliveryContext:
    """One delivery to send: the frozen alert (or digest) payload and where it goes."""

    delivery_id: int
    idempotency_key: str
    attempt: int  # 1 for the first try
    alert_id: int | None  # None for a digest
    alert_created_at: datetime  # when the alert (or the digest) was made
    payload: dict[str, Any]  # the alert payload, or the digest payload (see ``alerting.digest``)
    channel_id: int
    channel_kind: str
    channel_name: str
    target: str  # URL or e-mail address
    secret: str | None  # signing secret, if the channel has one
    language: str
    kind: str = ALERT  # ALERT or DIGEST


@dataclass(frozen=True)
class SendOutcome:
    ok: bool
    status_code: int | None = None
    response_excerpt: str | None = None  # first KB of the answer
    error: str | None = None
    # Whether the same message may succeed later (timeouts, 429, 5xx); false for refusals.
    retryable: bool = False
    # Seconds the receiver asked us to wait (Retry-After), if it said.
    retry_after: float | None = None


class Channel(Protocol):
    kind: str

    def send(self, context: DeliveryContext) -> SendOutcome: ...


def excerpt(body: bytes) -> str:
    """The first KB of a response body as text (undecodable bytes replaced, cut characters too)."""
    return body[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")
