"""Test-send: a sample alert, clearly marked as a test, sent through a channel's real code, and
the equivalent ``curl`` command, so a user can see what their receiver gets and replay it.

The command shows the real body and headers of that send (its signature included: a receiver's
verification code can be checked against it; DingTalk and Feishu accept a signed timestamp for
an hour).  Credentials are never shown: the access token or key in a bot's URL, a Feishu hook
id, a password in a URL or the SMTP password become shell variables (``${DINGTALK_ACCESS_TOKEN}``)
that the user sets from their own copy (the comment above the command says which, with the
last characters to recognise it).  A channel's signing secret never appears at all.
"""

from __future__ import annotations

import re
import shlex
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from ipsentry.alerting.channels.base import DeliveryContext, SendOutcome
from ipsentry.alerting.channels.email import InvalidRecipient
from ipsentry.alerting.channels.http import PreparedRequest
from ipsentry.alerting.channels.registry import CHANNELS, ChannelFactory, create_channel
from ipsentry.config.settings import Settings, SMTPSettings
from ipsentry.core.documents import utcnow
from ipsentry.core.models import Channel

__all__ = ["sample_context", "test_send"]

# Query parameters that carry credentials in webhook URLs.
CREDENTIAL_PARAMETERS = frozenset(
    {"access_token", "key", "token", "secret", "sig", "apikey", "api_key", "auth", "password", "code"}
)
FEISHU_HOOK = re.compile(r"(/hook/)([^/?#]+)")
_HEREDOC_END = "IPSENTRY_MESSAGE_END"
_SHOWN_TAIL = 4  # characters of a credential shown to recognise it
_MIN_LENGTH_TO_SHOW_TAIL = 16


def sample_context(channel: Channel, *, now: datetime | None = None) -> DeliveryContext:
    """A made-up alert, flagged ``test`` (messages then say so), for ``channel``."""
    now = now or utcnow()
    payload: dict[str, Any] = {
        "test": True,
        "document_id": "test:ipsentry-sample",
        "title": "Certain Sample Products; Institution of Investigation (ipsentry test message)",
        "url": None,
        "published": date.fromtimestamp(now.timestamp()).isoformat(),
        "risk_kind": "itc337",
        "source": "ipsentry",
        "authority": "USITC",
        "jurisdiction": "US",
        "case_id": "337-TA-0000",
        "case_numbers": ["337-TA-0000"],
        "stage": "institution",
        "severity": "high",
        "summary": "This is a sample alert sent to check the channel. 这是一条测试消息。",
        "enterprise": {
            "id": 0,
            "name": "示例科技有限公司 Sample Technology Co., Ltd.",
            "role": "respondent",
            "match_kind": "party_name",
            "score": 1.0,
            "confidence": "high",
            "evidence": "(b) The respondents are: Sample Technology Co., Ltd., Shenzhen, China",
            "variant": "Sample Technology Co., Ltd.",
        },
        "subscription": None,  # a test belongs to no subscription: no unsubscribe link
    }
    return DeliveryContext(
        delivery_id=0,
        idempotency_key=f"test-{uuid.uuid4().hex}",
        attempt=1,
        alert_id=None,
        alert_created_at=now,
        payload=payload,
        channel_id=channel.id,
        channel_kind=channel.kind,
        channel_name=channel.name or f"#{channel.id}",
        target=channel.target,
        secret=channel.secret,
        language=channel.language,
    )


@dataclass(frozen=True)
class _Variable:
    name: str
    hint: str


def _hint(what: str, value: str) -> str:
    if len(value) >= _MIN_LENGTH_TO_SHOW_TAIL:
        return f"{what}, ending in …{value[-_SHOWN_TAIL:]}"
    return what


def _double_quoted(text: str, variables: Mapping[str, str]) -> str:
    """``text`` in shell double quotes, with each placeholder of ``variables`` expanded."""
    escaped = re.sub(r'([\\$`"])', r"\\\1", text)
    for placeholder, name in variables.items():
        escaped = escaped.replace(placeholder, f"${{{name}}}")
    return f'"{escaped}"'


