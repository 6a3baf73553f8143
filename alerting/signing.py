"""Webhook signatures: HMAC-SHA256 over ``f"{timestamp}.{body}"`` with the channel's secret.

The timestamp is signed with the body so a captured request cannot be replayed later; a
receiver checks the signature and that the timestamp is recent.  Receivers in Python can use
this module as it is::

    from ipsentry.alerting.signing import verify

    ok = verify(secret, request.headers["X-Ipsentry-Timestamp"], raw_body,
                request.headers["X-Ipsentry-Signature"], tolerance_seconds=300)

``raw_body`` must be the bytes as received: re-serialising the parsed JSON changes them.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "sha256"


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def sign(secret: str | bytes, timestamp: int | str, body: str | bytes) -> str:
    """The ``X-Ipsentry-Signature`` value: ``sha256=<hex digest>``."""
    message = str(timestamp).encode("ascii") + b"." + _as_bytes(body)
    digest = hmac.new(_as_bytes(secret), message, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def verify(
    secret: str | bytes,
    timestamp: int | str,
    body: str | bytes,
    signature: str,
    tolerance_seconds: float = 300,
    *,
    now: float | None = None,
) -> bool:
    """True when ``signature`` is ours for this timestamp and body and the timestamp is within
    ``tolerance_seconds`` of ``now`` (default: the current time) in either direction."""
    try:
        sent_at = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_seconds:
        return False
    expected = sign(secret, sent_at, body)
    # Constant-time comparison: a timing difference would leak how much of a guess was right.
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8", "replace"))
