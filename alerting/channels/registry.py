"""Channel kinds this version can send, by the ``Channel.kind`` stored with each channel.

The worker only claims deliveries of kinds listed here, so a channel kind added by a newer
release is left alone by older workers instead of failing."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ipsentry.alerting.channels.base import Channel
from ipsentry.alerting.channels.console import ConsoleChannel
from ipsentry.alerting.channels.dingtalk import DingTalkChannel
from ipsentry.alerting.channels.email import EmailChannel
from ipsentry.alerting.channels.feishu import FeishuChannel
from ipsentry.alerting.channels.webhook import WebhookChannel
from ipsentry.alerting.channels.wecom import WeComChannel
from ipsentry.config.settings import Settings

ChannelFactory = Callable[[Settings], Channel]

CHANNELS: Mapping[str, ChannelFactory] = {
    WebhookChannel.kind: WebhookChannel.from_settings,
    EmailChannel.kind: EmailChannel.from_settings,
    DingTalkChannel.kind: DingTalkChannel.from_settings,
    WeComChannel.kind: WeComChannel.from_settings,
    FeishuChannel.kind: FeishuChannel.from_settings,
    ConsoleChannel.kind: ConsoleChannel.from_settings,
}


class UnknownChannelKind(LookupError):
    pass


def create_channel(
    kind: str, settings: Settings, channels: Mapping[str, ChannelFactory] = CHANNELS
) -> Channel:
    try:
        factory = channels[kind]
    except KeyError:
        raise UnknownChannelKind(
            f"no channel of kind {kind!r} (known: {', '.join(sorted(channels))})"
        ) from None
    return factory(settings)
