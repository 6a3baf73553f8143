"""The signature receivers check (the helper their documentation shows)."""

from __future__ import annotations

import hashlib
import hmac

from ipsentry.alerting.signing import sign, verify

BODY = '{"version":"1","type":"alert","alert":{"title":"深圳"}}'.encode()


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(b"secret", b"1767225600." + BODY, hashlib.sha256).hexdigest()
    assert sign("secret", 1767225600, BODY) == f"sha256={expected}"


def test_verify_accepts_our_signature_within_the_tolerance() -> None:
    signature = sign("secret", "1767225600", BODY)
    assert verify("secret", "1767225600", BODY, signature, tolerance_seconds=300, now=1767225600 + 299)


def test_verify_rejects_tampering_wrong_secrets_and_stale_timestamps() -> None:
    signature = sign("secret", 1767225600, BODY)
    now = 1767225600 + 10
    assert not verify("other", 1767225600, BODY, signature, 300, now=now)
    assert not verify("secret", 1767225600, BODY + b" ", signature, 300, now=now)
    assert not verify("secret", 1767225601, BODY, signature, 300, now=now)  # timestamp is signed
    assert not verify("secret", 1767225600, BODY, signature, 300, now=1767225600 + 301)
    assert not verify("secret", "yesterday", BODY, signature, 300, now=now)
    assert not verify("secret", 1767225600, BODY, signature.removeprefix("sha256="), 300, now=now)
