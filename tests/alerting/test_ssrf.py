"""Webhook targets: public addresses only, unless allow-listed (literal IPs and localhost only:
the tests resolve no public names)."""

from __future__ import annotations

import pytest

from ipsentry.alerting.ssrf import UnsafeTarget, check_target, resolve_target

REFUSED = [
    ("http://10.0.0.1/hook", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]:8080/hook", "loopback"),
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://localhost:8080/hook", "loopback"),
    ("http://0.0.0.0/hook", "unspecified"),
    ("http://[::ffff:10.0.0.1]/hook", "private"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://100.64.0.1/hook", "not a public address"),
    ("http://2130706433/hook", "loopback"),  # 127.0.0.1 written as one number
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_internal_targets_are_refused_without_an_allowlist(url: str, reason: str) -> None:
    with pytest.raises(UnsafeTarget) as refused:
        check_target(url, [])
    assert reason in str(refused.value)
    assert "allow-listed" in str(refused.value)


@pytest.mark.parametrize(
    ("url", "allowlist"),
    [
        ("http://10.0.0.1/hook", ["10.0.0.0/8"]),
        ("http://169.254.169.254/", ["169.254.169.254"]),
        ("http://[::1]:8080/hook", ["::1/128"]),
        ("http://127.0.0.1:8080/hook", ["127.0.0.1/32"]),
        ("http://[::ffff:127.0.0.1]/hook", ["127.0.0.0/8"]),
        ("http://localhost:8080/hook", ["localhost"]),
        ("https://LOCALHOST./hook", ["localhost"]),
    ],
)
def test_allow_listed_hosts_and_networks_pass(url: str, allowlist: list[str]) -> None:
    check_target(url, allowlist)


def test_public_literal_addresses_pass_and_keep_their_port() -> None:
    target = resolve_target("https://93.184.215.14:8443/hook?x=1", [])
    assert (target.scheme, target.host, target.port, [str(a) for a in target.addresses]) == (
        "https",
        "93.184.215.14",
        8443,
        ["93.184.215.14"],
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("gopher://127.0.0.1/", "only http and https"),
        ("ftp://93.184.215.14/", "only http and https"),
        ("http:///nohost", "no host"),
        ("http://93.184.215.14:99999/", "not a valid URL"),
    ],
)
def test_malformed_or_non_http_targets_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeTarget, match=reason):
        check_target(url, ["0.0.0.0/0"])


def test_an_unresolvable_name_is_a_retryable_refusal() -> None:
    with pytest.raises(UnsafeTarget) as refused:
        check_target("http://no-such-host.invalid/hook", [])
    assert refused.value.retryable
    assert "cannot resolve" in str(refused.value)
