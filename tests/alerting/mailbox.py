"""A real SMTP server for e-mail tests: aiosmtpd on 127.0.0.1 requiring STARTTLS and login
(a self-signed certificate for 127.0.0.1), keeping every message it accepts, parsed."""

from __future__ import annotations

import email
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ipsentry.config.settings import SMTPSettings

USERNAME, PASSWORD = "alerts@ipsentry.example.cn", "smtp-pass-Vq3"
SENDER = "ipsentry 预警 <alerts@ipsentry.example.cn>"


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    authenticated_as: str | None
    tls: bool

    def part(self, content_type: str) -> str:
        found = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert found is not None and found.get_content_type() == content_type, content_type
        return str(found.get_content())  # type: ignore[attr-defined]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tls_pair(
    directory: Path, host: str = "127.0.0.1", *, stem: str = "smtp"
) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client trust) for a self-signed certificate of ``host`` only, an IP
    address or a DNS name, kept in ``directory`` as ``<stem>-cert.pem`` and ``<stem>-key.pem``
    (the HTTPS receivers use it too)."""
    try:
        subject: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        subject = x509.DNSName(host)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([subject]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{stem}-cert.pem", directory / f"{stem}-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return server, ssl.create_default_context(cafile=str(cert_file))


class Mailbox:
    """The SMTP server.  ``refuse`` maps recipient addresses to the SMTP reply they get."""

    def __init__(self, server_tls: ssl.SSLContext) -> None:
        self.messages: list[ReceivedMail] = []
        self.refuse: dict[str, str] = {}
        self._lock = threading.Lock()
        self.port = _free_port()
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=server_tls,
            require_starttls=True,
            auth_required=True,
            authenticator=self._authenticate,
        )

    @staticmethod
    def _authenticate(
        server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USERNAME.encode(),
            PASSWORD.encode(),
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = bytes(envelope.content or b"")  # type: ignore[arg-type]
        parsed = email.message_from_bytes(raw, policy=policy.default)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        with self._lock:
            self.messages.append(
                ReceivedMail(
                    mail_from=str(envelope.mail_from),
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=raw,
                    message=parsed,  # type: ignore[arg-type]
                    authenticated_as=login,
                    tls=session.ssl is not None,
                )
            )
            number = len(self.messages)
        return f"250 2.0.0 Ok: queued as Q{number:04d}"

    def settings(self) -> SMTPSettings:
        return SMTPSettings(
            host="127.0.0.1",
            port=self.port,
            username=USERNAME,
            password=PASSWORD,
            starttls=True,
            sender=SENDER,
        )

    def start(self) -> Mailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


@contextmanager
def running_mailbox(directory: Path) -> Iterator[tuple[Mailbox, ssl.SSLContext]]:
    """A started mailbox and the client trust for its certificate."""
    server_tls, trust = tls_pair(directory)
    mailbox = Mailbox(server_tls).start()
    try:
        yield mailbox, trust
    finally:
        mailbox.stop()
