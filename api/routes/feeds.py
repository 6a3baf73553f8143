"""/api/v1/feeds/{token}.atom|.rss: a subscription's alerts as a feed.  Feed readers cannot send
an API key, so the secret is the token in the URL (issued by POST /subscriptions/{id}/feed,
stored hashed; issuing a new one revokes the old)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Response
from sqlalchemy import select

from ipsentry.api.deps import ContextDep, SessionDep, not_found
from ipsentry.api.tokens import token_hash
from ipsentry.core.models import Alert, FeedToken, Subscription

router = APIRouter(prefix="/api/v1/feeds", tags=["feeds"], responses={404: {"description": "unknown token"}})

ITEMS = 50
ATOM = "http://www.w3.org/2005/Atom"
_MEDIA = {"atom": "application/atom+xml; charset=utf-8", "rss": "application/rss+xml; charset=utf-8"}


def _entry(alert: Alert, base: str, subscription: Subscription) -> dict[str, Any]:
    payload = alert.payload or {}
    enterprise = payload.get("enterprise") or {}
    # An enterprise's feed names no other enterprise (see alerts.alert_out).
    if subscription.enterprise_id is not None and enterprise.get("id") != subscription.enterprise_id:
        enterprise = {}
    about = f"{enterprise['name']} ({enterprise.get('role')}) — " if enterprise.get("name") else ""
    return {
        "id": f"{base}/alerts/{alert.id}",
        "title": f"[{alert.severity}] {alert.title}",
        "link": f"{base}/documents/{alert.document_id}",
        "summary": about + str(payload.get("summary") or ""),
        "created": alert.created_at,
    }


def _atom(subscription: Subscription, entries: list[dict[str, Any]], self_url: str) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = f"ipsentry — {subscription.name or subscription.kind}"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = (
        self_url.split("/feeds/")[0] + f"/subscriptions/{subscription.id}"
    )
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    updated = max((entry["created"] for entry in entries), default=subscription.created_at)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated.isoformat()
    ET.SubElement(ET.SubElement(feed, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = "ipsentry"
    for entry in entries:
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(item, f"{{{ATOM}}}id").text = entry["id"]
        ET.SubElement(item, f"{{{ATOM}}}title").text = entry["title"]
        ET.SubElement(item, f"{{{ATOM}}}link", href=entry["link"])
        ET.SubElement(item, f"{{{ATOM}}}updated").text = entry["created"].isoformat()
        ET.SubElement(item, f"{{{ATOM}}}summary").text = entry["summary"]
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _rss(subscription: Subscription, entries: list[dict[str, Any]], self_url: str) -> bytes:
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = f"ipsentry — {subscription.name or subscription.kind}"
    ET.SubElement(channel, "link").text = self_url
    ET.SubElement(channel, "description").text = "海外知识产权风险预警 / overseas IP risk alerts"
    for entry in entries:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = entry["title"]
        ET.SubElement(item, "link").text = entry["link"]
        ET.SubElement(item, "guid", isPermaLink="false").text = entry["id"]
        ET.SubElement(item, "pubDate").text = format_datetime(entry["created"].astimezone(UTC))
        ET.SubElement(item, "description").text = entry["summary"]
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _feed(token: str, feed_format: str, session: SessionDep, context: ContextDep) -> Response:
    row = session.scalar(select(FeedToken).where(FeedToken.token_hash == token_hash(token)))
    if row is None:
        raise not_found("feed")
    row.last_used_at = datetime.now(UTC)
    subscription = session.get(Subscription, row.subscription_id)
    assert subscription is not None  # the token row cascades with its subscription
    alerts = session.scalars(
        select(Alert).where(Alert.subscription_id == subscription.id)
        .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(ITEMS)
    ).all()  # fmt: skip
    base = context.settings.public_url.rstrip("/")
    entries = [_entry(alert, base, subscription) for alert in alerts]
    self_url = f"{base}/api/v1/feeds/{token}.{feed_format}"
    body = (_atom if feed_format == "atom" else _rss)(subscription, entries, self_url)
    return Response(body, media_type=_MEDIA[feed_format], headers={"Cache-Control": "private, max-age=300"})


_DOC = {200: {"content": {media: {} for media in _MEDIA.values()}}, 404: {"description": "unknown token"}}


@router.get(
    "/{token}.atom", response_class=Response, responses=_DOC, summary="A subscription's alerts (Atom)"
)
def atom_feed(token: str, session: SessionDep, context: ContextDep) -> Response:
    return _feed(token, "atom", session, context)


@router.get(
    "/{token}.rss", response_class=Response, responses=_DOC, summary="A subscription's alerts (RSS 2.0)"
)
def rss_feed(token: str, session: SessionDep, context: ContextDep) -> Response:
    return _feed(token, "rss", session, context)
