"""The FastAPI application: REST /api/v1, the web console and the health check; the context
is built once, outside, and shared by every request."""

from __future__ import annotations

from fastapi import FastAPI

from ipsentry import __version__
from ipsentry.api.routes import (
    alerts,
    cases,
    channels,
    deliveries,
    documents,
    enterprises,
    feeds,
    health,
    sources,
    statistics,
    subscriptions,
    users,
)
from ipsentry.api.web.setup import install_console
from ipsentry.service.context import AppContext

DESCRIPTION = """
海外知识产权风险监测预警 — overseas IP risk monitoring for Chinese enterprises.

Authenticate with an API key: `Authorization: Bearer <key>` or `X-API-Key: <key>`.
Errors answer `{"detail": "<reason>"}` (validation errors: a list of problems).
Roles: `admin`, `analyst` (guidance center: reads everything), `enterprise` (its own data only);
what is not the caller's answers 404, as if it did not exist.
"""

API_ROUTERS = (
    health,
    documents,
    cases,
    enterprises,
    subscriptions,
    channels,
    alerts,
    deliveries,
    feeds,
    sources,
    statistics,
    users,
)


def create_app(context: AppContext) -> FastAPI:
    # No Swagger UI or ReDoc pages: they load their scripts from a CDN, which neither the
    # machines nor the content security policy allow.  /openapi.json is the document.
    app = FastAPI(
        title="ipsentry", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None
    )
    app.state.context = context
    for module in API_ROUTERS:
        app.include_router(module.router)
    install_console(app)
    return app
