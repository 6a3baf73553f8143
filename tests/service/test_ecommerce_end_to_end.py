"""Cross-border e-commerce suits end to end: the fixture server's CONSTRUCTED CourtListener v4
responses (real Schedule A captions, docket numbers, courts and filing dates; made-up docket
ids, entries, parties and firms) → the courtlistener spider via ``crawl_source`` → tagging →
index → alerts → delivery worker → a real webhook receiver on 127.0.0.1.

The child crawl process reads the CourtListener token from its environment (the crawl settings
do not carry it yet), so each test sets it there as well as in the context's settings.  The
account's default quota (5 requests a minute) is in force: a second crawl waits for its token.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from ipsentry.alerting.signing import verify
from ipsentry.alerting.worker import DeliveryWorker
from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Role
from ipsentry.core.models import Alert, Case, CaseEvent, Channel, Delivery, Enterprise, Subscription
from ipsentry.crawlers.fixture_routes_courtlistener import DOCKET_ID_BASE, CourtListenerFixture, throttle_next
from ipsentry.crawlers.fixture_server import FixtureServer
from ipsentry.crawlers.parsers.courtlistener import parse_search
from ipsentry.service.context import AppContext
from ipsentry.service.crawl import crawl_source
from ipsentry.service.ingest import ingest

from .courtlistener_context import courtlistener_context

TOKEN = "constructed-e2e-token"
SINCE = date(2024, 1, 1)
SEARCH = "/api/rest/v4/search/"
RIVER_LIGHT = DOCKET_ID_BASE + 351000  # ilnd 1:24-cv-03089, TORY BURCH marks, sealed schedule
GOPRO = DOCKET_ID_BASE + 340000  # flsd 1:24-cv-20037
SECRET = "s3cret-for-ecommerce"


@pytest.fixture
def context(
    settings: Settings, fixture_server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppContext]:
    """A running ipsentry whose CourtListener is the fixture server."""
    with courtlistener_context(settings, fixture_server, monkeypatch, TOKEN) as built:
        yield built


def _enterprise(context: AppContext, external_id: str, **fields: Any) -> int:
    with transaction(context.session_factory) as session:
        row = Enterprise(external_id=external_id, **fields)
        session.add(row)
        session.flush()
        return row.id


def _subscribe(
    context: AppContext,
    receiver_url: str,
    enterprise_id: int,
    kind: str,
    query: str | None = None,
    **fields: Any,
) -> int:
    with transaction(context.session_factory) as session:
        channel = Channel(
            kind="webhook", target=f"{receiver_url}/hook/{kind}", secret=SECRET, enterprise_id=enterprise_id
        )
        subscription = Subscription(
            kind=kind,
            query=query,
            enterprise_id=enterprise_id,
            channels=[channel],
            **{"min_severity": "low", **fields},
        )
        session.add(subscription)
        session.flush()
        return subscription.id


def _deliver_all(context: AppContext) -> None:
    worker = DeliveryWorker(context.session_factory, context.settings)
    while worker.run_once().claimed:
        pass


def _counts(context: AppContext) -> tuple[int, int]:
    with context.session_factory() as session:
        return (
            session.scalar(select(func.count(Alert.id))) or 0,
            session.scalar(select(func.count(Delivery.id))) or 0,
        )


def test_a_watched_plaintiff_brand_is_alerted_for_its_new_case_once(
    context: AppContext, fixture_server: FixtureServer, receiver: Any
) -> None:
    seller = _enterprise(context, "seller-camera-mounts", names_en=["Example Camera Mounts Co., Ltd."])
    subscription = _subscribe(context, receiver.url, seller, "brand", "GOPRO")
    throttle_next(fixture_server, retry_after=1)

    first = crawl_source(context, "courtlistener", since=SINCE)

    assert first.ok, first.error_samples
    assert first.fetched == 3 and len(first.ingest.created) == 3
    searches = fixture_server.requests_to(SEARCH)
    assert len(searches) == 2 and searches[0] == searches[1]  # the 429 and its retry after 1 s
    _deliver_all(context)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    body = request.json()
    assert verify(
        SECRET, request.headers["x-ipsentry-timestamp"], request.body, request.headers["x-ipsentry-signature"]
    )
    alert = body["alert"]
    assert alert["document_id"] == f"cl:docket:{GOPRO}"
    assert alert["subscription"] == {"id": subscription, "name": "", "kind": "brand", "query": "GOPRO"}
    assert alert["case_id"] == "flsd:1:24-cv-20037" and alert["stage"] == "tro_granted"
    assert alert["risk_kind"] == "ecommerce" and alert["severity"] == "low"
    assert alert["title"].startswith("GoPro, Inc. v. The Individuals, Corporations")
    counts = _counts(context)
    # The case is threaded under its court and docket number, with its stage.
    with context.session_factory() as session:
        case = session.get(Case, "flsd:1:24-cv-20037")
        assert case is not None and case.current_stage == "tro_granted"
        assert (
            session.scalar(select(CaseEvent.document_id).where(CaseEvent.case_id == case.id))
            == alert["document_id"]
        )

    before = len(fixture_server.requests)
    second = crawl_source(context, "courtlistener", since=SINCE)

    assert second.ok, second.error_samples
    assert second.fetched == 0 and not second.ingest.created and not second.ingest.updated
    later = [path for _, path in fixture_server.requests[before:]]
    assert len(later) == 1 and later[0].startswith(SEARCH) and "entry_date_filed_after=2024-04-23" in later[0]
    _deliver_all(context)
    assert _counts(context) == counts and len(receiver.requests) == 1


def test_an_amended_schedule_alerts_only_the_newly_listed_seller_at_high_severity(
    context: AppContext, fixture_server: FixtureServer, receiver: Any
) -> None:
    cl: CourtListenerFixture = fixture_server.sources["courtlistener"]
    first_store = _enterprise(
        context, "seller-gaozhixiang", name_zh="深圳市高志祥贸易有限公司", stores=["gaozhixiang"]
    )
    second_store = _enterprise(
        context, "seller-lishian", name_zh="深圳市利世安科技有限公司", seller_ids=["A1B2C3D4E5F6G7"]
    )
    for enterprise in (first_store, second_store):
        _subscribe(context, receiver.url, enterprise, "enterprise", min_severity="high")
    watcher = _enterprise(context, "seller-watching-tory-burch", names_en=["Example Handbags Co., Ltd."])
    _subscribe(context, receiver.url, watcher, "brand", "Tory Burch")
    # The schedule is unsealed with one seller before the first crawl sees the case.
    cl.unseal(RIVER_LIGHT, ["gaozhixiang"], date(2024, 4, 29))

    first = crawl_source(context, "courtlistener", since=SINCE)
    assert first.ok, first.error_samples
    _deliver_all(context)
    alerts = [request.json()["alert"] for request in receiver.requests]
    assert sorted((a["subscription"]["kind"], a["document_id"]) for a in alerts) == [
        ("brand", f"cl:docket:{RIVER_LIGHT}"),
        ("enterprise", f"cl:docket:{RIVER_LIGHT}"),
    ]
    listed = next(a for a in alerts if a["subscription"]["kind"] == "enterprise")
    assert listed["enterprise"]["id"] == first_store
    assert listed["enterprise"]["role"] == "defendant" and listed["enterprise"]["match_kind"] == "store"
    assert listed["severity"] in ("high", "critical")

    # The schedule is amended: a second seller, listed by its Amazon seller id.
    cl.unseal(RIVER_LIGHT, ["A1B2C3D4E5F6G7"], date(2024, 5, 6))
    second = crawl_source(context, "courtlistener", since=SINCE)

    assert second.ok, second.error_samples
    assert second.ingest.updated == [f"cl:docket:{RIVER_LIGHT}"]
    _deliver_all(context)
    new = [request.json()["alert"] for request in receiver.requests[len(alerts) :]]
    # Only the newly matched enterprise hears of it; the first seller and the brand watcher
    # were told about this case already.
    assert [(a["subscription"]["kind"], a["enterprise"]["id"]) for a in new] == [("enterprise", second_store)]
    assert new[0]["severity"] in ("high", "critical") and new[0]["enterprise"]["role"] == "defendant"
    stored = context.index.get(f"cl:docket:{RIVER_LIGHT}")
    assert stored is not None and stored.enterprise_ids == sorted([first_store, second_store])


def _constructed_documents(fixture_server: FixtureServer) -> list[Document]:
    """The fixture's CONSTRUCTED search page, parsed as the spider would read it."""
    import urllib.request

    request = urllib.request.Request(
        f"{fixture_server.url}{SEARCH}?type=r&court=ilnd+flsd", headers={"Authorization": f"Token {TOKEN}"}
    )
    with urllib.request.urlopen(request) as response:
        return parse_search(response.read(), site=fixture_server.url).documents


