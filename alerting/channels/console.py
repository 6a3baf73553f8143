"""Console channel, for development and demos: the alert is written to the log, nothing is
sent anywhere, and it always succeeds."""

from __future__ import annotations

import logging

from ipsentry.alerting.channels.base import DIGEST, DeliveryContext, SendOutcome
from ipsentry.config.settings import Settings

log = logging.getLogger(__name__)


def render_line(context: DeliveryContext) -> str:
    payload = context.payload
    if context.kind == DIGEST:
        return (
            f"[DIGEST {payload.get('rate')}] {payload.get('total')} alerts until {payload.get('window_end')}"
            f" {payload.get('more_url') or ''}".rstrip()
        )
    enterprise = payload.get("enterprise") or {}
    who = f" — {enterprise.get('name')} ({enterprise.get('role')})" if enterprise else ""
    case = f" [{payload['case_id']}]" if payload.get("case_id") else ""
    return (
        f"[{str(payload.get('severity', '')).upper()}] {payload.get('title', '')}{case}"
        f" stage={payload.get('stage')}{who} {payload.get('url') or payload.get('document_id')}"
    )


class ConsoleChannel:
    kind = "console"

    @classmethod
    def from_settings(cls, settings: Settings) -> ConsoleChannel:
        return cls()

    def send(self, context: DeliveryContext) -> SendOutcome:
        log.info("alert %s via %r: %s", context.alert_id, context.channel_name, render_line(context))
        return SendOutcome(ok=True)
