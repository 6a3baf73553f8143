"""/healthz: is the service up and can it reach its stores (no secrets, no data)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from ipsentry import __version__
from ipsentry.api.deps import ContextDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness and store reachability")
def healthz(context: ContextDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with context.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # a health check reports, it does not raise
        checks["database"] = f"error: {type(error).__name__}"
    try:
        context.index.count()
        checks["index"] = "ok"
    except Exception as error:
        checks["index"] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if healthy else "degraded", "version": __version__, "checks": checks},
        status_code=200 if healthy else 503,
    )
