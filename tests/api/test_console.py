"""The web console over HTTP: logins and their cookies, CSRF, the login limit, language, time
zones, and what the pages show each kind of user."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ipsentry.api.app import create_app
from ipsentry.api.i18n import LANGUAGES, catalog
from ipsentry.api.web.templating import TEMPLATES_DIR

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Pages over the same queries the API suite runs on both databases: SQLite is enough."""
    return sqlite_url


@pytest.fixture
def max_documents() -> int:
    return 100


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/search") -> Any:
    form = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": _csrf(form.text), "next": next_url},
        follow_redirects=False,
    )


def test_login_sets_a_protected_session_cookie(client: TestClient) -> None:
    answer = login(client, "suzhou")
    assert answer.status_code == 303 and answer.headers["location"] == "/search"
    cookie = answer.headers["set-cookie"]
    assert "ipsentry_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test
    page = client.get("/search")
    assert page.status_code == 200 and "suzhou" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_session_cookie_is_secure_over_https(world: Any) -> None:
    with TestClient(create_app(world.context), base_url="https://testserver") as secure:
        answer = login(secure, "admin")
        assert answer.status_code == 303
        assert "Secure" in answer.headers["set-cookie"]


def test_wrong_password_and_then_the_login_limit(client: TestClient) -> None:
    answer = login(client, "admin", "wrong password")
    assert answer.status_code == 401 and "用户名或密码不正确" in answer.text
    for _ in range(4):
        login(client, "admin", "wrong password")
    blocked = login(client, "admin")  # even the right password waits now
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    assert login(client, "suzhou").status_code == 303  # another user name is not blocked


def test_forms_without_the_csrf_token_are_refused(client: TestClient, world: Any) -> None:
    login(client, "suzhou")
    page = client.get("/channels")
    token = _csrf(page.text)
    body = {"kind": "console", "target": "console", "name": "no token"}
    assert client.post("/channels", data=body, follow_redirects=False).status_code == 403
    forged = client.post("/channels", data=body | {"csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    cross_site = client.post(
        "/channels",
        data=body | {"csrf_token": token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert cross_site.status_code == 403
    accepted = client.post("/channels", data=body | {"csrf_token": token}, follow_redirects=False)
    assert accepted.status_code == 303
    assert "no token" in client.get("/channels").text
    assert client.get("/channels").text.count("no token") == 1  # the refused posts made nothing


def test_login_form_needs_its_double_submit_cookie(client: TestClient) -> None:
    form = client.get("/login")
    client.cookies.clear()
    answer = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": _csrf(form.text)}
    )
    assert answer.status_code == 403


def test_logout_ends_the_session(client: TestClient) -> None:
    login(client, "admin")
    stolen = client.cookies.get("ipsentry_session")
    page = client.get("/search")
    client.post("/logout", data={"csrf_token": _csrf(page.text)})
    client.cookies.set("ipsentry_session", stolen or "")
    answer = client.get("/alerts", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


def test_no_redirect_off_the_site_after_login(client: TestClient) -> None:
    answer = login(client, "admin", next_url="https://evil.example/")
    assert answer.headers["location"] == "/search"
    answer = login(client, "admin", next_url="//evil.example/")
    assert answer.headers["location"] == "/search"


def test_chinese_by_default_english_on_request(client: TestClient) -> None:
    assert "登录" in client.get("/login").text
    client.get("/lang/en?next=/login")
    page = client.get("/login")
    assert "Log in" in page.text and '<html lang="en">' in page.text
    client.get("/lang/zh-CN?next=/login")
    assert '<html lang="zh-CN">' in client.get("/login").text


def test_search_page_highlights_and_explains_matches(client: TestClient) -> None:
    login(client, "admin")
    page = client.get("/search", params={"q": "Innoscience"}).text
    assert "<mark>Innoscience</mark>" in page
    assert "共 1 条结果" in page
    # The explanation: who, in which role, through which name variant, on what evidence.
    assert "英诺赛科（苏州）科技有限公司" in page and "身份：被申请人" in page
    assert "匹配名称" in page and "Innoscience (Suzhou) Technology Co., Ltd." in page
    assert 'href="/cases/337-TA-1414"' in page
    bad = client.get("/search", params={"q": "(Innoscience"})
    assert bad.status_code == 200 and "检索式有误" in bad.text


def test_enterprise_user_sees_only_its_own(client: TestClient, world: Any) -> None:
    login(client, "realtek")
    own = client.get("/enterprises", follow_redirects=False)
    assert own.headers["location"] == f"/enterprises/{world.ids['demo-realtek']}"
    other = client.get(f"/enterprises/{world.ids['demo-innoscience-suzhou']}")
    assert other.status_code == 404 and "英诺赛科" not in other.text
    assert client.get("/sources").status_code == 403
    assert client.get("/statistics").status_code == 403
    case = client.get("/cases/337-TA-1414").text
    assert "Innoscience (Suzhou) Technology Company, Ltd." in case  # the public record
    assert "英诺赛科（苏州）科技有限公司" not in case  # but not whom it matched


def test_times_are_shown_with_their_zone(client: TestClient, world: Any) -> None:
    login(client, "suzhou")
    page = client.get("/subscriptions")
    client.post(
        "/subscriptions",
        data={
            "kind": "enterprise",
            "min_severity": "info",
            "rate": "immediate",
            "csrf_token": _csrf(page.text),
        },
    )
    from ipsentry.service.ingest import ingest

    ingest(world.context, world.notice())
    inbox = client.get("/alerts").text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\+08:00", inbox)
    assert "Asia/Shanghai" in inbox


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_ui_string_is_translated(language: str) -> None:
    """Both catalogs hold the same keys, and every literal key a template uses exists."""
    assert catalog(language).keys() == catalog("zh-CN").keys()
    used = set()
    for template in TEMPLATES_DIR.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_.]+[a-z_])'", template.read_text(encoding="utf-8")))
    missing = sorted(key for key in used if key not in catalog(language))
    assert missing == []
    assert all(text.strip() for text in catalog(language).values())