@pytest.mark.parametrize(
    ("kind", "query", "expected"),
    [
        ("brand", "Go Pro", ["GoPro, Inc."]),  # spelling-blind against the plaintiff's brand
        ("brand", "tory burch", ["River Light V, LP"]),  # the asserted marks, not the plaintiff's name
        ("brand", "GM", ["General Motors LLC"]),
        ("firm", "Greer Burns and Crain Ltd", ["General Motors LLC", "River Light V, LP"]),
        ("firm", "Gaffigan", ["GoPro, Inc."]),
        ("keyword", "design patent", ["GoPro, Inc."]),  # "the GoPro Design Patents"
        ("keyword", "trademark", ["General Motors LLC", "River Light V, LP"]),
        ("brand", "Pro", []),  # a part of a word is not the brand
    ],
)
def test_watch_lists_of_brands_firms_and_product_words(
    context: AppContext,
    fixture_server: FixtureServer,
    receiver: Any,
    kind: str,
    query: str,
    expected: list[str],
) -> None:
    owner = _enterprise(context, "watching-seller", names_en=["Example Seller Co., Ltd."])
    _subscribe(context, receiver.url, owner, kind, query)

    result = ingest(context, _constructed_documents(fixture_server))

    assert result.alerts == len(expected)
    with context.session_factory() as session:
        titles = sorted(session.scalars(select(Alert.title)))
    assert [title.split(" v. ")[0] for title in titles] == expected


def test_a_store_listed_as_defendant_is_high_even_at_an_unclassified_stage(
    context: AppContext, fixture_server: FixtureServer, receiver: Any
) -> None:
    store = _enterprise(
        context, "seller-store", name_zh="义乌市示例电子商务有限公司", stores=["Example Phone Cases"]
    )
    _subscribe(context, receiver.url, store, "enterprise", min_severity="high")
    listing = next(d for d in _constructed_documents(fixture_server) if d.extra["docket_id"] == RIVER_LIGHT)
    # A docket seen only from a routine entry: its stage is "other" (medium for a defendant).
    routine = listing.model_copy(
        update={
            "stage": "other",
            "parties": [
                *listing.parties,
                listing.parties[0].model_copy(update={"name": "Example Phone Cases", "role": Role.DEFENDANT}),
            ],
        }
    )

    ingest(context, [routine])

    with context.session_factory() as session:
        (alert,) = session.scalars(select(Alert)).all()
    assert alert.enterprise_id == store and alert.severity == "high"
