"""Saved searches as alerts, end to end on every backend: a search subscription saved through the
API, documents ingested by the pipeline, alerts in the database.  On a cluster the saved
searches are percolator queries, matched once per batch whatever their number; on the embedded
index each is run over the batch.  Either way the matcher follows the subscriptions table, and
the nightly sweep catches what a batch could not see."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ipsentry.api.app import create_app
from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, RiskKind, utcnow
from ipsentry.core.models import Alert, Enterprise, Subscription
from ipsentry.core.users import create_user, issue_api_key
from ipsentry.service.context import AppContext, build_context
from ipsentry.service.ingest import ingest_batch
from ipsentry.service.sweep import sweep_saved_searches

POWER_STATIONS = 'kind:itc337 ("power stations" OR generators)'


@pytest.fixture
def context(settings: Settings, search_settings: dict[str, Any]) -> Iterator[AppContext]:
    running = build_context(settings.model_copy(update=search_settings))
    yield running
    running.close()


@pytest.fixture
def cluster_context(settings: Settings, cluster_settings: dict[str, Any]) -> Iterator[AppContext]:
    running = build_context(settings.model_copy(update=cluster_settings))
    yield running
    running.close()


class Api:
    """The REST API as an admin calls it."""

    def __init__(self, context: AppContext) -> None:
        with transaction(context.session_factory) as session:
            key = issue_api_key(session, create_user(session, username="admin", role="admin"))
        self.headers = {"Authorization": f"Bearer {key}"}
        self.client = TestClient(create_app(context))

    def subscribe(self, query: str, **fields: Any) -> int:
        body = {"kind": "search", "name": f"watch {query}", "query": query, **fields}
        response = self.client.post("/api/v1/subscriptions", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def change(self, subscription_id: int, **fields: Any) -> None:
        response = self.client.patch(
            f"/api/v1/subscriptions/{subscription_id}", json=fields, headers=self.headers
        )
        assert response.status_code == 200, response.text

    def delete(self, subscription_id: int) -> None:
        response = self.client.delete(f"/api/v1/subscriptions/{subscription_id}", headers=self.headers)
        assert response.status_code == 204, response.text


def notice(document_id: str, title: str, **fields: Any) -> Document:
    """A crawled notice, fetched now (the embedded sweep reads the fetch time)."""
    return Document(
        id=document_id,
        source="federal_register",
        kind=fields.pop("kind", RiskKind.ITC337),
        native_id=document_id.split(":", 1)[1],
        title=title,
        stage="institution",
        fetched=utcnow(),
        **fields,
    )


POWER = notice("fr:power", "Certain Portable Power Stations; Institution of Investigation")
VACUUM = notice("fr:vacuum", "Certain Robotic Vacuum Cleaners; Institution of Investigation")


def alerts(context: AppContext) -> list[tuple[int, str]]:
    with context.session_factory() as session:
        rows = session.execute(select(Alert.subscription_id, Alert.document_id).order_by(Alert.id))
        return [(sid, doc_id) for sid, doc_id in rows]


def registered(context: AppContext) -> dict[str, bool]:
    """The saved searches the matcher holds, with their active flag."""
    return {s.subscription_id: s.active for s in context.saved_search_matcher.saved_searches()}


def test_a_saved_search_alerts_a_matching_document_once(context: AppContext) -> None:
    api = Api(context)
    wanted = api.subscribe(POWER_STATIONS)
    too_high = api.subscribe(POWER_STATIONS, min_severity="high")  # the notice is low for it
    assert registered(context) == {str(wanted): True, str(too_high): True}

    first = ingest_batch(context, [POWER, VACUUM])
    again = ingest_batch(context, [POWER, VACUUM])

    assert (first.alerts, again.alerts) == (1, 0)
    assert alerts(context) == [(wanted, "fr:power")]
    with context.session_factory() as session:
        alert = session.scalars(select(Alert)).one()
    assert alert.severity == "low"
    # Why it matched: the clause always true, and the one of the OR that held.
    assert alert.payload["subscription"]["matched_clauses"] == ["kind:itc337", '"power stations"']


def test_pausing_or_deleting_a_saved_search_stops_its_alerts(context: AppContext) -> None:
    api = Api(context)
    paused = api.subscribe(POWER_STATIONS)
    deleted = api.subscribe("drones")
    api.change(paused, active=False)
    api.delete(deleted)
    assert registered(context) == {str(paused): False}

    drone = notice("fr:drones", "Certain Drones and Components Thereof")
    assert ingest_batch(context, [POWER, drone]).alerts == 0

    api.change(paused, active=True)
    assert registered(context) == {str(paused): True}
    later = notice("fr:power-2", "Certain Power Stations; Notice of Final Determination")
    assert ingest_batch(context, [later]).alerts == 1
    assert alerts(context) == [(paused, "fr:power-2")]


def test_an_invalid_saved_query_does_not_stop_other_alerts(context: AppContext) -> None:
    api = Api(context)
    keyword = api.client.post(
        "/api/v1/subscriptions",
        json={"kind": "keyword", "query": "power stations"},
        headers=api.headers,
    ).json()["id"]
    fine = api.subscribe("stations")
    # The API refuses a query that does not parse; one stored by an older version may not.
    with transaction(context.session_factory) as session:
        broken = Subscription(kind="search", query="(power stations")
        session.add(broken)
    assert str(broken.id) not in registered(context)

    assert ingest_batch(context, [POWER]).alerts == 2
    assert sorted(alerts(context)) == [(keyword, "fr:power"), (fine, "fr:power")]


def test_the_sweep_alerts_what_a_batch_could_not_see(context: AppContext) -> None:
    api = Api(context)
    # A search saved after the document arrived.
    assert ingest_batch(context, [POWER]).alerts == 0
    late = api.subscribe(POWER_STATIONS)
    assert sweep_saved_searches(context) == 1
    assert alerts(context) == [(late, "fr:power")]

    # A registration lost when a document arrived (a fresh cluster index, say).
    lost = api.subscribe("drones")
    assert context.saved_search_matcher.remove(lost)
    drone = notice("fr:drones", "Certain Drones and Components Thereof")
    at_ingest = ingest_batch(context, [drone]).alerts
    # The embedded matcher follows the table at every batch; a cluster's misses it until the sweep.
    assert at_ingest == (0 if context.saved_search_matcher.shared else 1)
    assert sweep_saved_searches(context) == 1 - at_ingest
    assert registered(context) == {str(late): True, str(lost): True}  # registered again
    assert alerts(context) == [(late, "fr:power"), (lost, "fr:drones")]

    # Sweeping again, or an earlier window, alerts nothing twice; nothing changed later is swept.
    assert sweep_saved_searches(context) == 0
    assert sweep_saved_searches(context, since=utcnow() + timedelta(minutes=1)) == 0
    assert len(alerts(context)) == 2


def test_writes_register_when_they_commit_and_cascades_remove(context: AppContext) -> None:
    api = Api(context)
    with pytest.raises(RuntimeError), transaction(context.session_factory) as session:
        session.add(Subscription(kind="search", query="drones"))
        session.flush()
        raise RuntimeError("rolled back")
    assert registered(context) == {}

    with transaction(context.session_factory) as session:
        enterprise = Enterprise(external_id="E1", names_en=["Acme Drones Co., Ltd."])
        session.add(enterprise)
        session.flush()
        enterprise_id = enterprise.id
    own = api.subscribe("drones", enterprise_id=enterprise_id)
    center = api.subscribe("drones")
    assert registered(context) == {str(own): True, str(center): True}

    # The database deletes the enterprise's subscriptions with it (ON DELETE CASCADE).
    response = api.client.delete(f"/api/v1/enterprises/{enterprise_id}", headers=api.headers)
    assert response.status_code == 204, response.text
    assert registered(context) == {str(center): True}


def test_a_batch_is_percolated_once_whatever_the_number_of_saved_searches(
    cluster_context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = cluster_context
    api = Api(context)
    transport = context.index.client.transport
    sent: list[str] = []
    perform = transport.perform_request

    def counting(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(url)
        return perform(method, url, *args, **kwargs)

    monkeypatch.setattr(transport, "perform_request", counting)

    def ingest_counting_requests(number: int) -> tuple[int, list[str]]:
        batch = [
            notice(f"fr:power-{number}", "Certain Portable Power Stations"),
            notice(f"fr:drones-{number}", "Certain Drones"),
            notice(f"uspto:{number}", "VOLTA", kind=RiskKind.TRADEMARK),
        ]
        sent.clear()
        created = ingest_batch(context, batch).alerts
        return created, list(sent)

    query = '"power stations" OR drones OR kind:trademark'
    api.subscribe(query)
    few_alerts, few = ingest_counting_requests(1)
    for _ in range(9):
        api.subscribe(query)
    many_alerts, many = ingest_counting_requests(2)

    assert (few_alerts, many_alerts) == (3, 30)
    assert len(many) == len(few)  # every request of the ingest, writes included
    # Per risk kind in the batch: the searches, then the clauses of those with an OR.
    percolations = [url for url in many if "saved-searches" in url and url.endswith("/_search")]
    assert len(percolations) == 4
