"""The trademark watch in the ingest pipeline: a registered brand similar to a real USPTO
filing's mark → ingest → a similar_mark match in the index and an alert for the enterprise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Role
from ipsentry.core.models import Alert, Enterprise, Subscription
from ipsentry.core.registry import Brand, EnterpriseRecord
from ipsentry.core.registry_store import upsert_records
from ipsentry.crawlers.parsers.uspto_daily import parse_file
from ipsentry.search.index import SearchRequest
from ipsentry.service.ingest import ingest
from ipsentry.service.trademark_watch import TrademarkWatch, add_similar_marks

SUVENEER = "trademark/uspto-daily-na-98763166.xml"  # new application, class 16, Nguyen Quang Huy (VN)


@pytest.fixture
def filing(samples_dir: Path) -> Document:
    [document] = parse_file((samples_dir / SUVENEER).read_bytes()).documents
    return document


def _register(context: Any, records: list[EnterpriseRecord]) -> dict[str, int]:
    with transaction(context.session_factory) as session:
        upsert_records(session, records)
        ids = {row.external_id: row.id for row in session.scalars(select(Enterprise))}
        for enterprise_id in ids.values():
            session.add(Subscription(kind="enterprise", enterprise_id=enterprise_id, min_severity="low"))
        return ids


def test_a_squatted_brand_raises_an_alert_and_the_filer_does_not(app_context: Any, filing: Document) -> None:
    ids = _register(
        app_context,
        [
            EnterpriseRecord(
                external_id="cn-shili",
                name_zh="深圳市示例科技有限公司",
                names_en=["Shenzhen Shili Technology Co., Ltd."],
                brands=[Brand(text="SOUVENEER", classes=[16])],
            ),
            # The filer, registered with the same mark: its own filing.
            EnterpriseRecord(
                external_id="vn-owner",
                names_en=["Nguyen Quang Huy"],
                brands=[Brand(text="SUVENEER", classes=[16])],
            ),
            # The same mark in a class the filing does not list.
            EnterpriseRecord(
                external_id="cn-apparel",
                names_en=["Hangzhou Apparel Co., Ltd."],
                brands=[Brand(text="SUVENEER", classes=[25])],
            ),
        ],
    )

    result = ingest(app_context, [filing])  # ingest_batch screens trademark filings against the brands

    assert result.alerts == 1
    with app_context.session_factory() as session:
        [alert] = session.scalars(select(Alert)).all()
        subscription = session.get(Subscription, alert.subscription_id)
        assert subscription is not None and subscription.enterprise_id == ids["cn-shili"]
        assert (alert.document_id, alert.enterprise_id) == ("uspto:98763166", ids["cn-shili"])
        assert alert.severity == "high"  # a new application on the enterprise's brand
        assert alert.stage == "new_application"

    [hit] = app_context.index.search(SearchRequest(enterprise_ids=[ids["cn-shili"]])).hits
    squat = [m for m in hit.document.matches if m.kind == "similar_mark"]
    assert [(m.enterprise_id, m.role) for m in squat] == [(ids["cn-shili"], Role.OTHER)]
    assert "vs brand 'SOUVENEER'" in squat[0].evidence and "classes overlap: 16" in squat[0].evidence
    assert "(VN)" in squat[0].evidence and "opposition:" in squat[0].evidence
    # The filer is matched as the applicant, not as a squatting victim.
    filer = [m for m in hit.document.matches if m.enterprise_id == ids["vn-owner"]]
    assert filer == [] or all(m.kind != "similar_mark" for m in filer)

    # The same filing again: nothing new.
    again = ingest(app_context, [filing])
    assert again.alerts == 0


def test_the_screen_is_rebuilt_only_when_the_registry_changes(app_context: Any, filing: Document) -> None:
    watch = TrademarkWatch()
    _register(app_context, [EnterpriseRecord(external_id="a", brands=[Brand(text="Innoscience")])])
    first = watch.screen(app_context)
    assert watch.screen(app_context) is first
    assert add_similar_marks(app_context, [filing], watch=watch) == [filing]  # nothing similar

    _register(app_context, [EnterpriseRecord(external_id="b", brands=[Brand(text="Suveneer")])])
    second = watch.screen(app_context)
    assert second is not first
    [tagged] = add_similar_marks(app_context, [filing], watch=watch)
    assert [m.kind for m in tagged.matches] == ["similar_mark"]
    assert tagged.extra["squat_candidates"][0]["brand"] == "Suveneer"
