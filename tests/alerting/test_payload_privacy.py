"""An enterprise's own subscription never carries another registered enterprise's name."""

from __future__ import annotations

from ipsentry.alerting.payload import build_payload
from ipsentry.alerting.selectors import Hit
from ipsentry.core.documents import Document, Match, RiskKind, Role, Severity
from ipsentry.core.models import Subscription


def _hit(enterprise_id: int) -> Hit:
    match = Match(
        enterprise_id=enterprise_id, kind="party_name", role=Role.RESPONDENT, evidence="Acme Co., Ltd."
    )
    document = Document(
        id="fr:1", source="federal_register", kind=RiskKind.ITC337, native_id="1", title="Certain Widgets"
    )
    return Hit(document=document, match=match, severity=Severity.HIGH, enterprise_name="Acme")


def test_enterprise_saved_search_hides_other_enterprises() -> None:
    own_search = Subscription(id=1, kind="search", enterprise_id=7, query="widgets")
    assert build_payload(own_search, _hit(enterprise_id=9))["enterprise"] is None
    assert build_payload(own_search, _hit(enterprise_id=7))["enterprise"]["name"] == "Acme"


def test_staff_subscription_keeps_the_match() -> None:
    center_search = Subscription(id=2, kind="search", enterprise_id=None, query="widgets")
    assert build_payload(center_search, _hit(enterprise_id=9))["enterprise"]["id"] == 9
