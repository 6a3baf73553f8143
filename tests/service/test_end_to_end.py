"""The walking skeleton end to end: recorded Federal Register responses → spider → tagging →
index → alert → signed webhook on a real receiver; and the same crawl twice changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ipsentry.alerting.signing import verify
from ipsentry.alerting.worker import DeliveryWorker
from ipsentry.core.db import transaction
from ipsentry.core.models import Alert, Channel, Delivery, Enterprise, Subscription
from ipsentry.core.registry_io import read_registry_file
from ipsentry.core.registry_store import upsert_records
from ipsentry.search.index import SearchRequest
from ipsentry.service.crawl import crawl_source
from ipsentry.service.demo import SAMPLE_REGISTRY

SINCE = date(2015, 1, 1)
INNOSCIENCE_NOTICE = "fr:2026-02297"  # 337-TA-1414, Innoscience (Suzhou)/(Zhuhai) respondents of China


def _count(session: Any, column: Any) -> int:
    return session.scalar(select(func.count(column))) or 0


def _watch_with_webhook(context: Any, receiver_url: str, external_id: str) -> int:
    records, problems = read_registry_file(SAMPLE_REGISTRY)
    assert not problems
    with transaction(context.session_factory) as session:
        upsert_records(session, records)
        enterprise = session.scalar(select(Enterprise).where(Enterprise.external_id == external_id))
        channel = Channel(
            kind="webhook",
            target=f"{receiver_url}/hook",
            secret="s3cret-for-test",
            enterprise_id=enterprise.id,
        )
        session.add(
            Subscription(
                kind="enterprise", enterprise_id=enterprise.id, min_severity="low", channels=[channel]
            )
        )
        return enterprise.id


def _deliver_all(context: Any) -> None:
    worker = DeliveryWorker(context.session_factory, context.settings)
    while worker.run_once().claimed:
        pass


def test_respondent_alert_reaches_a_signed_webhook_once(app_context: Any, receiver: Any) -> None:
    enterprise_id = _watch_with_webhook(app_context, receiver.url, "demo-innoscience-suzhou")

    first = crawl_source(app_context, "federal_register", since=SINCE)
    assert first.ok
    assert first.fetched >= 792  # the 792 recorded search results plus the full-text notices
    _deliver_all(app_context)

    # The Innoscience (Suzhou) enterprise is named as a respondent of 337-TA-1414.
    assert len(receiver.requests) >= 1
    bodies = [request.json() for request in receiver.requests]
    innoscience = [body for body in bodies if body["alert"]["document_id"] == INNOSCIENCE_NOTICE]
    assert len(innoscience) == 1
    request = receiver.requests[bodies.index(innoscience[0])]
    assert verify(
        "s3cret-for-test",
        request.headers["x-ipsentry-timestamp"],
        request.body,
        request.headers["x-ipsentry-signature"],
    )
    assert request.headers["idempotency-key"] == innoscience[0]["id"]
    alert = innoscience[0]["alert"]
    assert alert["severity"] in ("high", "critical")
    assert "respondent" in json.dumps(alert)

    with app_context.session_factory() as session:
        counts = (_count(session, Alert.id), _count(session, Delivery.id))
    documents = app_context.index.count()
    hits = app_context.index.search(SearchRequest(enterprise_ids=[enterprise_id]))
    assert INNOSCIENCE_NOTICE in {hit.document.id for hit in hits.hits}

    # The same data crawled again: nothing new anywhere, nothing sent again.
    second = crawl_source(app_context, "federal_register", since=SINCE)
    assert second.ok
    assert not second.ingest.created
    _deliver_all(app_context)
    with app_context.session_factory() as session:
        assert (_count(session, Alert.id), _count(session, Delivery.id)) == counts
    assert app_context.index.count() == documents
    assert len(receiver.requests) == len(bodies)


def test_demo_once_json_on_a_fresh_data_dir_twice(tmp_path: Path, samples_dir: Path) -> None:
    environment = {
        **os.environ,
        "IPSENTRY_DATA_DIR": str(tmp_path / "var"),
        "IPSENTRY_SAMPLES_DIR": str(samples_dir),
    }
    environment.pop("IPSENTRY_DATABASE_URL", None)
    command = [sys.executable, "-m", "ipsentry.cli", "demo", "--once", "--json"]
    runs = []
    for _ in range(2):
        finished = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)
        assert finished.returncode == 0, finished.stderr[-3000:]
        runs.append(json.loads(finished.stdout.strip().splitlines()[-1]))
    first, second = runs
    assert first["documents"] >= 792
    assert first["matches"] >= 2  # Innoscience (Suzhou) and (Zhuhai) as respondents, at least
    assert first["alerts"] >= 2
    assert second == first  # replaying the same responses duplicates nothing
