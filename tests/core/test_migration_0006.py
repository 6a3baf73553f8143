"""Migration 0006 (alerts unique per document stage) on a database holding alerts: nothing
pointing at them is lost by the table rebuild SQLite needs, and the new key holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ipsentry.config.settings import Settings
from ipsentry.core.db import make_engine, make_session_factory, migrate, transaction
from ipsentry.core.models import Alert, Channel, Delivery, DeliveryAttempt, Subscription

NOW = datetime(2026, 2, 10, 8, 30, tzinfo=UTC)


def _alert(subscription_id: int, stage: str, case_id: str | None = "flsd:1:24-cv-20037") -> Alert:
    return Alert(
        subscription_id=subscription_id,
        document_id="cl:docket:68340000",
        case_id=case_id,
        stage=stage,
        risk_kind="ecommerce",
        severity="critical",
        title="GoPro, Inc. v. The Individuals … Identified on Schedule A",
        payload={"stage": stage},
        created_at=NOW,
    )


def test_alerts_keep_their_deliveries_and_alert_again_per_stage(settings: Settings) -> None:
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url)
    try:
        migrate(engine, "0005")
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            channel = Channel(kind="webhook", target="http://127.0.0.1:9/hook")
            subscription = Subscription(kind="enterprise", channels=[channel])
            session.add(subscription)
            session.flush()
            alert = _alert(subscription.id, "tro_granted")
            session.add(alert)
            session.flush()
            delivery = Delivery(alert_id=alert.id, channel_id=channel.id, idempotency_key="k-tro")
            session.add(delivery)
            session.flush()
            session.add(DeliveryAttempt(delivery_id=delivery.id, ok=True, status_code=200))
            subscription_id = subscription.id

        migrate(engine)

        with factory() as session:
            counts = [session.scalar(select(func.count()).select_from(m)) for m in (Alert, Delivery)]
            assert counts == [1, 1]
            assert session.scalar(select(func.count()).select_from(DeliveryAttempt)) == 1
        # The docket moved on: a second alert of the document, at its new stage.  Without a
        # case id only the new (subscription, document, stage) key can refuse the duplicate.
        with transaction(factory) as session:
            session.add(_alert(subscription_id, "preliminary_injunction", case_id=None))
        with pytest.raises(IntegrityError), transaction(factory) as session:
            session.add(_alert(subscription_id, "preliminary_injunction", case_id=None))
    finally:
        engine.dispose()
