"""POST to a user-supplied URL safely: SSRF-checked, connected to the checked address (no
second DNS lookup), never following redirects, with short timeouts and only the first KB of
the answer read.  Shared by the webhook and the IM bot channels.

How HTTP statuses are read (every HTTP channel; IM bots then also read their error code):
- 2xx: delivered.
- 408, 425, 429 and 5xx, timeouts, refused connections: retried on the schedule (a
  ``Retry-After`` is honoured when longer).
- 3xx: failed, not retried.  Redirects are never followed (the new location escaped the SSRF
  check); the channel's URL must be corrected.
- other 4xx: failed, not retried: the receiver refused this message (bad signature, unknown
  path…) and would refuse it again.  Repeated failures disable the channel; re-enabling it
  replays what is still fresh.
"""

from __future__ import annotations

import email.utils
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import httpx

from ipsentry.alerting.channels.base import RESPONSE_EXCERPT_BYTES, SendOutcome, excerpt
from ipsentry.alerting.ssrf import ResolvedTarget, UnsafeTarget, resolve_target

# Longest Retry-After we honour: a receiver must not park a delivery for weeks.
MAX_RETRY_AFTER_SECONDS = 86400.0
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})


@dataclass(frozen=True)
class PreparedRequest:
    """A POST exactly as a channel sends it (the test-send also shows it as a curl command)."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpAnswer:
    status_code: int
    body: bytes  # at most RESPONSE_EXCERPT_BYTES
    location: str | None  # for redirects, which are reported, never followed
    retry_after: float | None


class HttpSendError(Exception):
    """Nothing usable came back; ``retryable`` says whether trying later can help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@lru_cache(maxsize=1)
def default_trust() -> ssl.SSLContext:
    """httpx's default trust (certifi's CAs), built once: building it for every request costs
    tens of milliseconds, more than a send to a nearby receiver."""
    return httpx.create_ssl_context(trust_env=False)


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _read_head(response: httpx.Response) -> bytes:
    head = bytearray()
    for chunk in response.iter_bytes():
        head.extend(chunk)
        if len(head) >= RESPONSE_EXCERPT_BYTES:
            break  # the rest is not read: a huge answer costs us nothing
    return bytes(head[:RESPONSE_EXCERPT_BYTES])


def _pinned_request(
    client: httpx.Client,
    url: httpx.URL,
    target: ResolvedTarget,
    address: str,
    body: bytes,
    headers: Mapping[str, str],
) -> httpx.Request:
    """The request to ``url`` but connecting to ``address``: Host header and TLS name (SNI and
    certificate check) stay the URL's host."""
    request = client.build_request(
        "POST",
        url.copy_with(host=address),
        content=body,
        headers={**headers, "Host": url.netloc.decode("ascii")},
    )
    if target.scheme == "https":
        request.extensions["sni_hostname"] = target.host
    return request


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allowlist: Sequence[str],
    timeout: float,
    verify: ssl.SSLContext | bool = True,
) -> HttpAnswer:
    """POST ``body``; raises ``UnsafeTarget`` when the target is refused and ``HttpSendError``
    when no answer came back.  ``verify`` is the TLS trust (a private CA's context for
    on-premises receivers); certificates are checked against the URL's host name."""
    target = resolve_target(url, allowlist)
    parsed = httpx.URL(url.strip())
    if verify is True:
        verify = default_trust()
    # trust_env=False: a proxy from the environment would resolve the name itself and undo
    # the address pinning (and could reach what the SSRF check refused).
    with httpx.Client(
        follow_redirects=False, timeout=httpx.Timeout(timeout), trust_env=False, verify=verify
    ) as client:
        last_error: httpx.ConnectError | None = None
        for address in target.addresses:
            request = _pinned_request(client, parsed, target, str(address), body, headers)
            try:
                response = client.send(request, stream=True)
                try:
                    return HttpAnswer(
                        status_code=response.status_code,
                        body=_read_head(response),
                        location=response.headers.get("location"),
                        retry_after=_parse_retry_after(response.headers.get("retry-after")),
                    )
                finally:
                    response.close()
            except httpx.ConnectError as error:
                # Nothing was sent: the next address of the same (checked) host may answer.
                last_error = error
            except httpx.TimeoutException as error:
                raise HttpSendError(
                    f"timed out after {timeout:g}s ({type(error).__name__})", retryable=True
                ) from error
            except httpx.UnsupportedProtocol as error:
                raise HttpSendError(f"unsupported URL: {error}", retryable=False) from error
            except httpx.TransportError as error:
                raise HttpSendError(
                    f"transport error: {error or type(error).__name__}", retryable=True
                ) from error
    raise HttpSendError(f"cannot connect to {target.host}:{target.port}: {last_error}", retryable=True)


def classify(status_code: int) -> tuple[bool, bool]:
    """(delivered, retryable) for an HTTP status, as described in the module docstring."""
    if 200 <= status_code < 300:
        return True, False
    return False, status_code >= 500 or status_code in RETRYABLE_CLIENT_ERRORS


def read_status(answer: HttpAnswer) -> SendOutcome:
    """The outcome an HTTP status alone says (see the module docstring)."""
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


def deliver(
    request: PreparedRequest,
    *,
    allowlist: Sequence[str],
    timeout: float,
    verify: ssl.SSLContext | bool = True,
    read: Callable[[HttpAnswer], SendOutcome] = read_status,
) -> SendOutcome:
    """POST a prepared request and ``read`` the answer into an outcome; a refused target or
    no answer at all become failed outcomes too (retryable when trying later can help)."""
    try:
        answer = post(
            request.url, request.body, request.headers, allowlist=allowlist, timeout=timeout, verify=verify
        )
    except UnsafeTarget as error:
        return SendOutcome(ok=False, error=f"target refused: {error}", retryable=error.retryable)
    except HttpSendError as error:
        return SendOutcome(ok=False, error=str(error), retryable=error.retryable)
    return read(answer)
