"""Generic webhook: a versioned JSON envelope, signed with HMAC-SHA256, POSTed to the target.

What receivers get::

    POST <target>
    Content-Type: application/json; charset=utf-8
    Idempotency-Key: <delivery key>          (the same on every retry: dedupe on it)
    X-Ipsentry-Timestamp: <unix seconds>
    X-Ipsentry-Signature: sha256=<hex HMAC-SHA256 of f"{timestamp}.{body}" with the secret>

    {"version": "1", "type": "alert", "id": "<delivery key>", "created_at": "<ISO 8601>",
     "alert": {"id": <alert id>, ...the alert payload...}}

Digests (daily and weekly subscriptions) arrive the same way with ``"type": "digest"`` and a
``"digest"`` object instead of ``"alert"``: ``{"id", "rate", "window_start", "window_end",
"total", "alerts": [...up to the cap, each like "alert" above...], "more_url"}``.

Answers are read by HTTP status only (see ``channels.http``): 2xx delivered; 408, 425, 429,
5xx and network errors retried; redirects and other 4xx refused.  A channel without a secret
sends no signature header.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from ipsentry.alerting.channels.base import DIGEST, DeliveryContext, SendOutcome
from ipsentry.alerting.channels.http import PreparedRequest, deliver
from ipsentry.alerting.signing import sign
from ipsentry.config.settings import Settings

ENVELOPE_VERSION = "1"


def package_version() -> str:
    try:
        return version("ipsentry")
    except PackageNotFoundError:
        return "0"


def envelope(context: DeliveryContext) -> dict[str, Any]:
    content: dict[str, Any]
    if context.kind == DIGEST:
        content = {"digest": context.payload}
    else:
        content = {"alert": {"id": context.alert_id, **context.payload}}
    return {
        "version": ENVELOPE_VERSION,
        "type": context.kind,
        "id": context.idempotency_key,
        "created_at": context.alert_created_at.isoformat(),
        **content,
    }


def encode(document: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed (UTF-8, Chinese kept as is, no insignificant spaces)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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
            user_agent=f"ipsentry-webhook/{package_version()} (+{settings.public_url})",
        )

    def prepare(self, context: DeliveryContext) -> PreparedRequest:
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
        return PreparedRequest(url=context.target, body=body, headers=headers)

    def deliver(self, request: PreparedRequest) -> SendOutcome:
        return deliver(request, allowlist=self._allowlist, timeout=self._timeout, verify=self._verify)

    def send(self, context: DeliveryContext) -> SendOutcome:
        return self.deliver(self.prepare(context))
