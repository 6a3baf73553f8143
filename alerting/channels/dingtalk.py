"""DingTalk group bot (钉钉自定义机器人): Markdown messages, signed when the bot has a secret.

What DingTalk gets (the webhook URL is the bot's, with its ``access_token``)::

    POST <webhook URL>&timestamp=<unix milliseconds>&sign=<sign>
    Content-Type: application/json; charset=utf-8

    {"msgtype": "markdown", "markdown": {"title": "<subject>", "text": "<Markdown>"}}

``sign`` is base64(HMAC-SHA256(key=secret, message=f"{timestamp}\\n{secret}")), URL-encoded;
DingTalk refuses timestamps more than an hour away from its clock.  A bot secured by keyword or
IP allow-list instead has no secret: no signature is added.

Answers are ``{"errcode": 0, "errmsg": "ok"}`` when posted, HTTP 200 with another ``errcode``
when not (read as described in ``channels.im``):
- 130101 "send too fast, exceed 20 times per minute": the bot is throttled for ten minutes,
  so the retry waits at least that long;
- -1 "system busy": retried on the schedule;
- anything else is a refusal, e.g. 310000 (sign not match, keywords not in content, ip not in
  whitelist) or 300001 (token is not exist).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode, urlsplit

from ipsentry.alerting.channels.base import DeliveryContext
from ipsentry.alerting.channels.http import PreparedRequest
from ipsentry.alerting.channels.im import BotChannel, BotErrorCodes


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    """The ``sign`` query value before URL encoding."""
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode("ascii")


def signed_url(target: str, secret: str, timestamp_ms: str) -> str:
    query = urlencode({"timestamp": timestamp_ms, "sign": dingtalk_sign(secret, timestamp_ms)})
    return f"{target}{'&' if urlsplit(target).query else '?'}{query}"


class DingTalkChannel(BotChannel):
    kind = "dingtalk"
    codes = BotErrorCodes(
        service="DingTalk",
        code_fields=("errcode",),
        message_fields=("errmsg",),
        throttled={130101: 600.0},
        transient=frozenset({-1}),
    )
    # DingTalk caps a request at about 20 KB; the rest of the JSON needs little of it.
    max_content_bytes = 18000

    def prepare(self, context: DeliveryContext) -> PreparedRequest:
        composed = self.compose(context)
        url = context.target
        if context.secret:
            url = signed_url(context.target, context.secret, str(int(self._clock() * 1000)))
        document = {"msgtype": "markdown", "markdown": {"title": composed.title, "text": composed.markdown}}
        return self.request(url, document)
