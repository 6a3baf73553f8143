"""Retro-matching: an enterprise registered or changed is matched at once against the documents
already stored (real Federal Register samples), loses what a dropped name matched, and its
enterprise watch gets the alert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Role
from ipsentry.core.models import Alert, DocumentMatch, Enterprise, Subscription
from ipsentry.core.registry import EnterpriseRecord
from ipsentry.core.registry_store import upsert_records
from ipsentry.crawlers.parsers.registry import get_parser
from ipsentry.service.ingest import ingest
from ipsentry.service.retro import retro_match

SEARCH_SAMPLE = "itc337/federal_register_337_titles_abstracts.json"
RAW_TEXT_SAMPLE = "itc337/fr_raw_text_2026-02297.html"
INNOSCIENCE_NOTICE = "fr:2026-02297"  # 337-TA-1414: Innoscience (Suzhou) Technology is a respondent
LENOVO_RESPONDENT = "fr:2025-15745"  # "respondent Lenovo Group Ltd."
LENOVO_US_COMPLAINANT = "fr:2023-27998"  # "on behalf of Lenovo (United States) Inc."
QINGDAO_RESPONDENT = "fr:2025-18532"  # "Qingdao Chuangjian Weilai Technology Co., Ltd."
STORED = 60  # retro-matching re-tags the whole store: a slice of the samples keeps the test quick


@pytest.fixture
def stored(app_context: Any, samples_dir: Path) -> list[Document]:
    """The store before any enterprise is registered: part of the search results and the
    337-TA-1414 full text, ingested (nothing matched yet)."""
    search = get_parser("federal-register")((samples_dir / SEARCH_SAMPLE).read_bytes()).documents
    named = {LENOVO_RESPONDENT, LENOVO_US_COMPLAINANT, QINGDAO_RESPONDENT}
    documents = [d for d in search if d.id in named] + [d for d in search if d.id not in named][:STORED]
    documents += get_parser("federal-register-text")((samples_dir / RAW_TEXT_SAMPLE).read_bytes()).documents
    result = ingest(app_context, documents)
    assert result.documents == len(documents) and result.matches == 0
    return documents


def _register(context: Any, *records: EnterpriseRecord) -> list[int]:
    with transaction(context.session_factory) as session:
        created, updated = upsert_records(session, records)
    changed = created + updated
    retro_match(context, changed)
    return changed


def _stored_roles(context: Any, enterprise_id: int) -> dict[str, set[Role]]:
    """Document id → the roles the stored (indexed) documents give the enterprise."""
    roles: dict[str, set[Role]] = {}
    for batch in context.index.iter_documents():
        for document in batch:
            for match in document.matches:
                if match.enterprise_id == enterprise_id:
                    roles.setdefault(document.id, set()).add(match.role)
    return roles


def _match_rows(context: Any, enterprise_id: int) -> set[tuple[str, str]]:
    with context.session_factory() as session:
        rows = session.scalars(select(DocumentMatch).where(DocumentMatch.enterprise_id == enterprise_id))
        return {(row.document_id, row.role) for row in rows}


def test_a_new_enterprise_is_matched_against_the_stored_documents_at_once(
    app_context: Any, stored: list[Document]
) -> None:
    # Registered in Chinese only: the notice names it in English.
    [qingdao] = _register(
        app_context, EnterpriseRecord(external_id="cn-cjwl", name_zh="青岛创建未来科技有限公司")
    )
    assert _stored_roles(app_context, qingdao) == {QINGDAO_RESPONDENT: {Role.RESPONDENT}}
    assert _match_rows(app_context, qingdao) == {(QINGDAO_RESPONDENT, "respondent")}
    [document] = app_context.index.get_many([QINGDAO_RESPONDENT])
    [match] = [m for m in document.matches if m.enterprise_id == qingdao]
    assert (match.confidence, match.evidence) == ("high", "Qingdao Chuangjian Weilai Technology Co., Ltd.")


def test_a_changed_enterprise_gains_and_loses_matches_with_its_names(
    app_context: Any, stored: list[Document]
) -> None:
    [lenovo] = _register(
        app_context, EnterpriseRecord(external_id="lenovo", names_en=["Lenovo Group Limited"])
    )
    assert _stored_roles(app_context, lenovo) == {LENOVO_RESPONDENT: {Role.RESPONDENT}}

    # A subsidiary added: the complaint it filed is found at once, as a complainant's.
    _register(
        app_context,
        EnterpriseRecord(
            external_id="lenovo",
            names_en=["Lenovo Group Limited"],
            subsidiaries=["Lenovo (United States) Inc."],
        ),
    )
    assert _stored_roles(app_context, lenovo) == {
        LENOVO_RESPONDENT: {Role.RESPONDENT},
        LENOVO_US_COMPLAINANT: {Role.COMPLAINANT},
    }

    # The group's name removed (only the subsidiary is watched now): its match goes, in the
    # index and in the stored matches.
    _register(
        app_context, EnterpriseRecord(external_id="lenovo", subsidiaries=["Lenovo (United States) Inc."])
    )
    assert _stored_roles(app_context, lenovo) == {LENOVO_US_COMPLAINANT: {Role.COMPLAINANT}}
    assert _match_rows(app_context, lenovo) == {(LENOVO_US_COMPLAINANT, "complainant")}


def test_an_enterprise_watch_gets_the_alert_when_its_enterprise_changes(
    app_context: Any, stored: list[Document]
) -> None:
    # Registered by its Chinese name only, which the English notice does not use: no match yet.
    suzhou = EnterpriseRecord(external_id="innoscience-suzhou", name_zh="英诺赛科（苏州）科技有限公司")
    [enterprise_id] = _register(app_context, suzhou)
    assert _stored_roles(app_context, enterprise_id) == {}
    with transaction(app_context.session_factory) as session:
        session.add(Subscription(kind="enterprise", enterprise_id=enterprise_id, min_severity="low"))

    # Its English name added: the stored 337-TA-1414 notice now names it, and the watch is alerted.
    english = suzhou.model_copy(update={"names_en": ["Innoscience (Suzhou) Technology Co., Ltd."]})
    assert _register(app_context, english) == [enterprise_id]
    assert _stored_roles(app_context, enterprise_id) == {INNOSCIENCE_NOTICE: {Role.RESPONDENT}}
    with app_context.session_factory() as session:
        alerts = session.scalars(select(Alert).where(Alert.enterprise_id == enterprise_id)).all()
        assert [alert.document_id for alert in alerts] == [INNOSCIENCE_NOTICE]
        assert alerts[0].severity in {"high", "critical"}
        assert session.get(Enterprise, enterprise_id).names_en == english.names_en

    # Retro-matching again with nothing changed alerts nobody twice.
    assert retro_match(app_context, [enterprise_id]) == 0
    with app_context.session_factory() as session:
        assert len(session.scalars(select(Alert)).all()) == 1
