"""SSRF guard for outgoing webhooks: a target URL may only reach public addresses, unless the
host name or address is allow-listed (on-premises receivers, tests).

Checked twice: when a channel is saved (``check_target``, for a clear error) and when sending
(``resolve_target``): a name can resolve elsewhere by then (DNS rebinding), so the sender
connects to the very address that passed the check instead of resolving again.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")
_NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


class UnsafeTarget(ValueError):
    """The target may not be called; ``str(error)`` is the reason, safe to show the user."""

    # A refusal by policy stays a refusal; only a failed name lookup may pass on a later try.
    retryable: bool = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnresolvableTarget(UnsafeTarget):
    """The host name did not resolve (now): DNS may be down, so a later attempt may succeed."""

    retryable = True


@dataclass(frozen=True)
class ResolvedTarget:
    """A checked target: where to connect (``addresses``) and what to call the host."""

    scheme: str
    host: str  # as written in the URL, lower case, without brackets
    port: int
    addresses: tuple[IPAddress, ...]


@dataclass(frozen=True)
class _Allowlist:
    networks: tuple[IPNetwork, ...]
    hosts: frozenset[str]

    @classmethod
    def parse(cls, entries: Sequence[str]) -> _Allowlist:
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in entries:
            text = entry.strip()
            if not text:
                continue
            try:
                networks.append(ipaddress.ip_network(text.strip("[]"), strict=False))
            except ValueError:
                hosts.add(_normalise_host(text))
        return cls(tuple(networks), frozenset(hosts))

    def allows(self, address: IPAddress) -> bool:
        candidates = [address]
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            candidates.append(embedded)
        return any(
            candidate.version == net.version and candidate in net
            for candidate in candidates
            for net in self.networks
        )


def _normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4, Teredo), if any:
    ``::ffff:127.0.0.1`` reaches the loopback just as ``127.0.0.1`` does."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def unsafe_reason(address: IPAddress) -> str | None:
    """Why connecting to ``address`` is refused, or None when it is a public address."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        inner = unsafe_reason(embedded)
        return f"{inner} (embedded in {address})" if inner else None
    for reason, flagged in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flagged:
            return f"{address} is a {reason} address"
    # Catches the rest that is not routable on the internet (e.g. 100.64.0.0/10 shared space).
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return (literal,)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnresolvableTarget(f"cannot resolve {host}: {error}") from error
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # Scoped IPv6 answers come back as "fe80::1%eth0"; the scope is not part of the address.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnresolvableTarget(f"cannot resolve {host}: no addresses")
    return tuple(addresses)


def resolve_target(url: str, allowlist: Sequence[str]) -> ResolvedTarget:
    """Check ``url`` and return where to connect; raises ``UnsafeTarget`` with the reason.

    Every address the host resolves to must be public or allow-listed: an answer mixing a
    public and a private address is refused rather than hoping the public one is used."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeTarget(f"not a valid URL: {error}") from error
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeTarget(f"only http and https targets are allowed, not {scheme or 'no scheme'!r}")
    host = _normalise_host(parts.hostname or "")
    if not host:
        raise UnsafeTarget("the URL has no host")
    port = port or (443 if scheme == "https" else 80)
    allowed = _Allowlist.parse(allowlist)
    addresses = _resolve(host, port)
    if host not in allowed.hosts:
        for address in addresses:
            if allowed.allows(address):
                continue
            reason = unsafe_reason(address)
            if reason is not None:
                shown = reason if str(address) == host else f"{host} resolves to {reason}"
                raise UnsafeTarget(f"{shown}; not allowed unless allow-listed")
    return ResolvedTarget(scheme=scheme, host=host, port=port, addresses=addresses)


def check_target(url: str, allowlist: Sequence[str]) -> None:
    """Raise ``UnsafeTarget`` (``str()`` is the reason) when ``url`` may not be called."""
    resolve_target(url, allowlist)
