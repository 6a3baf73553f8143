"""The webhook channel: the exact request a receiver gets, and how its answers are read."""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ipsentry.alerting.channels.base import DeliveryContext
from ipsentry.alerting.channels.webhook import WebhookChannel
from ipsentry.alerting.signing import verify

from .mailbox import tls_pair
from .receiver import Receiver, Reply

SECRET = "whsec-Zq7"
PAYLOAD = {
    "document_id": "fr:2026-02297",
    "title": "Certain Portable Power Stations; Institution of Investigation",
    "severity": "critical",
    "enterprise": {"id": 1, "name": "深圳市利世安科技有限公司", "role": "respondent"},
}


def context(target: str, *, secret: str | None = SECRET) -> DeliveryContext:
    return DeliveryContext(
        delivery_id=7,
        idempotency_key="5f0c6e0ad0c54d6f9b1f3f3b8b0b5a11",
        attempt=1,
        alert_id=42,
        alert_created_at=datetime(2026, 2, 10, 8, 30, tzinfo=UTC),
        payload=PAYLOAD,
        channel_id=3,
        channel_kind="webhook",
        channel_name="ops",
        target=target,
        secret=secret,
        language="zh-CN",
    )


def channel(allowlist: list[str] | None = None, timeout: float = 2.0) -> WebhookChannel:
    return WebhookChannel(
        allowlist=["127.0.0.1/32"] if allowlist is None else allowlist,
        timeout=timeout,
        user_agent="ipsentry-webhook/test",
    )


def test_receiver_gets_a_signed_versioned_envelope(receiver: Receiver) -> None:
    outcome = channel().send(context(f"{receiver.url}/hook"))

    assert outcome.ok and outcome.status_code == 200 and outcome.response_excerpt == '{"ok":true}'
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/hook")
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.headers["user-agent"] == "ipsentry-webhook/test"
    assert request.headers["idempotency-key"] == "5f0c6e0ad0c54d6f9b1f3f3b8b0b5a11"
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert verify(
        SECRET,
        request.headers["x-ipsentry-timestamp"],
        request.body,
        request.headers["x-ipsentry-signature"],
        300,
    )
    assert not verify(
        "wrong",
        request.headers["x-ipsentry-timestamp"],
        request.body,
        request.headers["x-ipsentry-signature"],
        300,
    )
    assert json.loads(request.body) == {
        "version": "1",
        "type": "alert",
        "id": "5f0c6e0ad0c54d6f9b1f3f3b8b0b5a11",
        "created_at": "2026-02-10T08:30:00+00:00",
        "alert": {"id": 42, **PAYLOAD},
    }
    assert "深圳市利世安科技有限公司".encode() in request.body  # UTF-8, not \\u escapes


def test_a_channel_without_secret_sends_no_signature(receiver: Receiver) -> None:
    assert channel().send(context(f"{receiver.url}/hook", secret=None)).ok
    assert "x-ipsentry-signature" not in receiver.requests[0].headers


def test_localhost_names_connect_to_the_checked_address(receiver: Receiver) -> None:
    # The connection goes to the address that passed the check; the receiver still sees the
    # name from the URL in the Host header (virtual hosts and TLS names keep working).
    url = f"http://localhost:{receiver.port}/hook"
    outcome = channel(["localhost"]).send(context(url))
    assert outcome.ok, outcome.error
    assert receiver.requests[0].headers["host"] == f"localhost:{receiver.port}"


def test_a_redirect_is_not_followed(make_receiver) -> None:
    first, elsewhere = make_receiver(), make_receiver()
    first.script(Reply(302, b"", {"Location": f"{elsewhere.url}/hook"}))

    outcome = channel().send(context(f"{first.url}/hook"))

    assert not outcome.ok and not outcome.retryable
    assert outcome.status_code == 302
    assert f"redirect to {elsewhere.url}/hook not followed" in (outcome.error or "")
    assert len(first.requests) == 1 and elsewhere.requests == []


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [
        (Reply(500, b"boom"), True),
        (Reply(503, b"", {"Retry-After": "120"}), True),
        (Reply(429, b"slow down"), True),
        (Reply(408, b""), True),
        (Reply(400, b'{"error":"bad signature"}'), False),
        (Reply(404, b"no such hook"), False),
        (Reply(410, b"gone"), False),
    ],
)
def test_failures_say_whether_a_retry_can_help(receiver: Receiver, reply: Reply, retryable: bool) -> None:
    receiver.script(reply)

    outcome = channel().send(context(f"{receiver.url}/hook"))

    assert (outcome.ok, outcome.status_code, outcome.retryable) == (False, reply.status, retryable)
    assert outcome.response_excerpt == reply.body.decode()
    assert outcome.error == f"HTTP {reply.status}"
    if "Retry-After" in reply.headers:
        assert outcome.retry_after == 120


def test_only_the_first_kilobyte_of_an_answer_is_kept(receiver: Receiver) -> None:
    receiver.script(Reply(500, "错".encode() * 2000))

    outcome = channel().send(context(f"{receiver.url}/hook"))

    assert outcome.response_excerpt is not None
    assert len(outcome.response_excerpt.encode()) <= 1024 + 3  # a cut character becomes U+FFFD
    assert outcome.response_excerpt.startswith("错" * 300)


def test_a_slow_receiver_times_out_and_is_retried(receiver: Receiver) -> None:
    receiver.script(Reply(200, delay=1.5))

    outcome = channel(timeout=0.3).send(context(f"{receiver.url}/hook"))

    assert not outcome.ok and outcome.retryable
    assert "timed out" in (outcome.error or "")


def test_a_refused_connection_is_retried() -> None:
    outcome = channel().send(context("http://127.0.0.1:9/hook"))  # discard port: nothing listens
    assert not outcome.ok and outcome.retryable
    assert "cannot connect" in (outcome.error or "")


def test_internal_targets_are_refused_at_send_time(receiver: Receiver) -> None:
    outcome = channel(allowlist=[]).send(context(f"{receiver.url}/hook"))

    assert not outcome.ok and not outcome.retryable
    assert "target refused" in (outcome.error or "") and "loopback" in (outcome.error or "")
    assert receiver.requests == []


@pytest.fixture
def localhost_tls(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for the name "localhost" only: (server context, client trust)."""
    return tls_pair(tmp_path, "localhost", stem="https")


def test_https_to_a_pinned_address_still_checks_the_certificate_name(make_receiver, localhost_tls) -> None:
    server_tls, trust = localhost_tls
    receiver = make_receiver(server_tls)
    tls_channel = WebhookChannel(
        allowlist=["localhost", "127.0.0.1/32"], timeout=2.0, user_agent="ipsentry-webhook/test", verify=trust
    )

    by_name = tls_channel.send(context(f"https://localhost:{receiver.port}/hook"))
    by_address = tls_channel.send(context(f"https://127.0.0.1:{receiver.port}/hook"))

    assert by_name.ok, by_name.error  # connected to 127.0.0.1, verified as "localhost"
    assert receiver.requests[0].headers["host"] == f"localhost:{receiver.port}"
    assert not by_address.ok and "certificate" in (by_address.error or "").lower()
    assert len(receiver.requests) == 1
