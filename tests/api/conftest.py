"""The API tests' world: the sample registry, one user per role (with a password and an API
key), and the real Federal Register samples ingested.  The browser tests load this module too
(by path: the test folders are not packages)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ipsentry.api.app import create_app
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document
from ipsentry.core.registry_io import read_registry_file
from ipsentry.core.registry_store import upsert_records
from ipsentry.core.users import create_user, issue_api_key
from ipsentry.crawlers.parsers.registry import get_parser
from ipsentry.service.context import AppContext
from ipsentry.service.demo import SAMPLE_REGISTRY
from ipsentry.service.ingest import ingest

SEARCH_SAMPLE = "itc337/federal_register_337_titles_abstracts.json"
RAW_TEXT_SAMPLE = "itc337/fr_raw_text_2026-02297.html"
PASSWORD = "correct-horse-battery-staple"
INNOSCIENCE_NOTICE = "fr:2026-02297"  # 337-TA-1414: Innoscience (Suzhou) and (Zhuhai) are respondents
REALTEK_NOTICE = "fr:2023-01326"  # Realtek is the complainant
ALWAYS_KEPT = (INNOSCIENCE_NOTICE, REALTEK_NOTICE)


@dataclass
class World:
    context: AppContext
    ids: dict[str, int]  # registry external id → enterprise id
    users: dict[str, int]  # admin, analyst, suzhou (enterprise), realtek (enterprise) → user id
    keys: dict[str, str]  # the same names → API key
    documents: list[Document] = field(default_factory=list)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def notice(self) -> list[Document]:
        return [document for document in self.documents if document.id == INNOSCIENCE_NOTICE]


def sample_documents(samples_dir: Path) -> list[Document]:
    documents = get_parser("federal-register")((samples_dir / SEARCH_SAMPLE).read_bytes()).documents
    documents += get_parser("federal-register-text")((samples_dir / RAW_TEXT_SAMPLE).read_bytes()).documents
    return documents


def seed(context: AppContext, samples_dir: Path, *, max_documents: int | None = None) -> World:
    """``max_documents`` keeps the first that many samples (and always the notices naming the
    registered enterprises): ingesting all of them is most of a test's set-up time."""
    records, problems = read_registry_file(SAMPLE_REGISTRY)
    assert not problems
    with transaction(context.session_factory) as session:
        created, _ = upsert_records(session, records)
        ids = dict(zip([record.external_id for record in records], created, strict=True))
        people = {
            "admin": create_user(session, username="admin", role="admin", password=PASSWORD),
            "analyst": create_user(session, username="analyst", role="analyst", password=PASSWORD),
            "suzhou": create_user(
                session,
                username="suzhou",
                role="enterprise",
                enterprise_id=ids["demo-innoscience-suzhou"],
                password=PASSWORD,
            ),
            "realtek": create_user(
                session,
                username="realtek",
                role="enterprise",
                enterprise_id=ids["demo-realtek"],
                password=PASSWORD,
            ),
        }
        keys = {name: issue_api_key(session, user) for name, user in people.items()}
        users = {name: user.id for name, user in people.items()}
    documents = sample_documents(samples_dir)
    if max_documents is not None:
        kept = documents[:max_documents]
        documents = kept + [d for d in documents if d.id in ALWAYS_KEPT and d not in kept]
    ingest(context, documents)
    return World(context=context, ids=ids, users=users, keys=keys, documents=documents)


@pytest.fixture(scope="session")
def seeder() -> Callable[..., World]:
    """``seed`` for tests that build their own (module-scoped) context: test modules cannot
    import from a conftest."""
    return seed


@pytest.fixture
def max_documents() -> int | None:
    """All samples by default; a module (or a test, by parametrizing it) may ask for fewer."""
    return None


@pytest.fixture
def world(app_context: AppContext, samples_dir: Path, max_documents: int | None) -> World:
    return seed(app_context, samples_dir, max_documents=max_documents)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.context)) as running:
        yield running


@pytest.fixture
def api(world: World, client: TestClient) -> dict[str, Any]:
    """The shape the first API tests use: client, ids, keys, documents, context."""
    return {
        "client": client,
        "ids": world.ids,
        "keys": world.keys,
        "documents": world.documents,
        "context": world.context,
        "world": world,
    }
