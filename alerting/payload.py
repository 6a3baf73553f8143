"""What an alert says, frozen when it is created: later re-tagging or edits to the source
record must not change a message already sent or about to be retried."""

from __future__ import annotations

from typing import Any

from ipsentry.alerting.selectors import Hit
from ipsentry.core.documents import Document
from ipsentry.core.models import Subscription

SUMMARY_EXCERPT_CHARS = 500


def _excerpt(document: Document) -> str:
    text = " ".join((document.summary or document.text).split())
    if len(text) <= SUMMARY_EXCERPT_CHARS:
        return text
    return text[: SUMMARY_EXCERPT_CHARS - 1].rstrip() + "…"


def build_payload(subscription: Subscription, hit: Hit) -> dict[str, Any]:
    """A JSON-serialisable dict with everything a message needs, in any channel or language."""
    document = hit.document
    match = hit.match
    if match is not None and subscription.enterprise_id not in (None, match.enterprise_id):
        # An enterprise's own subscription (a saved search, say) never learns which OTHER
        # registered enterprise a document named.
        match = None
    enterprise: dict[str, Any] | None = None
    if match is not None:
        enterprise = {
            "id": match.enterprise_id,
            "name": hit.enterprise_name,
            "role": match.role.value,
            "match_kind": match.kind,
            "score": match.score,
            "confidence": match.confidence,
            "evidence": match.evidence,
            "variant": match.variant,
        }
    about: dict[str, Any] = {
        "id": subscription.id,
        "name": subscription.name,
        "kind": subscription.kind,
        "query": subscription.query,
    }
    if subscription.kind == "search":
        # Why it matched: the clauses of the saved query the document satisfied.
        about["matched_clauses"] = list(hit.reasons)
    return {
        "document_id": document.id,
        "title": document.title,
        "url": document.url,
        "published": document.published.isoformat() if document.published else None,
        "risk_kind": document.kind.value,
        "source": document.source,
        "authority": document.authority,
        "jurisdiction": document.jurisdiction,
        "case_id": document.case_id,
        "case_numbers": list(document.case_numbers),
        "stage": document.stage,
        "severity": hit.severity.value,
        "summary": _excerpt(document),
        "enterprise": enterprise,
        "subscription": about,
    }
