"""The FastAPI application: REST /api/v1 and the health check; the context is built once."""

from __future__ import annotations

from fastapi import FastAPI

from ipsentry import __version__
from ipsentry.api.routes import alerts, channels, documents, enterprises, health, subscriptions
from ipsentry.service.context import AppContext

DESCRIPTION = """
海外知识产权风险监测预警 — overseas IP risk monitoring for Chinese enterprises.

Authenticate with an API key: `Authorization: Bearer <key>` or `X-API-Key: <key>`.
"""


def create_app(context: AppContext) -> FastAPI:
    app = FastAPI(title="ipsentry", version=__version__, description=DESCRIPTION)
    app.state.context = context
    for module in (health, documents, enterprises, channels, subscriptions, alerts):
        app.include_router(module.router)
    return app
