"""Alerting fixtures: real HTTP receivers on 127.0.0.1, a steerable clock, and small
factories for the registry, channels, subscriptions and tagged documents."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Match, Party, RiskKind, Role, Severity
from ipsentry.core.models import Channel, Enterprise, Subscription

from .receiver import Receiver


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def make(tls: ssl.SSLContext | None = None) -> Receiver:
        receiver = Receiver(tls).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(make_receiver: Callable[..., Receiver]) -> Receiver:
    return make_receiver()


class Clock:
    """The worker's notion of now, moved by the test (no sleeping through retry delays)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    """Short retries and timeouts; 127.0.0.1 is allow-listed by the shared ``settings``."""
    return settings.model_copy(update={"retry_schedule": [10, 20, 40], "webhook_timeout_seconds": 2.0})


class Registry:
    """Writes registry rows in their own committed transactions, as the API would."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def enterprise(self, external_id: str, **fields: Any) -> int:
        with transaction(self.session_factory) as session:
            row = Enterprise(external_id=external_id, **fields)
            session.add(row)
            session.flush()
            return row.id

    def channel(self, target: str, *, kind: str = "webhook", **fields: Any) -> int:
        fields.setdefault("secret", "s3cret-for-tests")
        with transaction(self.session_factory) as session:
            row = Channel(kind=kind, target=target, **fields)
            session.add(row)
            session.flush()
            return row.id

    def subscription(self, kind: str, *, channels: tuple[int, ...] = (), **fields: Any) -> int:
        with transaction(self.session_factory) as session:
            row = Subscription(kind=kind, **fields)
            row.channels = [session.get_one(Channel, channel_id) for channel_id in channels]
            session.add(row)
            session.flush()
            return row.id


@pytest.fixture
def registry(session_factory: sessionmaker[Session]) -> Registry:
    return Registry(session_factory)


def make_document(
    document_id: str = "fr:2026-02297",
    *,
    kind: RiskKind = RiskKind.ITC337,
    stage: str = "institution",
    case: str | None = "337-TA-1414",
    matches: list[Match] | None = None,
    severity: Severity = Severity.INFO,
    title: str = "Certain Portable Power Stations; Institution of Investigation",
    summary: str = "Notice is hereby given that a complaint was filed with the U.S. International Trade "
    "Commission on behalf of EcoFlow Inc.",
    text: str = "",
    parties: list[Party] | None = None,
    published: date | None = date(2026, 2, 10),
) -> Document:
    return Document(
        id=document_id,
        source="federal_register",
        kind=kind,
        native_id=document_id.split(":", 1)[-1],
        title=title,
        summary=summary,
        text=text,
        url=f"https://www.federalregister.gov/d/{document_id.split(':', 1)[-1]}",
        published=published,
        authority="USITC",
        case_numbers=[case] if case else [],
        stage=stage,
        parties=parties or [],
        matches=matches or [],
        severity=severity,
    )


def respondent(enterprise_id: int, name: str = "Shenzhen Lishian Technology Co., Ltd.") -> Match:
    return Match(
        enterprise_id=enterprise_id,
        enterprise_name=name,
        kind="party_name",
        role=Role.RESPONDENT,
        score=0.97,
        evidence="(b) The respondents are … Shenzhen Lishian Technology Co., Ltd., Shenzhen, China",
        variant="Shenzhen Lishian Technology Co.",
    )


@pytest.fixture
def make_doc() -> Callable[..., Document]:
    return make_document


@pytest.fixture
def respondent_match() -> Callable[..., Match]:
    return respondent
