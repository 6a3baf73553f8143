"""``ipsentry user set-password`` and ``ipsentry user list`` through the real CLI (Typer's
CliRunner) on a real database, SQLite and PostgreSQL; what they do is checked through the
console's login route."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner, Result

import ipsentry.cli_user
from ipsentry.api.app import create_app
from ipsentry.cli import app
from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.models import Enterprise, User, WebSession
from ipsentry.core.users import create_user, issue_api_key
from ipsentry.service.context import AppContext, build_context

OLD = "old-password-for-li"
NEW = "new-password-for-li-2026"


@pytest.fixture
def context(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppContext]:
    """The installation the CLI works on (it reads the same settings), with two users."""
    monkeypatch.setattr(ipsentry.cli_user, "get_settings", lambda: settings)
    built = build_context(settings)
    with transaction(built.session_factory) as session:
        enterprise = Enterprise(external_id="cn-lishian", name_zh="深圳市利世安科技有限公司")
        session.add(enterprise)
        session.flush()
        create_user(session, username="admin", role="admin")
        li = create_user(session, username="li", role="enterprise", enterprise_id=enterprise.id, password=OLD)
        issue_api_key(session, li)
    yield built
    built.close()


@pytest.fixture
def client(context: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(context)) as running:
        yield running


def _login(client: TestClient, username: str, password: str) -> int:
    """The console login form, as a browser posts it; the status code (303: logged in)."""
    client.cookies.clear()
    form = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found, "no CSRF field on the login page"
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": found[1], "next": "/search"},
        follow_redirects=False,
    )
    return answer.status_code


def _cli(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, ["user", *args], input=input)


def _password_hash(context: AppContext, username: str) -> str | None:
    with context.session_factory() as session:
        return session.scalar(select(User.password_hash).where(User.username == username))


def test_set_password_asks_twice_and_ends_the_console_logins(context: AppContext, client: TestClient) -> None:
    assert _login(client, "li", OLD) == 303
    logged_in = dict(client.cookies)
    assert client.get("/search", follow_redirects=False).status_code == 200

    result = _cli("set-password", "li", input=f"{NEW}\n{NEW}\n")

    assert result.exit_code == 0, result.output
    assert result.output.count("new password") == 2  # asked, then asked again
    assert NEW not in result.output  # not echoed
    assert "password of li changed" in result.output and "1 console session(s) ended" in result.output
    stored = _password_hash(context, "li")
    assert stored is not None and stored.startswith("scrypt$") and NEW not in stored
    with context.session_factory() as session:
        assert session.scalars(select(WebSession)).all() == []
    # The session opened with the old password is over; the old password opens none, the new one does.
    client.cookies.clear()
    client.cookies.update(logged_in)
    assert client.get("/search", follow_redirects=False).status_code == 303
    assert _login(client, "li", OLD) == 401
    assert _login(client, "li", NEW) == 303
    assert client.get("/search", follow_redirects=False).status_code == 200


def test_set_password_reads_the_first_line_of_stdin(context: AppContext, client: TestClient) -> None:
    result = _cli("set-password", "li", "--password-stdin", input=f"{NEW}\nnot read\n")

    assert result.exit_code == 0, result.output
    assert "new password" not in result.output  # nothing asked
    assert _login(client, "li", NEW) == 303
    assert _login(client, "li", OLD) == 401


def test_set_password_asks_again_when_the_two_entries_differ(context: AppContext, client: TestClient) -> None:
    result = _cli("set-password", "li", input=f"{NEW}\n{NEW}-typo\n{NEW}\n{NEW}\n")

    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert _login(client, "li", NEW) == 303


def test_an_unknown_user_is_an_error_before_any_password_is_asked(context: AppContext) -> None:
    result = _cli("set-password", "nobody", input=f"{NEW}\n{NEW}\n")

    assert result.exit_code == 1
    assert "no user 'nobody'" in result.output
    assert "new password" not in result.output


@pytest.mark.parametrize(
    ("args", "entered", "reason"),
    [
        ((), "short-pw\nshort-pw\n", "at least 10 characters"),
        (("--password-stdin",), "\n", "at least 10 characters"),  # an empty line
        (("--password-stdin",), "x" * 257 + "\n", "at most 256 characters"),
    ],
)
def test_a_password_the_api_would_refuse_is_refused(
    context: AppContext, client: TestClient, args: tuple[str, ...], entered: str, reason: str
) -> None:
    assert _login(client, "li", OLD) == 303
    before = _password_hash(context, "li")

    result = _cli("set-password", "li", *args, input=entered)

    assert result.exit_code == 1
    assert "password refused" in result.output and reason in result.output
    assert _password_hash(context, "li") == before
    assert client.get("/search", follow_redirects=False).status_code == 200  # still logged in
    assert _login(client, "li", OLD) == 303


def test_user_create_refuses_a_weak_password_too(context: AppContext) -> None:
    result = _cli("create", "wang", "--role", "analyst", "--password", input="short-pw\nshort-pw\n")

    assert result.exit_code == 2
    assert "at least 10 characters" in result.output
    assert _password_hash(context, "wang") is None


def test_user_list_shows_every_account(context: AppContext) -> None:
    result = CliRunner().invoke(app, ["user", "list"], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    lines = {line.split("│")[2].strip(): line for line in result.output.splitlines() if line.count("│") > 3}
    assert set(lines) - {"username"} == {"admin", "li"}
    li = [cell.strip() for cell in lines["li"].split("│")[1:-1]]
    assert li[1:7] == ["li", "enterprise", "cn-lishian", "yes", "yes", "1"]
    admin = [cell.strip() for cell in lines["admin"].split("│")[1:-1]]
    assert admin[1:7] == ["admin", "admin", "", "yes", "no", "0"]
