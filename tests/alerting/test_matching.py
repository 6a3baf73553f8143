"""Alert creation from tagged documents: who is alerted, how severe, and never twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.matching import create_alerts, record_matches
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Match, Party, RiskKind, Role, Severity
from ipsentry.core.models import Alert, Delivery, DocumentMatch

MakeDoc = Callable[..., Document]
MakeMatch = Callable[..., Match]


def ingest(
    session_factory: sessionmaker[Session], documents: list[Document], **kwargs: object
) -> list[Alert]:
    """One ingest transaction, as the pipeline runs it."""
    with transaction(session_factory) as session:
        return create_alerts(session, documents, **kwargs)  # type: ignore[arg-type]


def count(session_factory: sessionmaker[Session], model: type) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_enterprise_watch_alerts_a_named_respondent(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc, respondent_match: MakeMatch
) -> None:
    enterprise = registry.enterprise("E1", name_zh="深圳市利世安科技有限公司")
    hook = registry.channel("http://127.0.0.1:9/hook")
    mail = registry.channel("ops@example.com", kind="email")
    subscription = registry.subscription("enterprise", enterprise_id=enterprise, channels=(hook, mail))
    now = datetime(2026, 2, 10, 8, 30, tzinfo=UTC)
    doc = make_doc(matches=[respondent_match(enterprise)], severity=Severity.CRITICAL)

    alerts = ingest(session_factory, [doc], now=now)

    assert len(alerts) == 1
    with session_factory() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.subscription_id == subscription
        assert (alert.document_id, alert.case_id, alert.stage) == (
            "fr:2026-02297",
            "337-TA-1414",
            "institution",
        )
        assert alert.severity == "critical"  # a respondent at institution
        assert alert.enterprise_id == enterprise
        payload = alert.payload
        assert payload["title"] == doc.title
        assert payload["url"] == "https://www.federalregister.gov/d/2026-02297"
        assert payload["published"] == "2026-02-10"
        assert payload["risk_kind"] == "itc337"
        assert payload["case_id"] == "337-TA-1414"
        assert payload["severity"] == "critical"
        assert payload["summary"].startswith("Notice is hereby given")
        assert payload["enterprise"]["name"] == "Shenzhen Lishian Technology Co., Ltd."
        assert payload["enterprise"]["role"] == "respondent"
        assert "The respondents are" in payload["enterprise"]["evidence"]
        assert payload["enterprise"]["variant"] == "Shenzhen Lishian Technology Co."
        deliveries = session.scalars(select(Delivery).order_by(Delivery.channel_id)).all()
        assert [d.channel_id for d in deliveries] == [hook, mail]
        assert all(d.status == "pending" and d.next_attempt_at == now for d in deliveries)
        keys = {d.idempotency_key for d in deliveries}
        assert len(keys) == 2 and all(len(key) == 32 for key in keys)


def test_an_enterprise_only_gets_its_own_share_of_the_severity(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc, respondent_match: MakeMatch
) -> None:
    complainant = registry.enterprise("E1", names_en=["EcoFlow Inc."])
    sued = registry.enterprise("E2", names_en=["Shenzhen Lishian Technology Co., Ltd."])
    watch_low = registry.subscription("enterprise", enterprise_id=complainant)  # min_severity low
    watch_info = registry.subscription("enterprise", enterprise_id=complainant, min_severity="info")
    doc = make_doc(
        matches=[
            Match(enterprise_id=complainant, kind="party_name", role=Role.COMPLAINANT),
            respondent_match(sued),
        ],
        severity=Severity.CRITICAL,  # the document's maximum, because of E2
    )

    alerts = ingest(session_factory, [doc])

    assert [(a.subscription_id, a.severity) for a in alerts] == [(watch_info, "info")]
    assert watch_low not in {a.subscription_id for a in alerts}


def test_min_severity_filters_out_lesser_stages(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc, respondent_match: MakeMatch
) -> None:
    enterprise = registry.enterprise("E1")
    subscription = registry.subscription("enterprise", enterprise_id=enterprise, min_severity="critical")
    complaint = make_doc("fr:2025-1", stage="receipt_of_complaint", matches=[respondent_match(enterprise)])
    institution = make_doc("fr:2026-1", stage="institution", matches=[respondent_match(enterprise)])

    alerts = ingest(session_factory, [complaint, institution])

    assert [(a.subscription_id, a.document_id, a.severity) for a in alerts] == [
        (subscription, "fr:2026-1", "critical")
    ]


def test_reprocessing_the_same_documents_creates_nothing_new(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc, respondent_match: MakeMatch
) -> None:
    enterprise = registry.enterprise("E1")
    hook = registry.channel("http://127.0.0.1:9/hook")
    registry.subscription("enterprise", enterprise_id=enterprise, channels=(hook,))
    doc = make_doc(matches=[respondent_match(enterprise)])

    first = ingest(session_factory, [doc])
    again = ingest(session_factory, [doc])
    # The same record crawled twice within one batch, too.
    twice_in_a_batch = ingest(session_factory, [doc, doc.model_copy()])

    assert (len(first), again, twice_in_a_batch) == (1, [], [])
    assert count(session_factory, Alert) == 1
    assert count(session_factory, Delivery) == 1


def test_the_same_case_stage_from_another_source_is_not_alerted_again(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc, respondent_match: MakeMatch
) -> None:
    enterprise = registry.enterprise("E1")
    registry.subscription("enterprise", enterprise_id=enterprise)
    notice = make_doc("fr:2026-02297", matches=[respondent_match(enterprise)])
    ids_record = make_doc("ids:337-TA-1414:institution", matches=[respondent_match(enterprise)])
    final = make_doc(
        "fr:2026-09999", stage="final_determination_violation", matches=[respondent_match(enterprise)]
    )

    assert len(ingest(session_factory, [notice])) == 1
    assert ingest(session_factory, [ids_record]) == []
    later = ingest(session_factory, [final])

    assert [(a.case_id, a.stage) for a in later] == [("337-TA-1414", "final_determination_violation")]


def test_same_case_stage_twice_in_one_batch_gives_one_alert(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc, respondent_match: MakeMatch
) -> None:
    enterprise = registry.enterprise("E1")
    registry.subscription("enterprise", enterprise_id=enterprise)
    docs = [make_doc(f"fr:2026-{n}", matches=[respondent_match(enterprise)]) for n in (1, 2)]

    assert [a.document_id for a in ingest(session_factory, docs)] == ["fr:2026-1"]


def test_unclassified_notices_of_one_case_are_each_alerted(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc, respondent_match: MakeMatch
) -> None:
    enterprise = registry.enterprise("E1")
    registry.subscription("enterprise", enterprise_id=enterprise)
    docs = [make_doc(f"fr:2026-{n}", stage="other", matches=[respondent_match(enterprise)]) for n in (1, 2)]

    alerts = ingest(session_factory, docs)

    assert [a.document_id for a in alerts] == ["fr:2026-1", "fr:2026-2"]
    assert all(a.payload["case_id"] == "337-TA-1414" for a in alerts)


def test_region_and_industry_watches_follow_the_enterprises_matched(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc, respondent_match: MakeMatch
) -> None:
    shenzhen = registry.enterprise(
        "E1", region_province="广东省", region_city="深圳市", industries=["消费电子", "Batteries"]
    )
    hangzhou = registry.enterprise("E2", region_province="浙江省", region_city="杭州市", industries=["纺织"])
    guangdong = registry.subscription("region", query="广东")
    city = registry.subscription("region", query="深圳市")
    batteries = registry.subscription("industry", query="batteries")
    textiles = registry.subscription("industry", query="纺织")
    about_shenzhen = make_doc("fr:1", case="337-TA-1", matches=[respondent_match(shenzhen)])
    about_hangzhou = make_doc("fr:2", case="337-TA-2", matches=[respondent_match(hangzhou, "Hangzhou X")])

    alerts = ingest(session_factory, [about_shenzhen, about_hangzhou])

    got = {(a.subscription_id, a.document_id) for a in alerts}
    assert got == {(guangdong, "fr:1"), (city, "fr:1"), (batteries, "fr:1"), (textiles, "fr:2")}
    hangzhou_alert = next(a for a in alerts if a.subscription_id == textiles)
    assert hangzhou_alert.payload["enterprise"]["name"] == "Hangzhou X"


def test_term_watches_match_whole_words_in_title_text_and_parties(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc
) -> None:
    brand = registry.subscription("brand", query="anker")
    firm = registry.subscription("firm", query="Greer, Burns & Crain")
    chinese = registry.subscription("keyword", query="安克")
    hit = make_doc(
        "cl:docket:1",
        kind=RiskKind.ECOMMERCE,
        stage="tro_granted",
        case="ilnd:1:24-cv-03089",
        title="ANKER Innovations v. The Partnerships and Unincorporated Associations",
        parties=[Party(name="Greer, Burns & Crain, Ltd.", role=Role.ATTORNEY)],
        text="原告：安克创新科技股份有限公司",
    )
    near_miss = make_doc("cl:docket:2", case="ilnd:1:24-cv-1", title="Dankers v. Schedule A", summary="")

    alerts = ingest(session_factory, [hit, near_miss])

    assert {(a.subscription_id, a.document_id) for a in alerts} == {
        (brand, "cl:docket:1"),
        (firm, "cl:docket:1"),
        (chinese, "cl:docket:1"),
    }
    # Being named is a mention: low at least, though no registered enterprise was matched.
    assert {a.severity for a in alerts} == {"low"}


def test_only_enabled_channels_of_immediate_active_subscriptions_get_deliveries(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc, respondent_match: MakeMatch
) -> None:
    enterprise = registry.enterprise("E1")
    on = registry.channel("http://127.0.0.1:9/on")
    off = registry.channel("http://127.0.0.1:9/off", enabled=False, disabled_reason="kept failing")
    immediate = registry.subscription("enterprise", enterprise_id=enterprise, channels=(on, off))
    registry.subscription("enterprise", enterprise_id=enterprise, channels=(on,), rate="daily")
    registry.subscription("enterprise", enterprise_id=enterprise, channels=(on,), active=False)

    alerts = ingest(session_factory, [make_doc(matches=[respondent_match(enterprise)])])

    assert len(alerts) == 2  # the daily digest still records its alert
    with session_factory() as session:
        deliveries = session.execute(select(Delivery.channel_id, Alert.subscription_id).join(Alert)).all()
    assert [tuple(row) for row in deliveries] == [(on, immediate)]


def test_record_matches_replaces_a_documents_matches_on_retag(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc, respondent_match: MakeMatch
) -> None:
    first = registry.enterprise("E1")
    second = registry.enterprise("E2")
    tagged = make_doc(matches=[respondent_match(first), Match(enterprise_id=second, kind="mention")])
    retagged = make_doc(matches=[respondent_match(first)])

    for doc in (tagged, tagged, retagged):
        with transaction(session_factory) as session:
            record_matches(session, [doc])

    with session_factory() as session:
        rows = session.scalars(select(DocumentMatch)).all()
    assert [(r.document_id, r.enterprise_id, r.role, r.severity) for r in rows] == [
        ("fr:2026-02297", first, "respondent", "critical")
    ]


def test_concurrent_ingests_of_the_same_document_create_one_alert(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc, respondent_match: MakeMatch
) -> None:
    enterprise = registry.enterprise("E1")
    registry.subscription("enterprise", enterprise_id=enterprise)
    doc = make_doc(matches=[respondent_match(enterprise)])
    results: list[list[Alert]] = []

    with session_factory() as first, first.begin():
        assert len(create_alerts(first, [doc])) == 1  # written, not yet committed
        second = threading.Thread(target=lambda: results.append(ingest(session_factory, [doc])))
        second.start()
        second.join(timeout=1.0)
        # The second ingest waits on the first one's uncommitted alert…
        assert second.is_alive()
    # …and, once the first commits, skips it instead of failing.
    second.join(timeout=30)
    assert results == [[]]
    assert count(session_factory, Alert) == 1


def test_saved_search_matches_through_the_sqlite_index(
    session_factory: sessionmaker[Session], registry, make_doc: MakeDoc, tmp_path
) -> None:
    sqlite_index = pytest.importorskip(
        "ipsentry.search.sqlite_index", reason="the embedded index (search/sqlite_index.py) is not there yet"
    )
    index = sqlite_index.SqliteDocumentIndex(tmp_path / "documents.sqlite")
    try:
        wanted = registry.subscription("search", query='kind:itc337 "power stations"')
        docs = [
            make_doc("fr:1", case="337-TA-1", title="Certain Portable Power Stations; Institution"),
            make_doc("fr:2", case="337-TA-2", title="Certain Robotic Vacuum Cleaners; Institution"),
        ]
        index.upsert(docs)

        alerts = ingest(session_factory, docs, index=index)

        assert [(a.subscription_id, a.document_id) for a in alerts] == [(wanted, "fr:1")]
    finally:
        index.close()
