"""WeCom group bot (企业微信群机器人): Markdown messages to the bot's webhook URL, whose ``key``
is the only credential (WeCom bots have no signature).

What WeCom gets::

    POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>
    Content-Type: application/json; charset=utf-8

    {"msgtype": "markdown", "markdown": {"content": "<Markdown, at most 4096 bytes>"}}

Answers are ``{"errcode": 0, "errmsg": "ok"}`` when posted, HTTP 200 with another ``errcode``
when not (read as described in ``channels.im``):
- 45009 "api freq out of limit" (20 messages a minute per bot): retried a minute later at
  the earliest;
- -1 "system busy": retried on the schedule;
- anything else is a refusal, e.g. 93000 (invalid webhook url: the key is wrong or the bot
  was removed) or 40058 (content too long; we cut messages to 4096 bytes to avoid it).
"""

from __future__ import annotations

from ipsentry.alerting.channels.base import DeliveryContext
from ipsentry.alerting.channels.http import PreparedRequest
from ipsentry.alerting.channels.im import BotChannel, BotErrorCodes


class WeComChannel(BotChannel):
    kind = "wecom"
    codes = BotErrorCodes(
        service="WeCom",
        code_fields=("errcode",),
        message_fields=("errmsg",),
        throttled={45009: 60.0},
        transient=frozenset({-1}),
    )
    max_content_bytes = 4096

    def prepare(self, context: DeliveryContext) -> PreparedRequest:
        composed = self.compose(context)
        return self.request(
            context.target, {"msgtype": "markdown", "markdown": {"content": composed.markdown}}
        )
