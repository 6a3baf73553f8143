"""What an alert or a digest says to people: message data built from the frozen payload, then
rendered from Jinja2 templates per language.

``templates/<language>/`` holds ``subject.txt``, ``body.txt`` and ``body.html`` (e-mail),
``im.md`` (DingTalk, WeCom and Feishu bots) and ``labels.json`` (the names of severities,
roles, stages…); ``templates/_layout.html`` is the e-mail frame both languages share.  One
alert is shown as a message of one item, so the same templates render digests.

Times are shown in the service's time zone with its offset ("2026-02-05 08:00 CST
(UTC+08:00)"): a reader in Shenzhen and one in Frankfurt must not guess which clock is meant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ipsentry.alerting.channels.base import DIGEST, DeliveryContext
from ipsentry.config.settings import Settings

LANGUAGES = ("zh", "en")
SUBJECT, TEXT, HTML, IM_MARKDOWN = "subject.txt", "body.txt", "body.html", "im.md"

# Characters with a meaning in the IM bots' Markdown dialects, escaped in text we did not write;
# brackets only where they would make a link, since some clients show the backslashes.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_<>~]|\](?=\())")


def language_of(code: str | None) -> str:
    """The template language for a channel's language code ("zh-CN" → "zh", else "en")."""
    return "zh" if (code or "").lower().startswith("zh") else "en"


def format_datetime(moment: datetime, zone: ZoneInfo) -> str:
    """``2026-02-05 08:00 CST (UTC+08:00)``; zones without an abbreviation show the offset only."""
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M}{_zone_suffix(local)}"


