"""The alert and digest deliveries channel tests send: payloads as ``matching`` freezes them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ipsentry.alerting.channels.base import DIGEST, DeliveryContext

KEY = "5f0c6e0ad0c54d6f9b1f3f3b8b0b5a11"
# 08:30 UTC is 16:30 in Shanghai: what every message must show, with its zone.
CREATED = datetime(2026, 2, 10, 8, 30, tzinfo=UTC)
TITLE = "Certain Portable Power Stations; Institution of Investigation"


# The Markdown body the IM bots get for ``alert_payload()`` on a Chinese channel.
ZH_ALERT_MARKDOWN = (
    f"**[严重] [{TITLE}](https://www.federalregister.gov/d/2026-02297)**\n\n"
    "337 调查 · 立案调查 · 337-TA-1414\n\n"
    "涉及企业：深圳市利世安科技有限公司（被申请人）\n\n"
    "依据：(b) The respondents are … Shenzhen Lishian Technology Co., Ltd., Shenzhen, China\n\n"
    "摘要：Notice is hereby given that a complaint was filed with the U.S. International Trade "
    "Commission on behalf of EcoFlow Inc.\n\n"
    "发现时间：2026-02-10 16:30 CST (UTC+08:00)，发布日期：2026-02-10\n\n"
    "[在 ipsentry 中查看](https://ipsentry.example.cn/alerts/42)\n\n"
    "— ipsentry 海外知识产权风险预警\n"
)


def alert_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "document_id": "fr:2026-02297",
        "title": TITLE,
        "url": "https://www.federalregister.gov/d/2026-02297",
        "published": "2026-02-10",
        "risk_kind": "itc337",
        "source": "federal_register",
        "authority": "USITC",
        "jurisdiction": "US",
        "case_id": "337-TA-1414",
        "case_numbers": ["337-TA-1414"],
        "stage": "institution",
        "severity": "critical",
        "summary": "Notice is hereby given that a complaint was filed with the U.S. International Trade "
        "Commission on behalf of EcoFlow Inc.",
        "enterprise": {
            "id": 1,
            "name": "深圳市利世安科技有限公司",
            "role": "respondent",
            "match_kind": "party_name",
            "score": 0.97,
            "confidence": "high",
            "evidence": "(b) The respondents are … Shenzhen Lishian Technology Co., Ltd., Shenzhen, China",
            "variant": "Shenzhen Lishian Technology Co.",
        },
        "subscription": {"id": 5, "name": "利世安风险监测", "kind": "enterprise", "query": None},
    }
    payload.update(changes)
    return payload


def alert_context(
    target: str,
    *,
    kind: str = "webhook",
    language: str = "zh-CN",
    secret: str | None = None,
    payload: dict[str, Any] | None = None,
) -> DeliveryContext:
    return DeliveryContext(
        delivery_id=7,
        idempotency_key=KEY,
        attempt=1,
        alert_id=42,
        alert_created_at=CREATED,
        payload=payload if payload is not None else alert_payload(),
        channel_id=3,
        channel_kind=kind,
        channel_name="ops",
        target=target,
        secret=secret,
        language=language,
    )


def digest_context(
    target: str,
    *,
    kind: str,
    language: str = "zh-CN",
    secret: str | None = None,
    alerts: int = 3,
    total: int = 3,
) -> DeliveryContext:
    """A daily digest listing ``alerts`` alerts of ``total`` (the rest behind its link)."""
    entries = [
        {
            "id": 100 + number,
            "created_at": CREATED.isoformat(),
            **alert_payload(
                document_id=f"fr:2026-{number}",
                title=f"Certain Wireless Earbuds {number}; Institution of Investigation",
                case_id=f"337-TA-{1500 + number}",
                severity="high" if number else "critical",
            ),
        }
        for number in range(alerts)
    ]
    payload = {
        "id": 9,
        "rate": "daily",
        "window_start": "2026-02-09T00:00:00+00:00",
        "window_end": "2026-02-10T00:00:00+00:00",
        "total": total,
        "alerts": entries,
        "more_url": "https://ipsentry.example.cn/alerts?digest=9",  # every alert of the digest
        "subscriptions": [{"id": 5, "name": "利世安风险监测"}],
    }
    return DeliveryContext(
        delivery_id=8,
        idempotency_key=KEY,
        attempt=1,
        alert_id=None,
        alert_created_at=CREATED,
        payload=payload,
        channel_id=3,
        channel_kind=kind,
        channel_name="ops",
        target=target,
        secret=secret,
        language=language,
        kind=DIGEST,
    )
