"""schemathesis against the app's own OpenAPI document: generated requests to every operation,
authenticated as an admin and as an enterprise user, must never get a 5xx answer.

Bounded (a few examples per operation, a small document store) so it runs in well under two
minutes.  Every request gets a freshly issued key for a user that is (re)created as needed: the
generated calls include revoking keys, disabling and deleting users and enterprises, which
would otherwise lock the later calls out and test nothing but the 401 path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import select

from ipsentry.api.app import create_app
from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.models import Enterprise, User
from ipsentry.core.registry_io import read_registry_file
from ipsentry.core.registry_store import upsert_records
from ipsentry.core.users import issue_api_key
from ipsentry.service.context import AppContext, build_context
from ipsentry.service.demo import SAMPLE_REGISTRY

EXAMPLES = 6
DOCUMENTS = 60
FUZZ_USERS = {"admin": ("fuzz-admin", None), "enterprise": ("fuzz-suzhou", "demo-innoscience-suzhou")}


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, seeder: Callable[..., Any]) -> Iterator[FastAPI]:
    base = tmp_path_factory.mktemp("fuzz")
    context = build_context(
        Settings(
            environment="test",
            data_dir=base / "var",
            database_url=f"sqlite:///{base / 'ipsentry.sqlite'}",
            webhook_allowlist=["127.0.0.1/32"],
        )
    )
    seeder(context, Path(context.settings.samples_dir), max_documents=DOCUMENTS)
    app = create_app(context)
    yield app
    context.close()


def fresh_key(context: AppContext, role: str) -> str:
    """An API key of a live user of this role (recreated if the fuzzing removed it)."""
    username, external_id = FUZZ_USERS[role]
    with transaction(context.session_factory) as session:
        enterprise_id = None
        if external_id is not None:
            enterprise_id = session.scalar(select(Enterprise.id).where(Enterprise.external_id == external_id))
            if enterprise_id is None:
                records, _ = read_registry_file(SAMPLE_REGISTRY)
                created, _ = upsert_records(session, [r for r in records if r.external_id == external_id])
                enterprise_id = created[0]
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, role="admin" if role == "admin" else "enterprise")
            session.add(user)
        user.role, user.active, user.enterprise_id = (
            ("admin", True, None) if role == "admin" else ("enterprise", True, enterprise_id)
        )
        session.flush()
        return issue_api_key(session, user, name="fuzz")


BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,  # the same requests on every run: a failure here is reproducible
)


def fuzz(app: FastAPI, role: str, mode: GenerationMode) -> tuple[list[str], Counter[int]]:
    """Runs every operation of the OpenAPI document with generated requests (schemathesis's
    strategies driven by Hypothesis directly: its pytest plugin does not support pytest 9)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    found: list[str] = []
    answers: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()

        @BOUNDED
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            key = fresh_key(app.state.context, role)
            response = case.call(headers={"Authorization": f"Bearer {key}"})
            answers[response.status_code] += 1
            if response.status_code >= 500:
                found.append(
                    f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
                )

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid (an operation without any input)
            continue
    return found, answers


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("role", sorted(FUZZ_USERS))
def test_no_server_errors(fuzz_app: FastAPI, role: str, mode: GenerationMode) -> None:
    errors, answers = fuzz(fuzz_app, role, mode)
    assert errors == []
    # Not a run of refusals only: the generated requests did get through to the endpoints.
    succeeded = sum(count for code, count in answers.items() if code < 300)
    assert succeeded > (50 if mode == GenerationMode.POSITIVE else 0), answers