def format_window(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """A period, with the zone said once when both ends share an offset (no DST change)."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    if first.utcoffset() == last.utcoffset():
        return f"{first:%Y-%m-%d %H:%M} – {format_datetime(end, zone)}"
    return f"{format_datetime(start, zone)} – {format_datetime(end, zone)}"


def _zone_suffix(local: datetime) -> str:
    offset = local.strftime("%z")
    offset_text = f"UTC{offset[:3]}:{offset[3:]}"
    name = local.tzname() or ""
    if not name or name[0] in "+-" or name == "UTC":
        return f" ({offset_text})" if name != "UTC" else " UTC"
    return f" {name} ({offset_text})"


def web_url(url: Any) -> str | None:
    """``url`` if it is an http(s) URL, else None: a link in a message must not run script."""
    if not isinstance(url, str):
        return None
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


def markdown_text(value: Any) -> str:
    """Text safe inside IM Markdown: special characters escaped, line breaks flattened."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value or "").split()))


def markdown_url(url: str) -> str:
    """A URL safe as a Markdown link target (spaces and parentheses would end it)."""
    return quote(url, safe=":/?#&=%+@,;~!$*'.-_")


@dataclass(frozen=True)
class Item:
    """One alert as a message shows it: labels in the message's language, times formatted."""

    alert_id: int | None
    title: str
    url: str | None
    severity: str
    severity_label: str
    risk_kind: str
    stage: str
    case_id: str | None
    published: str | None
    detected_at: str
    enterprise: str | None
    role: str | None
    evidence: str
    summary: str
    authority: str | None
    subscription: str
    console_url: str | None


@dataclass(frozen=True)
class Message:
    """Everything the templates show.  An alert is a message of one item."""

    kind: str  # "alert" or "digest"
    language: str
    channel_name: str
    items: Sequence[Item]
    total: int  # alerts in the message, listed or not
    severity: str  # the highest among them
    severity_label: str
    headline: str  # the enterprise (or subscription) the message is about first
    others: int  # how many more enterprises (or subscriptions) it is about
    test: bool = False
    rate: str | None = None
    rate_label: str | None = None
    window: str | None = None
    window_end_date: str | None = None
    more_url: str | None = None  # the full list, when the message lists fewer than ``total``
    unsubscribe_url: str | None = None
    subscriptions: Sequence[str] = field(default_factory=tuple)

    @property
    def omitted(self) -> int:
        return self.total - len(self.items)


@lru_cache(maxsize=len(LANGUAGES))
def labels(language: str) -> Mapping[str, Mapping[str, str]]:
    text = files("ipsentry.alerting").joinpath("templates", language, "labels.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _label(language: str, group: str, key: Any) -> str:
    text = str(key or "other")
    return labels(language).get(group, {}).get(text) or text.replace("_", " ")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("ipsentry.alerting", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a typo in a template fails the test, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["md"] = markdown_text
    environment.filters["mdurl"] = markdown_url
    return environment


_SEVERITY_ORDER = ("info", "low", "medium", "high", "critical")


def _rank(severity: str) -> int:
    return _SEVERITY_ORDER.index(severity) if severity in _SEVERITY_ORDER else 0


class MessageRenderer:
    """Builds message data from a delivery and renders it; one per process is enough."""

    def __init__(self, *, public_url: str, timezone: str) -> None:
        self._public_url = public_url.rstrip("/")
        self.zone = ZoneInfo(timezone)

    @classmethod
    def from_settings(cls, settings: Settings) -> MessageRenderer:
        return cls(public_url=settings.public_url, timezone=settings.timezone)

    def console_url(self, path: str) -> str:
        return f"{self._public_url}{path}"

    def _item(
        self, language: str, alert_id: int | None, created_at: datetime, payload: Mapping[str, Any]
    ) -> Item:
        enterprise = payload.get("enterprise") or {}
        subscription = payload.get("subscription") or {}
        severity = str(payload.get("severity") or "info")
        return Item(
            alert_id=alert_id,
            title=" ".join(str(payload.get("title") or "").split()),
            url=web_url(payload.get("url")),
            severity=severity,
            severity_label=_label(language, "severity", severity),
            risk_kind=_label(language, "risk_kind", payload.get("risk_kind")),
            stage=_label(language, "stage", payload.get("stage")),
            case_id=payload.get("case_id"),
            published=payload.get("published"),
            detected_at=format_datetime(created_at, self.zone),
            enterprise=enterprise.get("name"),
            role=_label(language, "role", enterprise["role"]) if enterprise.get("role") else None,
            evidence=" ".join(str(enterprise.get("evidence") or "").split()),
            summary=" ".join(str(payload.get("summary") or "").split()),
            authority=payload.get("authority"),
            subscription=str(subscription.get("name") or ""),
            console_url=self.console_url(f"/alerts/{alert_id}") if alert_id else None,
        )

    def message(
        self,
        context: DeliveryContext,
        *,
        unsubscribe_url: str | None = None,
        max_items: int | None = None,
    ) -> Message:
        """The message for one delivery; ``max_items`` lists fewer alerts of a digest (the rest
        is behind its link), for channels whose size limit a long digest would break."""
        language = language_of(context.language)
        payload = context.payload
        if context.kind == DIGEST:
            entries = [
                (entry.get("id"), datetime.fromisoformat(entry["created_at"]), entry)
                for entry in payload.get("alerts", [])
            ]
            total = int(payload.get("total") or len(entries))
        else:
            entries = [(context.alert_id, context.alert_created_at, payload)]
            total = 1
        items = [self._item(language, *entry) for entry in entries]
        shown = items if max_items is None else items[:max_items]
        severity = max((item.severity for item in items), key=_rank, default="info")
        about = list(dict.fromkeys(item.enterprise or item.subscription for item in items))
        rate = payload.get("rate") if context.kind == DIGEST else None
        window = window_end_date = None
        if context.kind == DIGEST:
            start = datetime.fromisoformat(payload["window_start"])
            end = datetime.fromisoformat(payload["window_end"])
            window = format_window(start, end, self.zone)
            window_end_date = f"{end.astimezone(self.zone):%Y-%m-%d}"
        more_url = web_url(payload.get("more_url")) if context.kind == DIGEST else None
        return Message(
            kind=context.kind,
            language=language,
            channel_name=context.channel_name,
            items=shown,
            total=total,
            severity=severity,
            severity_label=_label(language, "severity", severity),
            headline=about[0] if about else "",
            others=max(len(about) - 1, 0),
            test=bool(payload.get("test")),
            rate=rate,
            rate_label=_label(language, "rate", rate) if rate else None,
            window=window,
            window_end_date=window_end_date,
            # Shown whenever the message lists fewer alerts than it holds.
            more_url=more_url if total > len(shown) else None,
            unsubscribe_url=unsubscribe_url,
            subscriptions=tuple(dict.fromkeys(item.subscription for item in items if item.subscription)),
        )

    def render(self, message: Message, template: str, **extra: Any) -> str:
        """One part (``SUBJECT``, ``TEXT``, ``HTML``, ``IM_MARKDOWN``) of ``message``; a subject
        comes back as one line."""
        rendered = _environment().get_template(f"{message.language}/{template}").render(m=message, **extra)
        if template == SUBJECT:
            return " ".join(rendered.split())
        return rendered.strip() + "\n"
