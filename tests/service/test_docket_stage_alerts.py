"""A CourtListener docket is one document updated as its Schedule A case moves on: the
sellers it lists and those watching its brand are alerted once per stage it reaches.

End to end on the fixture server's CONSTRUCTED CourtListener responses (real caption, docket
number, court and filing date of GoPro's S.D. Fla. suit; made-up docket id, entries and
parties): courtlistener spider via ``crawl_source`` → tagging → index → alerts → delivery
worker → a real webhook receiver on 127.0.0.1, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from ipsentry.alerting.signing import verify
from ipsentry.alerting.worker import DeliveryWorker
from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.models import Alert, Channel, Delivery, Enterprise, Subscription
from ipsentry.crawlers.fixture_routes_courtlistener import DOCKET_ID_BASE, CourtListenerFixture
from ipsentry.crawlers.fixture_server import FixtureServer
from ipsentry.service.context import AppContext
from ipsentry.service.crawl import crawl_source
from ipsentry.service.ingest import ingest

from .courtlistener_context import courtlistener_context

TOKEN = "constructed-stage-token"
SINCE = date(2024, 1, 1)
GOPRO = DOCKET_ID_BASE + 340000  # flsd 1:24-cv-20037: complaint, TRO motion, TRO granted
DOCUMENT = f"cl:docket:{GOPRO}"
CASE = "flsd:1:24-cv-20037"
SECRET = "s3cret-for-stages"


@pytest.fixture
def context(
    settings: Settings, fixture_server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppContext]:
    with courtlistener_context(settings, fixture_server, monkeypatch, TOKEN) as built:
        yield built


def _subscriber(
    context: AppContext, receiver_url: str, kind: str, query: str | None = None, **names: Any
) -> int:
    """An enterprise with one webhook channel and one immediate subscription; its id."""
    with transaction(context.session_factory) as session:
        enterprise = Enterprise(external_id=f"{kind}-subscriber", **names)
        session.add(enterprise)
        session.flush()
        channel = Channel(
            kind="webhook", target=f"{receiver_url}/hook/{kind}", secret=SECRET, enterprise_id=enterprise.id
        )
        session.add(
            Subscription(
                kind=kind, query=query, enterprise_id=enterprise.id, channels=[channel], min_severity="low"
            )
        )
        return enterprise.id


def _deliver(context: AppContext, receiver: Any) -> list[dict[str, Any]]:
    """Run the worker until the outbox is empty; the alerts received meanwhile."""
    before = len(receiver.requests)
    worker = DeliveryWorker(context.session_factory, context.settings)
    while worker.run_once().claimed:
        pass
    received = receiver.requests[before:]
    for request in received:
        assert verify(
            SECRET,
            request.headers["x-ipsentry-timestamp"],
            request.body,
            request.headers["x-ipsentry-signature"],
        )
    return [request.json()["alert"] | {"key": request.headers["idempotency-key"]} for request in received]


def _crawl(context: AppContext) -> Any:
    report = crawl_source(context, "courtlistener", since=SINCE)
    assert report.ok, report.error_samples
    return report


def test_a_listed_seller_hears_of_each_new_stage_of_the_docket_once(
    context: AppContext, fixture_server: FixtureServer, receiver: Any
) -> None:
    cl: CourtListenerFixture = fixture_server.sources["courtlistener"]
    seller = _subscriber(
        context, receiver.url, "enterprise", name_zh="深圳市高志祥贸易有限公司", stores=["gaozhixiang"]
    )
    _subscriber(context, receiver.url, "brand", "GOPRO", names_en=["Example Camera Mounts Co., Ltd."])
    # The schedule is unsealed (an entry that marks no stage): the store is a named defendant.
    cl.unseal(GOPRO, ["gaozhixiang"], date(2024, 5, 2))

    _crawl(context)
    at_tro = sorted(_deliver(context, receiver), key=lambda a: a["subscription"]["kind"])

    assert [(a["subscription"]["kind"], a["document_id"], a["stage"]) for a in at_tro] == [
        ("brand", DOCUMENT, "tro_granted"),
        ("enterprise", DOCUMENT, "tro_granted"),
    ]
    assert at_tro[1]["enterprise"]["id"] == seller and at_tro[1]["enterprise"]["role"] == "defendant"

    # Crawled again, and the stored docket re-ingested as it is: nothing new.
    _crawl(context)
    stored = context.index.get(DOCUMENT)
    assert stored is not None and stored.stage == "tro_granted"
    assert ingest(context, [stored]).alerts == 0
    assert _deliver(context, receiver) == []

    # The court converts the TRO into a preliminary injunction.
    cl.add_entry(
        GOPRO,
        "ORDER GRANTING Plaintiff's Motion for Preliminary Injunction. Signed by Judge.",
        date(2024, 5, 16),
        "Order on Motion for Preliminary Injunction",
    )
    moved = _crawl(context)

    assert moved.ingest.updated == [DOCUMENT] and moved.ingest.alerts == 2
    at_injunction = sorted(_deliver(context, receiver), key=lambda a: a["subscription"]["kind"])
    assert [
        (a["subscription"]["kind"], a["document_id"], a["case_id"], a["stage"]) for a in at_injunction
    ] == [
        ("brand", DOCUMENT, CASE, "preliminary_injunction"),
        ("enterprise", DOCUMENT, CASE, "preliminary_injunction"),
    ]
    assert at_injunction[1]["enterprise"]["id"] == seller and at_injunction[1]["severity"] == "critical"
    # Each stage is its own message: a receiver deduping on the key drops none of them.
    assert len({a["key"] for a in at_tro + at_injunction}) == 4

    # A later entry marking no stage, another crawl and a re-ingest: still nothing new.
    cl.add_entry(
        GOPRO, "NOTICE of Attorney Appearance by C. Example", date(2024, 5, 20), "Notice of Appearance"
    )
    _crawl(context)
    stored = context.index.get(DOCUMENT)
    assert stored is not None and stored.stage == "preliminary_injunction"
    assert ingest(context, [stored]).alerts == 0
    assert _deliver(context, receiver) == []
    with context.session_factory() as session:
        rows = session.execute(
            select(Alert.stage, Delivery.status).join(Delivery, Delivery.alert_id == Alert.id)
        )
        assert sorted(tuple(row) for row in rows) == [
            ("preliminary_injunction", "delivered"),
            ("preliminary_injunction", "delivered"),
            ("tro_granted", "delivered"),
            ("tro_granted", "delivered"),
        ]
