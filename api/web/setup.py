"""Puts the console into the app: its routers, static files, templates, the login limiter,
HTML error pages for console paths (JSON stays for /api) and the security headers."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from ipsentry.api.web import (
    alerts,
    auth,
    cases,
    channels,
    enterprises,
    search,
    sources,
    statistics,
    subscriptions,
)
from ipsentry.api.web.deps import LoginRequired, render
from ipsentry.api.web.ratelimit import LoginLimiter
from ipsentry.api.web.templating import build_templates

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
CONSOLE_ROUTERS = (auth, search, cases, enterprises, alerts, subscriptions, channels, sources, statistics)
_MACHINE_PATHS = ("/api/", "/healthz", "/openapi.json")

# Everything the console loads comes from this site; inline SVG needs no exception.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _for_machines(request: Request) -> bool:
    return request.url.path.startswith(_MACHINE_PATHS)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if _for_machines(request):
        return await http_exception_handler(request, error)
    return render(
        request,
        "error.html",
        None,
        status_code=error.status_code,
        code=error.status_code,
        reason=error.detail,
    )


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if _for_machines(request):
        return await request_validation_exception_handler(request, error)
    return render(request, "error.html", None, status_code=422, code=422, reason="invalid input")


async def _login_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, LoginRequired)
    return RedirectResponse(f"/login?next={quote(error.next_url, safe='')}", status_code=303)


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not _for_machines(request) and not request.url.path.startswith("/static/"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            # Pages show one user's data: never kept by shared caches or the back button.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def install_console(app: FastAPI) -> None:
    app.state.templates = build_templates(app.state.context.settings.timezone)
    app.state.login_limiter = LoginLimiter()
    for module in CONSOLE_ROUTERS:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_middleware(SecurityHeaders)
