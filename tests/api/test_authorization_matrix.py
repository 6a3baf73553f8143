"""Every route of the app × every kind of caller: who gets through and who is refused.

The routes are read from ``app.routes``: a route added without an entry here fails the test,
and so does an entry whose route is gone.  The objects under test (subscription, channel,
alert, delivery, enterprise) belong to the Innoscience (Suzhou) enterprise ("own"); "other" is
the Realtek enterprise's user, who must get nothing of them — neither read (404) nor change
(403/404) — and the analyst may read them but not change them (they are not the center's)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import Mount

from ipsentry.api.app import create_app
from ipsentry.api.web.sessions import COOKIE, open_session
from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.models import Alert, Delivery, User
from ipsentry.service.context import build_context

ROLES = ("anonymous", "admin", "analyst", "own", "other")
USERS = {"admin": "admin", "analyst": "analyst", "own": "suzhou", "other": "realtek"}

EVERYONE = frozenset(ROLES)
SIGNED_IN = frozenset({"admin", "analyst", "own", "other"})
STAFF = frozenset({"admin", "analyst"})
ADMIN = frozenset({"admin"})
OWN_READ = frozenset({"admin", "analyst", "own"})  # the center reads everything
OWN_CHANGE = frozenset({"admin", "own"})  # the analyst did not set these up: read-only for it


class Objects:
    """The objects the routes are called on, and makers of fresh ones for calls that destroy
    what they are called on."""

    def __init__(self, client: TestClient, world: Any) -> None:
        self.client, self.world = client, world
        self.counter = itertools.count(1)
        self.own_enterprise = world.ids["demo-innoscience-suzhou"]
        self.own_channel = self.new_channel()
        self.own_subscription = self.new_subscription(kind="enterprise", channel_ids=[self.own_channel])
        self.feed_subscription = self.new_subscription()
        feed = self._post(
            "own", f"/api/v1/subscriptions/{self.feed_subscription}/feed", None
        )  # a feed token that no call below replaces
        self.feed_token = feed["atom_url"].rsplit("/", 1)[1].removesuffix(".atom")
        # The 337-TA-1414 notice comes again: the enterprise watch raises an alert and queues it.
        from ipsentry.service.ingest import ingest

        ingest(world.context, world.notice())
        with transaction(world.context.session_factory) as session:
            self.own_alert = session.scalar(
                select(Alert.id).where(Alert.subscription_id == self.own_subscription)
            )
            self.own_delivery = session.scalar(select(Delivery.id).where(Delivery.alert_id == self.own_alert))
            self.sessions = {
                role: open_session(session, session.scalar(select(User).where(User.username == name)))
                for role, name in USERS.items()
            }
        assert self.own_alert and self.own_delivery

    def _post(self, who: str, path: str, body: Any) -> Any:
        answer = self.client.post(path, json=body, headers=self.world.headers(USERS[who]))
        assert answer.status_code == 201, answer.text
        return answer.json()

    def unique(self, stem: str) -> str:
        return f"{stem}-{next(self.counter)}"

    def new_channel(self) -> int:
        body = {"kind": "webhook", "target": "http://127.0.0.1:9/hook", "name": self.unique("hook")}
        return self._post("own", "/api/v1/channels", body)["id"]

    def new_subscription(self, kind: str = "keyword", channel_ids: list[int] | None = None) -> int:
        body = {"kind": kind, "query": "semiconductor" if kind != "enterprise" else None}
        body |= {"min_severity": "info", "channel_ids": channel_ids or [], "name": self.unique("watch")}
        return self._post("own", "/api/v1/subscriptions", body)["id"]

    def new_enterprise(self) -> int:
        return self._post("admin", "/api/v1/enterprises", {"external_id": self.unique("gone")})["id"]

    def new_user(self) -> int:
        return self._post("admin", "/api/v1/users", {"username": self.unique("temp"), "role": "analyst"})[
            "id"
        ]

    def new_key(self) -> dict[str, int]:
        user = self.world.users["suzhou"]
        key = self._post("admin", f"/api/v1/users/{user}/api-keys", {"name": self.unique("k")})
        return {"user_id": user, "key_id": key["id"]}

    def new_session(self, role: str) -> tuple[str, str]:
        with transaction(self.world.context.session_factory) as session:
            user = session.scalar(select(User).where(User.username == USERS[role]))
            return open_session(session, user)


Params = Callable[[Objects], dict[str, Any]]


def _none(_: Objects) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Entry:
    allowed: frozenset[str]
    params: Params = _none  # path parameters (called once per call: makers give fresh objects)
    body: Callable[[Objects], Any] | None = None  # JSON for the API, form fields for the console
    query: str = ""
    ok: frozenset[int] = frozenset()  # answers that count as "let through" besides < 400
    fixed: dict[str, int] = field(default_factory=dict)  # exact status per role, when that is the point
    fresh_session: bool = False  # the call ends the console session it is made with


def own_subscription(o: Objects) -> dict[str, Any]:
    return {"subscription_id": o.own_subscription}


def own_channel(o: Objects) -> dict[str, Any]:
    return {"channel_id": o.own_channel}


def own_alert(o: Objects) -> dict[str, Any]:
    return {"alert_id": o.own_alert}


def own_enterprise(o: Objects) -> dict[str, Any]:
    return {"enterprise_id": o.own_enterprise}


NOTICE = {"document_id": "fr:2026-02297"}
CASE = {"case_id": "337-TA-1414"}
SEND_TEST = frozenset({200, 501})  # 501 until this build can send test messages

MATRIX: dict[tuple[str, str], Entry] = {
    # ---------------------------------------------------------------- public
    ("GET", "/healthz"): Entry(EVERYONE),
    ("GET", "/openapi.json"): Entry(EVERYONE),
    ("GET", "/static"): Entry(EVERYONE, lambda o: {"path": "app.css"}),
    ("GET", "/api/v1/feeds/{token}.atom"): Entry(EVERYONE, lambda o: {"token": o.feed_token}),
    ("GET", "/api/v1/feeds/{token}.rss"): Entry(EVERYONE, lambda o: {"token": o.feed_token}),
    # ---------------------------------------------------------------- documents and cases
    ("GET", "/api/v1/documents"): Entry(SIGNED_IN, query="q=Innoscience"),
    ("GET", "/api/v1/documents/export"): Entry(SIGNED_IN, query="q=Innoscience&format=xlsx"),
    ("GET", "/api/v1/documents/{document_id}"): Entry(SIGNED_IN, lambda o: NOTICE),
    ("GET", "/api/v1/cases"): Entry(SIGNED_IN),
    ("GET", "/api/v1/cases/{case_id}"): Entry(SIGNED_IN, lambda o: CASE),
    # ---------------------------------------------------------------- enterprises
    ("GET", "/api/v1/enterprises"): Entry(SIGNED_IN),
    ("POST", "/api/v1/enterprises"): Entry(STAFF, body=lambda o: {"external_id": o.unique("new")}),
    ("GET", "/api/v1/enterprises/{enterprise_id}"): Entry(OWN_READ, own_enterprise),
    ("GET", "/api/v1/enterprises/{enterprise_id}/risk"): Entry(OWN_READ, own_enterprise),
    ("PUT", "/api/v1/enterprises/{enterprise_id}"): Entry(
        STAFF,
        own_enterprise,
        body=lambda o: {
            "external_id": "demo-innoscience-suzhou",
            "name_zh": "英诺赛科（苏州）科技有限公司",
            "names_en": ["Innoscience (Suzhou) Technology Co., Ltd."],
            "abbreviations": ["英诺赛科苏州"],
            "brands": [{"text": "Innoscience", "classes": [9]}, {"text": "英诺赛科", "classes": [9]}],
            "region_province": "江苏省",
            "region_city": "苏州市",
            "industries": ["semiconductors"],
            "contact_email": "ip@innoscience.example",
        },
    ),
    ("DELETE", "/api/v1/enterprises/{enterprise_id}"): Entry(
        ADMIN, lambda o: {"enterprise_id": o.new_enterprise()}
    ),
    # ---------------------------------------------------------------- subscriptions
    ("GET", "/api/v1/subscriptions"): Entry(SIGNED_IN),
    ("POST", "/api/v1/subscriptions"): Entry(SIGNED_IN, body=lambda o: {"kind": "keyword", "query": "LED"}),
    ("POST", "/api/v1/subscriptions/preview"): Entry(
        SIGNED_IN, body=lambda o: {"kind": "keyword", "query": "semiconductor"}
    ),
    ("GET", "/api/v1/subscriptions/{subscription_id}"): Entry(OWN_READ, own_subscription),
    ("PATCH", "/api/v1/subscriptions/{subscription_id}"): Entry(
        OWN_CHANGE, own_subscription, body=lambda o: {"min_severity": "info"}
    ),
    ("DELETE", "/api/v1/subscriptions/{subscription_id}"): Entry(
        OWN_CHANGE, lambda o: {"subscription_id": o.new_subscription()}
    ),
    ("GET", "/api/v1/subscriptions/{subscription_id}/preview"): Entry(OWN_READ, own_subscription),
    ("POST", "/api/v1/subscriptions/{subscription_id}/feed"): Entry(OWN_CHANGE, own_subscription),
    ("DELETE", "/api/v1/subscriptions/{subscription_id}/feed"): Entry(OWN_CHANGE, own_subscription),
    # ---------------------------------------------------------------- channels
    ("GET", "/api/v1/channels"): Entry(SIGNED_IN),
    ("POST", "/api/v1/channels"): Entry(SIGNED_IN, body=lambda o: {"kind": "console", "target": "console"}),
    ("GET", "/api/v1/channels/{channel_id}"): Entry(OWN_READ, own_channel),
    ("PATCH", "/api/v1/channels/{channel_id}"): Entry(
        OWN_CHANGE, own_channel, body=lambda o: {"language": "en"}
    ),
    ("DELETE", "/api/v1/channels/{channel_id}"): Entry(OWN_CHANGE, lambda o: {"channel_id": o.new_channel()}),
    ("POST", "/api/v1/channels/{channel_id}/test"): Entry(OWN_CHANGE, own_channel, ok=SEND_TEST),
    # ---------------------------------------------------------------- alerts and deliveries
    ("GET", "/api/v1/alerts"): Entry(SIGNED_IN),
    ("GET", "/api/v1/alerts/{alert_id}"): Entry(OWN_READ, own_alert),
    ("POST", "/api/v1/alerts/{alert_id}/ack"): Entry(OWN_CHANGE, own_alert),
    ("GET", "/api/v1/alerts/{alert_id}/deliveries"): Entry(OWN_READ, own_alert),
    ("GET", "/api/v1/deliveries"): Entry(SIGNED_IN),
    ("GET", "/api/v1/deliveries/{delivery_id}"): Entry(OWN_READ, lambda o: {"delivery_id": o.own_delivery}),
    # ---------------------------------------------------------------- the center's views
    ("GET", "/api/v1/sources"): Entry(STAFF),
    ("GET", "/api/v1/sources/{source}/runs"): Entry(STAFF, lambda o: {"source": "federal_register"}),
    ("GET", "/api/v1/statistics"): Entry(STAFF),
    # ---------------------------------------------------------------- users and keys
    ("GET", "/api/v1/me"): Entry(SIGNED_IN),
    ("GET", "/api/v1/users"): Entry(ADMIN),
    ("POST", "/api/v1/users"): Entry(ADMIN, body=lambda o: {"username": o.unique("user"), "role": "analyst"}),
    ("GET", "/api/v1/users/{user_id}"): Entry(ADMIN, lambda o: {"user_id": o.world.users["suzhou"]}),
    ("PATCH", "/api/v1/users/{user_id}"): Entry(
        ADMIN, lambda o: {"user_id": o.world.users["suzhou"]}, body=lambda o: {"language": "zh-CN"}
    ),
    ("DELETE", "/api/v1/users/{user_id}"): Entry(ADMIN, lambda o: {"user_id": o.new_user()}),
    ("GET", "/api/v1/users/{user_id}/api-keys"): Entry(ADMIN, lambda o: {"user_id": o.world.users["suzhou"]}),
    ("POST", "/api/v1/users/{user_id}/api-keys"): Entry(
        ADMIN, lambda o: {"user_id": o.world.users["suzhou"]}, body=lambda o: {"name": "matrix"}
    ),
    ("DELETE", "/api/v1/users/{user_id}/api-keys/{key_id}"): Entry(ADMIN, lambda o: o.new_key()),
    # ---------------------------------------------------------------- console: login and language
    ("GET", "/"): Entry(EVERYONE),
    ("GET", "/login"): Entry(EVERYONE),
    # Without the login form's double-submit cookie every login attempt is refused.
    ("POST", "/login"): Entry(
        EVERYONE,
        body=lambda o: {"username": "admin", "password": "x", "csrf_token": "forged"},
        fixed=dict.fromkeys(ROLES, 403),
    ),
    ("POST", "/logout"): Entry(SIGNED_IN, fresh_session=True),
    ("GET", "/lang/{language}"): Entry(EVERYONE, lambda o: {"language": "en"}),
    # ---------------------------------------------------------------- console pages
    ("GET", "/search"): Entry(SIGNED_IN, query="q=Innoscience"),
    ("GET", "/search/export"): Entry(SIGNED_IN, query="q=Innoscience&format=csv"),
    ("GET", "/documents/{document_id}"): Entry(SIGNED_IN, lambda o: NOTICE),
    ("GET", "/cases"): Entry(SIGNED_IN),
    ("GET", "/cases/{case_id}"): Entry(SIGNED_IN, lambda o: CASE),
    ("GET", "/enterprises"): Entry(SIGNED_IN),
    ("GET", "/enterprises/{enterprise_id}"): Entry(OWN_READ, own_enterprise),
    ("GET", "/alerts"): Entry(SIGNED_IN),
    ("GET", "/alerts/{alert_id}"): Entry(OWN_READ, own_alert),
    ("POST", "/alerts/{alert_id}/ack"): Entry(OWN_CHANGE, own_alert),
    ("GET", "/subscriptions"): Entry(SIGNED_IN),
    ("POST", "/subscriptions"): Entry(
        SIGNED_IN, body=lambda o: {"kind": "keyword", "query": "LED", "min_severity": "low", "rate": "daily"}
    ),
    ("GET", "/subscriptions/{subscription_id}"): Entry(OWN_READ, own_subscription),
    ("POST", "/subscriptions/{subscription_id}/feed"): Entry(OWN_CHANGE, own_subscription),
    ("POST", "/subscriptions/{subscription_id}/active"): Entry(
        OWN_CHANGE, own_subscription, body=lambda o: {"active": "true"}
    ),
    ("POST", "/subscriptions/{subscription_id}/delete"): Entry(
        OWN_CHANGE, lambda o: {"subscription_id": o.new_subscription()}
    ),
    ("GET", "/channels"): Entry(SIGNED_IN),
    ("POST", "/channels"): Entry(SIGNED_IN, body=lambda o: {"kind": "console", "target": "console"}),
    ("POST", "/channels/{channel_id}/test"): Entry(OWN_CHANGE, own_channel),
    ("POST", "/channels/{channel_id}/enabled"): Entry(
        OWN_CHANGE, own_channel, body=lambda o: {"enabled": "true"}
    ),
    ("POST", "/channels/{channel_id}/delete"): Entry(OWN_CHANGE, lambda o: {"channel_id": o.new_channel()}),
    ("GET", "/sources"): Entry(STAFF),
    ("GET", "/statistics"): Entry(STAFF),
}


def app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route, the included routers' routes flattened (FastAPI keeps
    included routers as nodes of ``app.routes`` and iterates them with ``iter_route_contexts``)."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        path = str(context.path).replace(":path}", "}")
        if isinstance(context.original_route, Mount):
            found.add(("GET", path))
        else:
            found |= {(method, path) for method in context.methods or () if method != "HEAD"}
    return found


def _is_console(path: str) -> bool:
    return not path.startswith(("/api/", "/healthz", "/openapi.json", "/static"))


@pytest.fixture(scope="module")
def matrix(
    tmp_path_factory: pytest.TempPathFactory, seeder: Callable[..., Any]
) -> Iterator[tuple[TestClient, Objects]]:
    base = tmp_path_factory.mktemp("matrix")
    settings = Settings(
        environment="test",
        data_dir=base / "var",
        database_url=f"sqlite:///{base / 'ipsentry.sqlite'}",
        webhook_allowlist=["127.0.0.1/32"],
    )
    context = build_context(settings)
    world = seeder(context, Path(settings.samples_dir))
    with TestClient(create_app(context)) as client:
        yield client, Objects(client, world)
    context.close()


def _call(client: TestClient, objects: Objects, role: str, method: str, template: str, entry: Entry) -> Any:
    params = entry.params(objects)
    path = "/static/{path}" if template == "/static" else template
    url = path.format(**params) + (f"?{entry.query}" if entry.query else "")
    body = entry.body(objects) if entry.body else None
    client.cookies.clear()
    headers: dict[str, str] = {}
    if not _is_console(template):
        if role != "anonymous":
            headers = objects.world.headers(USERS[role])
        return client.request(method, url, json=body, headers=headers)
    form = dict(body or {})
    if role != "anonymous":
        token, csrf = objects.new_session(role) if entry.fresh_session else objects.sessions[role]
        headers["Cookie"] = f"{COOKIE}={token}"
        form.setdefault("csrf_token", csrf)
    elif method == "POST":
        form.setdefault("csrf_token", "anonymous")
    return client.request(method, url, data=form or None, headers=headers, follow_redirects=False)


def _verdict(template: str, entry: Entry, role: str, answer: Any) -> str | None:
    """None when the answer is what the matrix says, else what went wrong."""
    code = answer.status_code
    if role in entry.fixed:
        return None if code == entry.fixed[role] else f"expected {entry.fixed[role]}, got {code}"
    if code >= 500 and code not in entry.ok:
        return f"server error {code}"
    # The console sends a caller without a login to /login?next=… (logging out lands on /login).
    to_login = code == 303 and answer.headers.get("location", "").startswith("/login?next=")
    if role in entry.allowed:
        if (code < 400 and not to_login) or code in entry.ok:
            return None
        return f"should be let through, got {code} {answer.text[:200]}"
    if role == "anonymous":
        if (_is_console(template) and to_login) or (not _is_console(template) and code == 401):
            return None
        return f"anonymous should be sent to log in, got {code}"
    return None if code in (403, 404) else f"should be refused, got {code} {answer.text[:200]}"


def test_every_route_has_a_matrix_entry(matrix: tuple[TestClient, Objects]) -> None:
    client, _ = matrix
    routes = app_routes(client.app)
    assert routes - MATRIX.keys() == set(), "routes without an authorization entry"
    assert MATRIX.keys() - routes == set(), "matrix entries whose route is gone"


def test_authorization_matrix(matrix: tuple[TestClient, Objects]) -> None:
    client, objects = matrix
    problems = []
    for (method, template), entry in sorted(MATRIX.items(), key=lambda item: item[0][1]):
        for role in ROLES:
            answer = _call(client, objects, role, method, template, entry)
            problem = _verdict(template, entry, role, answer)
            if problem:
                problems.append(f"{method} {template} as {role}: {problem}")
    assert problems == []


def test_another_enterprise_changes_nothing(matrix: tuple[TestClient, Objects]) -> None:
    """What the refusals above must mean: after Realtek's attempts, Suzhou's objects are as
    they were."""
    client, objects = matrix
    other, own = objects.world.headers("realtek"), objects.world.headers("suzhou")
    subscription = f"/api/v1/subscriptions/{objects.own_subscription}"
    channel = f"/api/v1/channels/{objects.own_channel}"
    before = client.get(subscription, headers=own).json(), client.get(channel, headers=own).json()
    assert client.patch(subscription, json={"active": False}, headers=other).status_code == 404
    assert client.delete(subscription, headers=other).status_code == 404
    assert (
        client.patch(channel, json={"target": "http://127.0.0.1:9/stolen"}, headers=other).status_code == 404
    )
    assert client.delete(channel, headers=other).status_code == 404
    after = client.get(subscription, headers=own).json(), client.get(channel, headers=own).json()
    assert after == before
    # Nor can it read Suzhou's data indirectly: through search filters, matches or listings.
    for query in (f"enterprise:{objects.own_enterprise}", f"NOT enterprise:{objects.own_enterprise}"):
        answer = client.get("/api/v1/documents", params={"q": query}, headers=other)
        assert answer.status_code == 404, query
    answer = client.get("/api/v1/documents", params={"enterprise": objects.own_enterprise}, headers=other)
    assert answer.status_code == 404
    answer = client.get("/api/v1/cases", params={"enterprise": objects.own_enterprise}, headers=other)
    assert answer.status_code == 404
    case = client.get("/api/v1/cases/337-TA-1414", headers=other).json()
    assert case["matches"] == []
    notice = client.get("/api/v1/documents/fr:2026-02297", headers=other).json()
    assert (notice["matches"], notice["severity"]) == ([], "info")  # not "high": that is Suzhou's
    assert objects.own_subscription not in {
        s["id"] for s in client.get("/api/v1/subscriptions", headers=other).json()
    }
    assert client.get("/api/v1/alerts", headers=other).json()["total"] == 0
    assert client.get("/api/v1/deliveries", headers=other).json()["total"] == 0
