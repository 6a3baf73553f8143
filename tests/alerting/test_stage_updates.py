"""A document updated as its case moves on (one CourtListener docket, re-crawled from TRO to
preliminary injunction) alerts once per stage it reaches, never twice for one stage."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.matching import create_alerts
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Match, RiskKind, Role
from ipsentry.core.models import Alert, Delivery

from .conftest import Registry, make_document

DOCKET = "cl:docket:68340000"
CASE = "flsd:1:24-cv-20037"


def _ingest(session_factory: sessionmaker[Session], *documents: Document) -> list[tuple[str, str]]:
    """One ingest transaction; the (document, stage) of each new alert."""
    with transaction(session_factory) as session:
        return [(alert.document_id, alert.stage) for alert in create_alerts(session, list(documents))]


def _listed_store(enterprise_id: int) -> Match:
    return Match(
        enterprise_id=enterprise_id,
        enterprise_name="Shenzhen Gaozhixiang Trading Co., Ltd.",
        kind="store",
        role=Role.DEFENDANT,
        score=1.0,
        evidence="gaozhixiang",
        variant="gaozhixiang",
    )


def _docket(enterprise_id: int, stage: str, document_id: str = DOCKET) -> Document:
    return make_document(
        document_id,
        kind=RiskKind.ECOMMERCE,
        stage=stage,
        case=CASE,
        title="GoPro, Inc. v. The Individuals, Corporations, Limited Liability Companies, Partnerships, "
        "and Unincorporated Associations Identified on Schedule A",
        matches=[_listed_store(enterprise_id)],
    )


def test_a_docket_alerts_again_at_each_new_stage_and_never_twice_at_one(
    session_factory: sessionmaker[Session], registry: Registry
) -> None:
    seller = registry.enterprise("seller", stores=["gaozhixiang"])
    hook = registry.channel("http://127.0.0.1:9/hook")
    registry.subscription("enterprise", enterprise_id=seller, channels=(hook,))

    assert _ingest(session_factory, _docket(seller, "tro_granted")) == [(DOCKET, "tro_granted")]
    assert _ingest(session_factory, _docket(seller, "tro_granted")) == []
    assert _ingest(session_factory, _docket(seller, "preliminary_injunction")) == [
        (DOCKET, "preliminary_injunction")
    ]
    assert _ingest(session_factory, _docket(seller, "preliminary_injunction")) == []
    # A stage seen before (a later TRO motion against more sellers) is not news again.
    assert _ingest(session_factory, _docket(seller, "tro_granted")) == []

    with session_factory() as session:
        alerts = session.scalars(select(Alert).order_by(Alert.id)).all()
        deliveries = session.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert [(a.case_id, a.stage, a.payload["stage"]) for a in alerts] == [
        (CASE, "tro_granted", "tro_granted"),
        (CASE, "preliminary_injunction", "preliminary_injunction"),
    ]
    assert [a.severity for a in alerts] == ["critical", "critical"]
    # Each stage's alert is its own message, under its own idempotency key.
    assert [d.alert_id for d in deliveries] == [a.id for a in alerts]
    assert len({d.idempotency_key for d in deliveries}) == 2


def test_a_docket_falling_back_to_no_stage_is_not_alerted_again(
    session_factory: sessionmaker[Session], registry: Registry
) -> None:
    seller = registry.enterprise("seller", stores=["gaozhixiang"])
    registry.subscription("enterprise", enterprise_id=seller)

    assert _ingest(session_factory, _docket(seller, "complaint")) == [(DOCKET, "complaint")]
    # Newest entries that mark no stage: the docket has not moved on.
    assert _ingest(session_factory, _docket(seller, "other")) == []
    assert _ingest(session_factory, _docket(seller, "tro_granted")) == [(DOCKET, "tro_granted")]


def test_a_docket_first_seen_without_a_stage_alerts_when_it_reaches_one(
    session_factory: sessionmaker[Session], registry: Registry
) -> None:
    seller = registry.enterprise("seller", stores=["gaozhixiang"])
    registry.subscription("enterprise", enterprise_id=seller)

    assert _ingest(session_factory, _docket(seller, "other")) == [(DOCKET, "other")]
    assert _ingest(session_factory, _docket(seller, "other")) == []
    assert _ingest(session_factory, _docket(seller, "tro_granted")) == [(DOCKET, "tro_granted")]


def test_a_stage_another_source_alerted_is_not_alerted_again_by_the_docket(
    session_factory: sessionmaker[Session], registry: Registry
) -> None:
    seller = registry.enterprise("seller", stores=["gaozhixiang"])
    registry.subscription("enterprise", enterprise_id=seller)
    rss_entry = _docket(seller, "preliminary_injunction", "pacer:flsd:1:24-cv-20037:41")

    assert _ingest(session_factory, _docket(seller, "tro_granted")) == [(DOCKET, "tro_granted")]
    # The PACER RSS entry of the injunction arrives first, then the docket catches up.
    assert _ingest(session_factory, rss_entry) == [(rss_entry.id, "preliminary_injunction")]
    assert _ingest(session_factory, _docket(seller, "preliminary_injunction")) == []


def test_each_subscription_hears_of_the_new_stage_once(
    session_factory: sessionmaker[Session], registry: Registry
) -> None:
    seller = registry.enterprise("seller", stores=["gaozhixiang"])
    watcher = registry.enterprise("watcher")
    mine = registry.subscription("enterprise", enterprise_id=seller)
    brand = registry.subscription("keyword", query="GoPro", enterprise_id=watcher)
    # A subscriber who wants only the gravest news: the TRO motion is below its threshold.
    strict = registry.subscription("enterprise", enterprise_id=seller, min_severity="critical")

    _ingest(session_factory, _docket(seller, "tro_motion"))
    _ingest(session_factory, _docket(seller, "tro_granted"), _docket(seller, "tro_granted"))
    _ingest(session_factory, _docket(seller, "tro_granted"))

    with session_factory() as session:
        rows = session.execute(select(Alert.subscription_id, Alert.stage).order_by(Alert.id)).all()
    assert sorted(tuple(row) for row in rows) == sorted(
        [
            (mine, "tro_motion"),
            (brand, "tro_motion"),
            (mine, "tro_granted"),
            (brand, "tro_granted"),
            (strict, "tro_granted"),
        ]
    )
