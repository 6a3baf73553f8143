"""Feishu / Lark group bot (飞书自定义机器人): an interactive card, signed when the bot has a
secret.

What Feishu gets::

    POST https://open.feishu.cn/open-apis/bot/v2/hook/<hook id>
    Content-Type: application/json; charset=utf-8

    {"timestamp": "<unix seconds>", "sign": "<sign>", "msg_type": "interactive",
     "card": {"config": {"wide_screen_mode": true},
              "header": {"title": {"tag": "plain_text", "content": "<subject>"},
                         "template": "<colour of the severity>"},
              "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": "<Markdown>"}}]}}

``sign`` is base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", message=b"")): the reverse of
DingTalk's, whose key is the secret.  Feishu refuses timestamps more than an hour away.  Without
a secret, ``timestamp`` and ``sign`` are left out.

Answers are ``{"code": 0, "msg": "success", "data": {}}`` when posted (older deployments:
``{"StatusCode": 0, "StatusMessage": "success"}``), HTTP 200 with another code when not (read as
described in ``channels.im``):
- 11232 (frequency limited: 100 a minute, 5 a second per bot) and 99991400 (request trigger
  frequency limit): retried a minute later at the earliest;
- anything else is a refusal, e.g. 19021 (sign match fail or timestamp is not within one hour),
  19022 (IP not allowed), 19024 (key words not found), 9499 (bad request).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from ipsentry.alerting.channels.base import DeliveryContext
from ipsentry.alerting.channels.http import PreparedRequest
from ipsentry.alerting.channels.im import BotChannel, BotErrorCodes

CARD_COLOURS = {"critical": "red", "high": "orange", "medium": "yellow", "low": "blue", "info": "grey"}


def feishu_sign(secret: str, timestamp: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuChannel(BotChannel):
    kind = "feishu"
    codes = BotErrorCodes(
        service="Feishu",
        code_fields=("code", "StatusCode"),
        message_fields=("msg", "StatusMessage"),
        throttled={11232: 60.0, 99991400: 60.0},
    )
    # Feishu caps a request at 20 KB; the card around the Markdown needs little of it.
    max_content_bytes = 18000
    markdown_heading = False  # the card header shows the title; lark_md has no headings

    def prepare(self, context: DeliveryContext) -> PreparedRequest:
        composed = self.compose(context)
        document: dict[str, Any] = {}
        if context.secret:
            timestamp = str(int(self._clock()))
            document = {"timestamp": timestamp, "sign": feishu_sign(context.secret, timestamp)}
        document["msg_type"] = "interactive"
        document["card"] = {
            "config": {"wide_screen_mode": True},
            "header": {
                "title": {"tag": "plain_text", "content": composed.title},
                "template": CARD_COLOURS.get(composed.message.severity, "grey"),
            },
            "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": composed.markdown}}],
        }
        return self.request(context.target, document)