def masked_url(url: str, kind: str) -> tuple[str, list[_Variable]]:
    """The URL as a double-quoted shell word with its credentials replaced by variables."""
    parts = urlsplit(url)
    prefix = kind.upper()
    variables: list[_Variable] = []
    placeholders: dict[str, str] = {}

    def hide(name: str, value: str, what: str) -> str:
        placeholder = f"\x00{len(placeholders)}\x00"
        placeholders[placeholder] = name
        variables.append(_Variable(name, _hint(what, value)))
        return placeholder

    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(
            f":{parts.password}@",
            f":{hide(f'{prefix}_PASSWORD', parts.password, 'the password in the URL')}@",
        )
    path = parts.path
    if kind == "feishu":
        match = FEISHU_HOOK.search(path)
        if match:
            hidden = hide("FEISHU_HOOK_ID", match.group(2), "the id at the end of your bot's webhook URL")
            path = f"{path[: match.start(2)]}{hidden}{path[match.end(2) :]}"
    query = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        shown = quote(value, safe="")
        if name.lower() in CREDENTIAL_PARAMETERS:
            variable = f"{prefix}_{re.sub(r'[^A-Z0-9]', '_', name.upper())}"
            shown = hide(variable, value, f"the {name} in your webhook URL")
        query.append(f"{quote(name, safe='')}={shown}")
    rebuilt = f"{parts.scheme}://{netloc}{path}" + (f"?{'&'.join(query)}" if query else "")
    if parts.fragment:
        rebuilt += f"#{parts.fragment}"
    return _double_quoted(rebuilt, placeholders), variables


def _exports(variables: list[_Variable]) -> list[str]:
    return [f"# export {variable.name}='…'  ({variable.hint})" for variable in variables]


def curl_for_http(request: PreparedRequest, kind: str) -> str:
    url, variables = masked_url(request.url, kind)
    lines = [f"curl -sS -X POST {url}"]
    lines += [f"  -H {shlex.quote(f'{name}: {value}')}" for name, value in request.headers.items()]
    # Single-quoted exactly: a signed body must reach the receiver byte for byte.
    lines.append(f"  --data-binary {shlex.quote(request.body.decode('utf-8'))}")
    return "\n".join([*_exports(variables), " \\\n".join(lines)])


def curl_for_smtp(message: EmailMessage, smtp: SMTPSettings) -> str:
    sender = parseaddr(smtp.sender)[1]
    implicit_tls = smtp.port == 465
    scheme = "smtps" if implicit_tls else "smtp"
    lines = [f"curl -sS --url {shlex.quote(f'{scheme}://{smtp.host}:{smtp.port}')}"]
    if smtp.starttls and not implicit_tls:
        lines.append("  --ssl-reqd")
    lines.append(f"  --mail-from {shlex.quote(sender)} --mail-rcpt {shlex.quote(str(message['To']))}")
    variables: list[_Variable] = []
    if smtp.username:
        variables.append(_Variable("SMTP_PASSWORD", f"the password of {smtp.username} on {smtp.host}"))
        user = _double_quoted(f"{smtp.username}:\x00password\x00", {"\x00password\x00": "SMTP_PASSWORD"})
        lines.append(f"  --user {user}")
    lines.append(f"  --crlf --upload-file - <<'{_HEREDOC_END}'")
    text = message.as_string(policy=policy.SMTP.clone(linesep="\n")).rstrip("\n")
    return "\n".join([*_exports(variables), " \\\n".join(lines), text, _HEREDOC_END])


def test_send(
    channel: Channel,
    settings: Settings,
    *,
    channels: Mapping[str, ChannelFactory] = CHANNELS,
    now: datetime | None = None,
) -> tuple[SendOutcome, str]:
    """Send a sample alert to ``channel`` now; returns the outcome and the equivalent curl
    command ("" for a channel with nothing to call).  Raises ``UnknownChannelKind``."""
    context = sample_context(channel, now=now)
    sender: Any = create_channel(channel.kind, settings, channels)
    if not hasattr(sender, "prepare"):
        return sender.send(context), ""  # the console channel: written to the service log
    try:
        prepared = sender.prepare(context)
    except InvalidRecipient as error:
        return SendOutcome(ok=False, error=str(error)), ""
    outcome = sender.deliver(prepared)
    if isinstance(prepared, EmailMessage):
        return outcome, curl_for_smtp(prepared, sender.smtp)
    return outcome, curl_for_http(prepared, channel.kind)


# Not a pytest test, whatever its name says.
test_send.__test__ = False  # type: ignore[attr-defined]
