"""What the group-bot channels (DingTalk, WeCom, Feishu) share: a Markdown message fitted to the
service's size limit, the SSRF-guarded POST, and reading the error code in the answer.

These bots answer HTTP 200 even when they refuse a message; the refusal is a code in the JSON
body.  So an answer is delivered only when its HTTP status is 2xx AND its code is 0.  A code
that means "too many messages" or "busy" is retried (after the throttling period the service
documents, when longer than our schedule); any other code is a refusal (bad signature, missing
keyword, unknown token…), failed at once, and repeated refusals disable the channel.  An
answer without a readable code is retried: we cannot tell whether the message was posted.

Every message ends with "ipsentry", so a bot secured by a custom keyword accepts it when the
keyword is "ipsentry" (or "预警" for Chinese channels).
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Self

from ipsentry.alerting.channels.base import DeliveryContext, SendOutcome
from ipsentry.alerting.channels.http import HttpAnswer, PreparedRequest, deliver, read_status
from ipsentry.alerting.channels.webhook import encode, package_version
from ipsentry.alerting.messages import IM_MARKDOWN, SUBJECT, Message, MessageRenderer
from ipsentry.config.settings import Settings

TRUNCATION_MARK = "\n\n…"


@dataclass(frozen=True)
class BotErrorCodes:
    """Where a service puts its answer code, and which codes are worth a retry."""

    service: str
    code_fields: Sequence[str]  # the first present one is read
    message_fields: Sequence[str]
    # code -> seconds the service documents it throttles a bot for
    throttled: Mapping[int, float] = field(default_factory=dict)
    transient: frozenset[int] = frozenset()  # "system busy" and the like


def _first(document: Mapping[str, Any], names: Sequence[str]) -> Any:
    return next((document[name] for name in names if name in document), None)


def read_bot_answer(answer: HttpAnswer, codes: BotErrorCodes) -> SendOutcome:
    """The outcome of a bot's answer, as described in the module docstring."""
    outcome = read_status(answer)
    if not outcome.ok:
        return outcome
    try:
        document = json.loads(answer.body)
        code = int(_first(document, codes.code_fields))
    except (ValueError, TypeError):
        return replace(
            outcome, ok=False, retryable=True, error=f"{codes.service} answer has no readable code"
        )
    if code == 0:
        return outcome
    message = _first(document, codes.message_fields) or ""
    error = f"{codes.service} error {code}: {message}".strip().rstrip(":")
    if code in codes.throttled:
        wait = max(codes.throttled[code], answer.retry_after or 0.0)
        return replace(outcome, ok=False, retryable=True, error=error, retry_after=wait)
    return replace(outcome, ok=False, retryable=code in codes.transient, error=error)


def truncate_utf8(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` of UTF-8 (never inside a character), marked."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    room = max_bytes - len(TRUNCATION_MARK.encode("utf-8"))
    return encoded[:room].decode("utf-8", errors="ignore").rstrip() + TRUNCATION_MARK


def fit(render: Callable[[int | None], str], *, items: int, max_bytes: int) -> str:
    """``render(max_items)`` within ``max_bytes``: a digest lists fewer alerts first (the others
    stay behind its link, which is kept), cutting the text is the last resort."""
    text = render(None)
    shown = items
    while len(text.encode("utf-8")) > max_bytes and shown > 1:
        shown = max(1, shown * 2 // 3)
        text = render(shown)
    return truncate_utf8(text, max_bytes)


@dataclass(frozen=True)
class Composed:
    message: Message
    title: str  # one line: notification previews, card headers
    markdown: str


class BotChannel:
    """The common part of the bot channels; each kind adds its ``prepare`` (payload format and
    signature) and its answer codes."""

    kind: ClassVar[str]
    codes: ClassVar[BotErrorCodes]
    max_content_bytes: ClassVar[int]
    # Whether the Markdown starts with the title as a heading (the service shows no title).
    markdown_heading: ClassVar[bool] = True

    def __init__(
        self,
        *,
        allowlist: Sequence[str],
        timeout: float,
        user_agent: str,
        renderer: MessageRenderer,
        clock: Callable[[], float] = time.time,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._allowlist = tuple(allowlist)
        self._timeout = timeout
        self._user_agent = user_agent
        self._renderer = renderer
        # Wall time for signatures: the services refuse timestamps far from their own clock.
        self._clock = clock
        self._verify = verify

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(
            allowlist=settings.webhook_allowlist,
            timeout=settings.webhook_timeout_seconds,
            user_agent=f"ipsentry/{package_version()} (+{settings.public_url})",
            renderer=MessageRenderer.from_settings(settings),
        )

    def compose(self, context: DeliveryContext) -> Composed:
        message = self._renderer.message(context)
        title = self._renderer.render(message, SUBJECT)
        heading = title if self.markdown_heading else None

        def markdown(max_items: int | None) -> str:
            shown = message if max_items is None else self._renderer.message(context, max_items=max_items)
            return self._renderer.render(shown, IM_MARKDOWN, heading=heading)

        return Composed(
            message, title, fit(markdown, items=len(message.items), max_bytes=self.max_content_bytes)
        )

    def request(self, url: str, document: dict[str, Any]) -> PreparedRequest:
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": self._user_agent}
        return PreparedRequest(url=url, body=encode(document), headers=headers)

    def prepare(self, context: DeliveryContext) -> PreparedRequest:
        raise NotImplementedError

    def deliver(self, request: PreparedRequest) -> SendOutcome:
        return deliver(
            request,
            allowlist=self._allowlist,
            timeout=self._timeout,
            verify=self._verify,
            read=lambda answer: read_bot_answer(answer, self.codes),
        )

    def send(self, context: DeliveryContext) -> SendOutcome:
        return self.deliver(self.prepare(context))
