"""The REST API on a real database and index holding the real Federal Register samples."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ipsentry.service.ingest import ingest


def _as(api: dict[str, Any], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api['keys'][who]}"}


def test_health_is_public_and_reports_stores(api: dict[str, Any]) -> None:
    answer = api["client"].get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["checks"] == {"database": "ok", "index": "ok"}


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer ips_000000000000_forged"}, {"X-API-Key": "nonsense"}]
)
def test_every_resource_needs_a_valid_key(api: dict[str, Any], headers: dict[str, str]) -> None:
    for path in (
        "/api/v1/documents",
        "/api/v1/enterprises",
        "/api/v1/subscriptions",
        "/api/v1/alerts",
        "/api/v1/channels",
    ):
        assert api["client"].get(path, headers=headers).status_code == 401, path


def test_search_exclusion_returns_real_documents(api: dict[str, Any]) -> None:
    answer = api["client"].get(
        "/api/v1/documents", params={"q": "exclusion", "size": 200}, headers=_as(api, "admin")
    )
    assert answer.status_code == 200
    page = answer.json()
    with_word = [
        d for d in api["documents"] if re.search(r"\bexclusion\b", f"{d.title} {d.summary}", re.IGNORECASE)
    ]
    assert page["total"] >= len(with_word) > 100
    assert page["items"]
    for item in page["items"]:
        assert "exclus" in f"{item['title']} {item['summary']}".lower()
        assert "<mark>" in "".join(item["highlights"].values())


def test_search_query_errors_are_400_with_a_reason(api: dict[str, Any]) -> None:
    answer = api["client"].get("/api/v1/documents", params={"q": "(exclusion AND"}, headers=_as(api, "admin"))
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("query:")


def test_document_shows_respondents_and_matches(api: dict[str, Any]) -> None:
    answer = api["client"].get("/api/v1/documents/fr:2026-02297", headers=_as(api, "admin"))
    assert answer.status_code == 200
    document = answer.json()
    respondents = {p["name"] for p in document["parties"] if p["role"] == "respondent"}
    assert any("Innoscience (Suzhou)" in name for name in respondents)
    matched = {(m["enterprise_id"], m["role"]) for m in document["matches"]}
    assert (api["ids"]["demo-innoscience-suzhou"], "respondent") in matched
    assert (api["ids"]["demo-innoscience-zhuhai"], "respondent") in matched


def test_an_enterprise_sees_only_its_own_matches_and_entry(api: dict[str, Any]) -> None:
    client, ids = api["client"], api["ids"]
    document = client.get("/api/v1/documents/fr:2026-02297", headers=_as(api, "suzhou")).json()
    assert {m["enterprise_id"] for m in document["matches"]} == {ids["demo-innoscience-suzhou"]}
    own = client.get("/api/v1/enterprises", headers=_as(api, "suzhou")).json()
    assert [e["id"] for e in own] == [ids["demo-innoscience-suzhou"]]
    assert (
        client.get(f"/api/v1/enterprises/{ids['demo-realtek']}", headers=_as(api, "suzhou")).status_code
        == 404
    )
    assert (
        client.put(
            f"/api/v1/enterprises/{ids['demo-innoscience-suzhou']}",
            json={"external_id": "demo-innoscience-suzhou"},
            headers=_as(api, "suzhou"),
        ).status_code
        == 403
    )


def test_enterprise_cannot_subscribe_for_another(api: dict[str, Any]) -> None:
    answer = api["client"].post(
        "/api/v1/subscriptions",
        json={"kind": "enterprise", "enterprise_id": api["ids"]["demo-realtek"]},
        headers=_as(api, "suzhou"),
    )
    assert answer.status_code == 404


def test_channels_refuse_private_targets_and_mask_secrets(api: dict[str, Any]) -> None:
    client = api["client"]
    refused = client.post(
        "/api/v1/channels",
        json={"kind": "webhook", "target": "http://10.0.0.1/hook"},
        headers=_as(api, "suzhou"),
    )
    assert refused.status_code == 422
    assert "refused" in refused.json()["detail"]
    created = client.post(
        "/api/v1/channels",
        json={"kind": "webhook", "target": "http://127.0.0.1:9/hook", "secret": "a-long-signing-secret"},
        headers=_as(api, "suzhou"),
    )
    assert created.status_code == 201, created.text
    assert "a-long-signing-secret" not in created.text
    # Another enterprise can neither see nor use it.
    channel_id = created.json()["id"]
    assert client.get(f"/api/v1/channels/{channel_id}", headers=_as(api, "realtek")).status_code == 404
    answer = client.post(
        "/api/v1/subscriptions",
        json={"kind": "keyword", "query": "semiconductor", "channel_ids": [channel_id]},
        headers=_as(api, "realtek"),
    )
    assert answer.status_code == 404


def test_invalid_input_is_4xx_with_a_reason(api: dict[str, Any]) -> None:
    client = api["client"]
    answer = client.post("/api/v1/subscriptions", json={"kind": "search"}, headers=_as(api, "admin"))
    assert answer.status_code == 422
    answer = client.post(
        "/api/v1/subscriptions", json={"kind": "search", "query": "kind:"}, headers=_as(api, "admin")
    )
    assert answer.status_code == 422
    answer = client.post("/api/v1/enterprises", json={"name_zh": "无外部编号"}, headers=_as(api, "admin"))
    assert answer.status_code == 422


def test_new_enterprise_is_retro_matched_against_stored_documents(api: dict[str, Any]) -> None:
    """Infineon is the complainant of 337-TA-1414; registering it finds the stored notice."""
    client = api["client"]
    created = client.post(
        "/api/v1/enterprises",
        json={"external_id": "infineon", "names_en": ["Infineon Technologies Americas Corp."]},
        headers=_as(api, "admin"),
    )
    assert created.status_code == 201, created.text
    enterprise_id = created.json()["id"]
    page = client.get(
        "/api/v1/documents", params={"enterprise": enterprise_id}, headers=_as(api, "admin")
    ).json()
    assert "fr:2026-02297" in {item["id"] for item in page["items"]}
    document = client.get("/api/v1/documents/fr:2026-02297", headers=_as(api, "admin")).json()
    roles = {m["role"] for m in document["matches"] if m["enterprise_id"] == enterprise_id}
    assert roles == {"complainant"}


def test_alert_inbox_and_acknowledge(api: dict[str, Any]) -> None:
    client, ids = api["client"], api["ids"]
    created = client.post(
        "/api/v1/subscriptions",
        json={"kind": "enterprise", "min_severity": "low"},
        headers=_as(api, "suzhou"),
    )
    assert created.status_code == 201, created.text
    assert created.json()["enterprise_id"] == ids["demo-innoscience-suzhou"]
    # The next crawl brings the 337-TA-1414 notice (again): the new watch is alerted.
    ingest(api["context"], [d for d in api["documents"] if d.id == "fr:2026-02297"])
    inbox = client.get("/api/v1/alerts", headers=_as(api, "suzhou")).json()
    assert inbox["total"] >= 1
    alert = next(a for a in inbox["items"] if a["document_id"] == "fr:2026-02297")
    assert alert["enterprise_id"] == ids["demo-innoscience-suzhou"]
    assert client.get("/api/v1/alerts", headers=_as(api, "realtek")).json()["total"] == 0
    assert client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=_as(api, "realtek")).status_code == 404
    acknowledged = client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=_as(api, "suzhou")).json()
    assert acknowledged["acknowledged_at"] is not None
