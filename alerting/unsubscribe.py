"""Unsubscribe links: a signed token naming a channel and the subscriptions a message came
from, and what following it does.

Every e-mail carries the link in its body and in the ``List-Unsubscribe`` header with
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), so mail clients offer their
own button.  The API serves ``UNSUBSCRIBE_PATH``: ``GET`` shows a confirmation page (link
scanners follow GETs, so a GET must change nothing), ``POST`` (the one-click body
``List-Unsubscribe=One-Click``, or the page's form) calls :func:`unsubscribe`.

The token is not secret (it names rows by id) but unforgeable: an HMAC-SHA256 with a key
derived from the server secret for this purpose only.  It does not expire: an unsubscribe
link in a year-old e-mail must still work.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ipsentry.alerting.outbox import CANCELLED, PENDING, rowcount
from ipsentry.config.settings import Settings
from ipsentry.core.models import Alert, Delivery, Subscription, SubscriptionChannel

UNSUBSCRIBE_PATH = "/unsubscribe"
TOKEN_VERSION = "1"
# Used only where no secret is configured and the environment is development or test.
_DEVELOPMENT_SECRET = "ipsentry-development-secret-not-for-production"
_PURPOSE = b"ipsentry/unsubscribe/v1"
_MAC_BYTES = 16  # 128 bits: forging one needs 2**128 tries


class InvalidToken(ValueError):
    """The token is malformed or its signature does not match (never says which)."""


@dataclass(frozen=True)
class UnsubscribeRequest:
    """What a valid token asks: stop sending these subscriptions to this channel."""

    channel_id: int
    subscription_ids: tuple[int, ...]


@dataclass(frozen=True)
class UnsubscribeResult:
    channel_id: int
    removed_from: tuple[int, ...]  # subscriptions that no longer send to the channel
    deactivated: tuple[int, ...]  # subscriptions left without any channel, now inactive
    cancelled_deliveries: int


def secret_from_settings(settings: Settings) -> str:
    """The server secret tokens are signed with: ``Settings.secret_key`` once settings define
    it, else the ``IPSENTRY_SECRET_KEY`` environment variable; development and test fall back
    to a fixed key, production refuses to run without one."""
    configured = getattr(settings, "secret_key", None)
    if configured is not None and hasattr(configured, "get_secret_value"):
        configured = configured.get_secret_value()
    secret = configured or os.environ.get("IPSENTRY_SECRET_KEY")
    if secret:
        return str(secret)
    if settings.environment in ("development", "test"):
        return _DEVELOPMENT_SECRET
    raise RuntimeError("set IPSENTRY_SECRET_KEY: unsubscribe links are signed with it")


def _key(secret: str | bytes) -> bytes:
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    # A key of its own, so a token of another feature signed with the same secret never
    # passes as an unsubscribe token.
    return hmac.new(raw, _PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(secret: str | bytes, *, channel_id: int, subscription_ids: Collection[int]) -> str:
    subscriptions = ",".join(str(number) for number in sorted(set(subscription_ids)))
    claim = f"{TOKEN_VERSION}:{channel_id}:{subscriptions}".encode("ascii")
    mac = hmac.new(_key(secret), claim, hashlib.sha256).digest()[:_MAC_BYTES]
    return f"{_b64(claim)}.{_b64(mac)}"


def verify_token(secret: str | bytes, token: str) -> UnsubscribeRequest:
    """What the token asks; raises ``InvalidToken`` for anything we did not sign."""
    try:
        claim_text, mac_text = token.strip().split(".")
        claim, mac = _unb64(claim_text), _unb64(mac_text)
    except ValueError:
        raise InvalidToken("malformed unsubscribe token") from None
    expected = hmac.new(_key(secret), claim, hashlib.sha256).digest()[:_MAC_BYTES]
    if not hmac.compare_digest(expected, mac):
        raise InvalidToken("invalid unsubscribe token")
    try:
        version, channel, subscriptions = claim.decode("ascii").split(":")
        if version != TOKEN_VERSION:
            raise ValueError(version)
        ids = tuple(int(number) for number in subscriptions.split(",") if number)
        return UnsubscribeRequest(channel_id=int(channel), subscription_ids=ids)
    except ValueError:
        raise InvalidToken("malformed unsubscribe token") from None


def unsubscribe_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{UNSUBSCRIBE_PATH}?{urlencode({'token': token})}"


def unsubscribe(session: Session, request: UnsubscribeRequest) -> UnsubscribeResult:
    """Stop sending the request's subscriptions to its channel: the channel is removed from
    them, a subscription left without channels is deactivated (it would alert nobody), and
    what still waits to be sent to the channel for them is cancelled.  Idempotent: following
    the link twice changes nothing more."""
    removed = tuple(
        session.scalars(
            select(SubscriptionChannel.subscription_id).where(
                SubscriptionChannel.channel_id == request.channel_id,
                SubscriptionChannel.subscription_id.in_(request.subscription_ids),
            )
        )
    )
    if not removed:
        return UnsubscribeResult(request.channel_id, (), (), 0)
    session.execute(
        delete(SubscriptionChannel).where(
            SubscriptionChannel.channel_id == request.channel_id,
            SubscriptionChannel.subscription_id.in_(removed),
        )
    )
    still_sending = select(SubscriptionChannel.subscription_id).where(
        SubscriptionChannel.subscription_id == Subscription.id
    )
    orphans = tuple(
        session.scalars(select(Subscription.id).where(Subscription.id.in_(removed), ~still_sending.exists()))
    )
    if orphans:
        session.execute(
            update(Subscription).where(Subscription.id.in_(orphans)).values(active=False),
            execution_options={"synchronize_session": False},
        )
    cancelled = session.execute(
        update(Delivery)
        .where(
            Delivery.channel_id == request.channel_id,
            Delivery.status == PENDING,
            Delivery.alert_id.in_(select(Alert.id).where(Alert.subscription_id.in_(removed))),
        )
        .values(status=CANCELLED, last_error="unsubscribed"),
        execution_options={"synchronize_session": False},
    )
    return UnsubscribeResult(
        channel_id=request.channel_id,
        removed_from=tuple(sorted(removed)),
        deactivated=tuple(sorted(orphans)),
        cancelled_deliveries=rowcount(cancelled),
    )
