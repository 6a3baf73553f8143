"""Generic webhook: a versioned JSON envelope, signed with HMAC-SHA256, POSTed to the target.

What receivers get::

    POST <target>
    Content-Type: application/json; charset=utf-8
    Idempotency-Key: <delivery key>          (the same on every retry: dedupe on it)
    X-Ipsentry-Timestamp: <unix seconds>
    X-Ipsentry-Signature: sha256=<hex HMAC-SHA256 of f"{timestamp}.{body}" with the secret>

    {"version": "1", "type": "alert", "id": "<delivery key>", "created_at": "<ISO 8601>",
     "alert": {"id": <alert id>, ...the alert payload...}}

How answers are read:
- 2xx: delivered.
- 408, 425, 429 and 5xx, timeouts, refused connections: retried on the schedule (a
  ``Retry-After`` is honoured when longer).
- 3xx: failed, not retried.  Redirects are never followed (the new location escaped the SSRF
  check); the channel's URL must be corrected.
- other 4xx: failed, not retried: the receiver refused this message (bad signature, unknown
  path…) and would refuse it again.  Repeated failures disable the channel; re-enabling it
  replays what is still fresh.
A channel without a secret sends no signature header.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from ipsentry.alerting.channels.base import DeliveryContext, SendOutcome, excerpt
from ipsentry.alerting.channels.http import HttpSendError, post
from ipsentry.alerting.signing import sign
from ipsentry.alerting.ssrf import UnsafeTarget
from ipsentry.config.settings import Settings

ENVELOPE_VERSION = "1"
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})


def _package_version() -> str:
    try:
        return version("ipsentry")
    except PackageNotFoundError:
        return "0"


def envelope(context: DeliveryContext) -> dict[str, Any]:
    return {
        "version": ENVELOPE_VERSION,
        "type": "alert",
        "id": context.idempotency_key,
        "created_at": context.alert_created_at.isoformat(),
        "alert": {"id": context.alert_id, **context.payload},
    }


def encode(document: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed (UTF-8, Chinese kept as is, no insignificant spaces)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def classify(status_code: int) -> tuple[bool, bool]:
    """(delivered, retryable) for an HTTP status, as described in the module docstring."""
    if 200 <= status_code < 300:
        return True, False
    return False, status_code >= 500 or status_code in RETRYABLE_CLIENT_ERRORS


class WebhookChannel:
    kind = "webhook"

    def __init__(
        self,
        *,
        allowlist: Sequence[str],
        timeout: float,
        user_agent: str,
        clock: Callable[[], float] = time.time,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._allowlist = tuple(allowlist)
        self._timeout = timeout
        self._user_agent = user_agent
        # Wall time for the signed timestamp: receivers compare it with their own clock.
        self._clock = clock
        self._verify = verify

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookChannel:
        return cls(
            allowlist=settings.webhook_allowlist,
            timeout=settings.webhook_timeout_seconds,
            user_agent=f"ipsentry-webhook/{_package_version()} (+{settings.public_url})",
        )

    def send(self, context: DeliveryContext) -> SendOutcome:
        body = encode(envelope(context))
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": self._user_agent,
            "Idempotency-Key": context.idempotency_key,
            "X-Ipsentry-Timestamp": timestamp,
        }
        if context.secret:
            headers["X-Ipsentry-Signature"] = sign(context.secret, timestamp, body)
        try:
            answer = post(
                context.target,
                body,
                headers,
                allowlist=self._allowlist,
                timeout=self._timeout,
                verify=self._verify,
            )
        except UnsafeTarget as error:
            return SendOutcome(ok=False, error=f"target refused: {error}", retryable=error.retryable)
        except HttpSendError as error:
            return SendOutcome(ok=False, error=str(error), retryable=error.retryable)
        delivered, retryable = classify(answer.status_code)
        error = None
        if 300 <= answer.status_code < 400:
            error = f"redirect to {answer.location or '(no location)'} not followed; correct the URL"
        elif not delivered:
            error = f"HTTP {answer.status_code}"
        return SendOutcome(
            ok=delivered,
            status_code=answer.status_code,
            response_excerpt=excerpt(answer.body),
            error=error,
            retryable=retryable,
            retry_after=answer.retry_after,
        )
