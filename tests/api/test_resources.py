"""The REST resources beyond search: cases, risk summaries, exports, previews, feeds, deliveries,
test-send, source health, statistics, users and keys — on the real samples."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from ipsentry.alerting.worker import DeliveryWorker
from ipsentry.api.export import row
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Party, RiskKind, Role
from ipsentry.core.models import CrawlRun, CrawlState, FeedToken
from ipsentry.service.ingest import ingest

NOTICE = "fr:2026-02297"
REALTEK_NOTICE = "fr:2023-01326"  # Realtek is the complainant


@pytest.fixture
def max_documents() -> int:
    return 100  # enough for these checks; statistics asks for all


def _watch(client: TestClient, world: Any, who: str, **body: Any) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/subscriptions", json={"min_severity": "info", **body}, headers=world.headers(who)
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_case_has_its_timeline_parties_and_documents(client: TestClient, world: Any) -> None:
    cases = client.get("/api/v1/cases", params={"q": "1414"}, headers=world.headers("admin")).json()
    assert [case["id"] for case in cases["items"]] == ["337-TA-1414"]
    case = client.get("/api/v1/cases/337-TA-1414", headers=world.headers("admin")).json()
    assert case["kind"] == "itc337"
    assert [event["document_id"] for event in case["timeline"]] == [NOTICE]
    assert case["timeline"][0]["stage"] == case["current_stage"] == "review"
    respondents = {party["name"] for party in case["parties"] if party["role"] == "respondent"}
    assert "Innoscience (Zhuhai) Technology Company, Ltd." in respondents
    complainants = {party["name"] for party in case["parties"] if party["role"] == "complainant"}
    assert "Infineon Technologies Americas Corp." in complainants
    assert [document["id"] for document in case["document_list"]] == [NOTICE]
    matched = {match["enterprise_id"] for match in case["matches"]}
    assert matched == {world.ids["demo-innoscience-suzhou"], world.ids["demo-innoscience-zhuhai"]}
    assert client.get("/api/v1/cases/337-TA-0000", headers=world.headers("admin")).status_code == 404


def test_enterprise_risk_summary(client: TestClient, world: Any) -> None:
    suzhou = world.ids["demo-innoscience-suzhou"]
    risk = client.get(f"/api/v1/enterprises/{suzhou}/risk", headers=world.headers("suzhou")).json()
    assert risk["documents"] == 1 and risk["cases"] == 1
    assert risk["by_kind"] == {"itc337": 1}
    assert risk["by_role"] == {"respondent": 1}
    assert risk["by_severity"] == {"high": 1}
    latest = risk["latest"][0]
    assert (latest["document_id"], latest["case_id"], latest["role"]) == (NOTICE, "337-TA-1414", "respondent")
    assert latest["title"].startswith("Certain Semiconductor Devices")
    assert "Innoscience (Suzhou)" in latest["evidence"]
    realtek = client.get(
        f"/api/v1/enterprises/{world.ids['demo-realtek']}/risk", headers=world.headers("admin")
    )
    assert realtek.json()["by_role"] == {"complainant": 1}


def test_export_csv_and_xlsx_hold_the_search_results(client: TestClient, world: Any) -> None:
    params = {"q": "Innoscience"}
    answer = client.get(
        "/api/v1/documents/export", params=params | {"format": "csv"}, headers=world.headers("admin")
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())  # Excel reads the Chinese names right
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == [NOTICE]
    assert "Innoscience (Zhuhai) Technology Company, Ltd." in rows[0]["respondents"]
    assert "英诺赛科（苏州）科技有限公司 (respondent)" in rows[0]["matched_enterprises"]
    answer = client.get(
        "/api/v1/documents/export", params=params | {"format": "xlsx"}, headers=world.headers("admin")
    )
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "id" and values[1][0] == NOTICE
    # An enterprise's export names only itself among the matched enterprises.
    answer = client.get(
        "/api/v1/documents/export", params=params | {"format": "csv"}, headers=world.headers("realtek")
    )
    assert "英诺赛科" not in answer.content.decode("utf-8-sig")


def test_export_neutralises_formulas_in_source_text() -> None:
    document = Document(
        id="x:1",
        source="x",
        kind=RiskKind.ECOMMERCE,
        native_id="1",
        title='=HYPERLINK("http://evil")',
        parties=[Party(name="+cmd|' /C calc'!A0", role=Role.DEFENDANT)],
    )
    cells = row(document)
    assert cells[7] == '\'=HYPERLINK("http://evil")'
    assert cells[8] == "'+cmd|' /C calc'!A0"


def test_hit_preview_counts_weeks(client: TestClient, world: Any) -> None:
    body = {"kind": "search", "query": "kind:itc337"}
    preview = client.post(
        "/api/v1/subscriptions/preview", params={"weeks": 52}, json=body, headers=world.headers("admin")
    ).json()
    assert len(preview["weeks"]) == 52
    assert preview["query"] == "kind:itc337"
    assert preview["total"] == sum(week["count"] for week in preview["weeks"])
    # An enterprise watch is previewed as the enterprise's own matches.
    created = _watch(client, world, "suzhou", kind="enterprise")
    answer = client.get(f"/api/v1/subscriptions/{created['id']}/preview", headers=world.headers("suzhou"))
    assert answer.json()["query"] == f"enterprise:{world.ids['demo-innoscience-suzhou']}"
    # A query that does not parse is refused with the reason.
    answer = client.post(
        "/api/v1/subscriptions/preview",
        json={"kind": "search", "query": "(a"},
        headers=world.headers("admin"),
    )
    assert answer.status_code == 422 and answer.json()["detail"].startswith("query:")


def test_feed_lists_alerts_under_a_secret_url(client: TestClient, world: Any) -> None:
    created = _watch(client, world, "suzhou", kind="enterprise", name="英诺赛科风险")
    issued = client.post(
        f"/api/v1/subscriptions/{created['id']}/feed", headers=world.headers("suzhou")
    ).json()
    token = issued["atom_url"].rsplit("/", 1)[1].removesuffix(".atom")
    with transaction(world.context.session_factory) as session:
        stored = session.scalars(select(FeedToken.token_hash)).all()
    assert token not in stored and len(stored) == 1  # only the hash is kept
    ingest(world.context, world.notice())
    atom = client.get(f"/api/v1/feeds/{token}.atom")  # no API key: the token is the credential
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
    entries = ET.fromstring(atom.content).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 1
    assert "Certain Semiconductor Devices" in entries[0].findtext("{http://www.w3.org/2005/Atom}title", "")
    rss = ET.fromstring(client.get(f"/api/v1/feeds/{token}.rss").content)
    assert "英诺赛科（苏州）" in rss.findtext("channel/item/description", "")
    # A new URL revokes the old one.
    client.post(f"/api/v1/subscriptions/{created['id']}/feed", headers=world.headers("suzhou"))
    assert client.get(f"/api/v1/feeds/{token}.atom").status_code == 404


def test_alert_deliveries_show_every_attempt(client: TestClient, world: Any, receiver: Any) -> None:
    channel = client.post(
        "/api/v1/channels",
        json={"kind": "webhook", "target": f"{receiver.url}/hook", "secret": "s3cret-s3cret"},
        headers=world.headers("suzhou"),
    ).json()
    _watch(client, world, "suzhou", kind="enterprise", channel_ids=[channel["id"]])
    ingest(world.context, world.notice())
    receiver.responses = [(503, b'{"busy": true}')]
    worker = DeliveryWorker(world.context.session_factory, world.context.settings)
    worker.run_once()
    inbox = client.get("/api/v1/alerts", headers=world.headers("suzhou")).json()
    alert = inbox["items"][0]
    log = client.get(f"/api/v1/alerts/{alert['id']}/deliveries", headers=world.headers("suzhou")).json()
    delivery = log["items"][0]
    assert delivery["status"] == "pending" and delivery["channel_id"] == channel["id"]
    assert [(a["ok"], a["status_code"]) for a in delivery["attempt_log"]] == [(False, 503)]
    assert '{"busy": true}' in delivery["attempt_log"][0]["response_excerpt"]
    # The retry is due later; make it due now and deliver.
    later = datetime.now(UTC) + timedelta(hours=1)
    DeliveryWorker(world.context.session_factory, world.context.settings, clock=lambda: later).run_once()
    delivery = client.get(f"/api/v1/deliveries/{delivery['id']}", headers=world.headers("suzhou")).json()
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempt_log"]] == [503, 200]
    assert len(receiver.requests) == 2
    assert receiver.requests[-1].json()["alert"]["document_id"] == NOTICE


def test_channel_test_send_reaches_the_receiver(client: TestClient, world: Any, receiver: Any) -> None:
    channel = client.post(
        "/api/v1/channels",
        json={"kind": "webhook", "target": f"{receiver.url}/hook"},
        headers=world.headers("suzhou"),
    ).json()
    answer = client.post(f"/api/v1/channels/{channel['id']}/test", headers=world.headers("suzhou"))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["ok"] is True and result["status_code"] == 200
    assert result["curl"].startswith("curl ")
    assert receiver.requests[-1].json()["alert"]["test"] is True


def test_source_health_reports_runs_errors_and_lag(client: TestClient, world: Any) -> None:
    now = datetime.now(UTC)
    with transaction(world.context.session_factory) as session:
        session.add(CrawlState(source="federal_register", state={}, last_run_at=now, last_success_at=now))
        session.add(
            CrawlRun(source="federal_register", started_at=now - timedelta(hours=2), ok=True, items=793)
        )
        session.add(
            CrawlRun(
                source="federal_register",
                started_at=now - timedelta(minutes=5),
                finished_at=now,
                ok=False,
                errors=2,
                error_samples=["HTTP 503 from /api/v1/documents.json"],
            )
        )
    sources = {s["source"]: s for s in client.get("/api/v1/sources", headers=world.headers("analyst")).json()}
    health = sources["federal_register"]
    assert health["status"] == "failing"
    assert (health["runs"], health["failed_runs"]) == (2, 1)
    assert health["last_run"]["error_samples"] == ["HTTP 503 from /api/v1/documents.json"]
    assert health["documents"] == len(world.documents)
    assert health["newest_published"] >= "2026-02-05"
    assert 0 <= health["lag_hours"] < 1
    runs = client.get("/api/v1/sources/federal_register/runs", headers=world.headers("analyst")).json()
    assert [run["ok"] for run in runs] == [False, True]
    assert client.get("/api/v1/sources", headers=world.headers("suzhou")).status_code == 403


@pytest.mark.parametrize("max_documents", [None])
def test_statistics_count_cases_regions_and_plaintiffs(client: TestClient, world: Any) -> None:
    stats = client.get("/api/v1/statistics", headers=world.headers("analyst")).json()
    assert stats["documents"] == len(world.documents)
    assert stats["cases_by_kind"]["itc337"] == stats["cases"] > 100
    assert sum(sum(month["counts"].values()) for month in stats["cases_by_month"]) <= stats["cases"]
    regions = {region["region"]: region["documents"] for region in stats["respondent_regions"]}
    assert regions == {"江苏省": 1, "广东省": 1}  # Innoscience Suzhou and Zhuhai, respondents
    plaintiffs = {count["name"]: count["count"] for count in stats["top_plaintiffs"]}
    assert plaintiffs["Telefonaktiebolaget LM Ericsson"] >= 2
    narrowed = client.get(
        "/api/v1/statistics", params={"since": "2026-01-01"}, headers=world.headers("analyst")
    ).json()
    assert narrowed["cases"] < stats["cases"]
    answer = client.get(
        "/api/v1/statistics",
        params={"since": "2026-01-01", "until": "2025-01-01"},
        headers=world.headers("admin"),
    )
    assert answer.status_code == 422


def test_admin_manages_users_and_keys_shown_once(client: TestClient, world: Any) -> None:
    admin = world.headers("admin")
    created = client.post(
        "/api/v1/users",
        json={
            "username": "zhuhai-ip",
            "role": "enterprise",
            "enterprise_id": world.ids["demo-innoscience-zhuhai"],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    user = created.json()
    issued = client.post(f"/api/v1/users/{user['id']}/api-keys", json={"name": "erp"}, headers=admin).json()
    key = issued["key"]
    listed = client.get(f"/api/v1/users/{user['id']}/api-keys", headers=admin)
    assert key not in listed.text and listed.json()[0]["prefix"] in key
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).json()
    assert (me["username"], me["role"]) == ("zhuhai-ip", "enterprise")
    client.delete(f"/api/v1/users/{user['id']}/api-keys/{issued['id']}", headers=admin)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    # Refusals with reasons: a duplicate, an enterprise user without enterprise, self-demotion.
    again = client.post("/api/v1/users", json={"username": "zhuhai-ip", "role": "analyst"}, headers=admin)
    assert again.status_code == 409
    lonely = client.post("/api/v1/users", json={"username": "lonely", "role": "enterprise"}, headers=admin)
    assert lonely.status_code == 422 and "enterprise_id" in lonely.json()["detail"]
    demote = client.patch(f"/api/v1/users/{world.users['admin']}", json={"role": "analyst"}, headers=admin)
    assert demote.status_code == 422


def test_enterprise_alerts_never_name_another_enterprise(client: TestClient, world: Any) -> None:
    """Suzhou's saved search for "Realtek" selects a notice matched for Realtek: the alert is
    Suzhou's, the match of the other enterprise is not shown to it."""
    _watch(client, world, "suzhou", kind="search", query="Realtek")
    ingest(world.context, [d for d in world.documents if d.id == REALTEK_NOTICE])
    alerts = client.get("/api/v1/alerts", headers=world.headers("suzhou")).json()["items"]
    alert = next(a for a in alerts if a["document_id"] == REALTEK_NOTICE)
    assert alert["payload"]["enterprise"] is None
    # The payload is what Suzhou's channels receive, so it never carries the other match; the
    # center still sees it on the document.
    seen_by_center = client.get(f"/api/v1/alerts/{alert['id']}", headers=world.headers("admin")).json()
    assert seen_by_center["payload"]["enterprise"] is None
    document = client.get(f"/api/v1/documents/{REALTEK_NOTICE}", headers=world.headers("admin")).json()
    assert world.ids["demo-realtek"] in {m["enterprise_id"] for m in document["matches"]}
    assert alert["created_at"].endswith("Z") or "+" in alert["created_at"]  # times carry their zone
