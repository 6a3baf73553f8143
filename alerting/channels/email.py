"""E-mail channel: one message per alert (or digest) over SMTP, with STARTTLS and login from
``settings.smtp``; an HTML part and a text part rendered from the channel language's templates.

What recipients get:
- ``Subject`` with the severity and the enterprise; times in the service's time zone;
- ``List-Unsubscribe`` (the signed link) and ``List-Unsubscribe-Post:
  List-Unsubscribe=One-Click`` (RFC 8058), and the same link in the body;
- ``Message-ID`` made from the delivery's idempotency key, so a message re-sent after a crash
  carries the same id and mail clients show it once; ``Auto-Submitted: auto-generated`` so
  out-of-office replies are not sent back.

How the server's answers are read: a 250 after DATA is delivered.  A recipient refused with
5xx, or a message refused with 5xx, is failed for good (repeated, it disables the channel); 4xx
answers and network errors are retried.  Errors of our own SMTP setup (login, TLS, a refused
sender) are retried too: they are not the channel's fault and must not disable every e-mail
channel at once.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from ipsentry.alerting.channels.base import DIGEST, DeliveryContext, SendOutcome, excerpt
from ipsentry.alerting.messages import HTML, SUBJECT, TEXT, MessageRenderer
from ipsentry.alerting.unsubscribe import make_token, secret_from_settings, unsubscribe_url
from ipsentry.config.settings import Settings, SMTPSettings

IMPLICIT_TLS_PORT = 465  # SMTPS: TLS from the first byte, no STARTTLS


class InvalidRecipient(ValueError):
    pass


def recipient_address(target: str) -> str:
    """The bare address of a channel target; raises ``InvalidRecipient``.  ASCII only: the
    SMTPUTF8 extension is not used."""
    # One address only: parseaddr would silently keep the first of "a@x, b@y".
    if any(c in target for c in ",;\r\n"):
        raise InvalidRecipient(f"one e-mail address per channel, not {target!r}")
    address = parseaddr(target)[1]
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or not address.isascii() or any(c.isspace() for c in address):
        raise InvalidRecipient(f"not a supported e-mail address: {target!r}")
    return address


def subscription_ids(context: DeliveryContext) -> list[int]:
    """The subscriptions a message comes from (what its unsubscribe link stops)."""
    if context.kind == DIGEST:
        return [int(entry["id"]) for entry in context.payload.get("subscriptions", [])]
    subscription = context.payload.get("subscription") or {}
    return [int(subscription["id"])] if subscription.get("id") else []


def _reply_text(reply: bytes | str) -> str:
    return excerpt(reply if isinstance(reply, bytes) else reply.encode("utf-8", "replace"))


def smtp_failure(error: Exception) -> SendOutcome:
    """The outcome of an SMTP error, as described in the module docstring."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()))
        return SendOutcome(
            ok=False,
            status_code=code,
            response_excerpt=_reply_text(reply),
            error=f"recipient refused: SMTP {code}",
            retryable=code < 500,
        )
    if isinstance(error, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused):
        return SendOutcome(
            ok=False,
            status_code=error.smtp_code,
            response_excerpt=_reply_text(error.smtp_error),
            error=f"SMTP setup of this service refused ({type(error).__name__}, SMTP {error.smtp_code})",
            retryable=True,
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return SendOutcome(
            ok=False,
            status_code=error.smtp_code,
            response_excerpt=_reply_text(error.smtp_error),
            error=f"message refused: SMTP {error.smtp_code}",
            retryable=error.smtp_code < 500,
        )
    # Not connected, TLS failures, STARTTLS missing, timeouts: nothing was delivered.
    return SendOutcome(ok=False, error=f"SMTP error: {type(error).__name__}: {error}", retryable=True)


class EmailChannel:
    kind = "email"

    def __init__(
        self,
        *,
        smtp: SMTPSettings,
        renderer: MessageRenderer,
        public_url: str,
        unsubscribe_secret: str,
        timeout: float,
        tls_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._smtp = smtp
        self._renderer = renderer
        self._public_url = public_url
        self._secret = unsubscribe_secret
        self._timeout = timeout
        # The trust for STARTTLS and SMTPS; a private CA's context for an internal relay.
        self._tls = tls_context or ssl.create_default_context()
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailChannel:
        return cls(
            smtp=settings.smtp,
            renderer=MessageRenderer.from_settings(settings),
            public_url=settings.public_url,
            unsubscribe_secret=secret_from_settings(settings),
            # Per SMTP command; a few of them fit in the worker's lease like a webhook's send.
            timeout=settings.webhook_timeout_seconds * 2,
        )

    @property
    def smtp(self) -> SMTPSettings:
        return self._smtp

    @property
    def sender(self) -> str:
        return parseaddr(self._smtp.sender)[1]

    def prepare(self, context: DeliveryContext) -> EmailMessage:
        """The message as sent; raises ``InvalidRecipient`` for a target we cannot mail."""
        recipient = recipient_address(context.target)
        subscriptions = subscription_ids(context)
        link = None
        if subscriptions:
            token = make_token(self._secret, channel_id=context.channel_id, subscription_ids=subscriptions)
            link = unsubscribe_url(self._public_url, token)
        message_data = self._renderer.message(context, unsubscribe_url=link)
        message = EmailMessage(policy=policy.SMTP)
        message["Subject"] = self._renderer.render(message_data, SUBJECT)
        message["From"] = self._smtp.sender
        message["To"] = recipient
        message["Date"] = formatdate(self._clock(), localtime=False, usegmt=True)
        domain = self.sender.rpartition("@")[2] or "localhost"
        message["Message-ID"] = f"<{context.idempotency_key}@{domain}>"
        message["Auto-Submitted"] = "auto-generated"
        if link:
            message["List-Unsubscribe"] = f"<{link}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        # base64 keeps the message 7-bit (no 8BITMIME needed) whatever the language.
        message.set_content(self._renderer.render(message_data, TEXT), cte="base64")
        message.add_alternative(self._renderer.render(message_data, HTML), subtype="html", cte="base64")
        return message

    def _connect(self) -> smtplib.SMTP:
        if self._smtp.port == IMPLICIT_TLS_PORT:
            return smtplib.SMTP_SSL(
                self._smtp.host, self._smtp.port, timeout=self._timeout, context=self._tls
            )
        return smtplib.SMTP(self._smtp.host, self._smtp.port, timeout=self._timeout)

    def deliver(self, message: EmailMessage) -> SendOutcome:
        recipient = str(message["To"])
        data = message.as_bytes(policy=policy.SMTP)
        try:
            with self._connect() as client:
                client.ehlo()
                if self._smtp.starttls and self._smtp.port != IMPLICIT_TLS_PORT:
                    client.starttls(context=self._tls)
                    client.ehlo()
                if self._smtp.username:
                    password = self._smtp.password.get_secret_value() if self._smtp.password else ""
                    client.login(self._smtp.username, password)
                code, reply = client.mail(self.sender)
                if code != 250:
                    raise smtplib.SMTPSenderRefused(code, reply, self.sender)
                code, reply = client.rcpt(recipient)
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
                code, reply = client.data(data)  # raises SMTPDataError unless 250
        except (smtplib.SMTPException, OSError) as error:
            return smtp_failure(error)
        return SendOutcome(ok=True, status_code=code, response_excerpt=_reply_text(reply))

    def send(self, context: DeliveryContext) -> SendOutcome:
        try:
            message = self.prepare(context)
        except InvalidRecipient as error:
            return SendOutcome(ok=False, error=str(error), retryable=False)
        return self.deliver(message)
