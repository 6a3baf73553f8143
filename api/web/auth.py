"""Console login, logout and the language switch."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from ipsentry.api.deps import SessionDep
from ipsentry.api.i18n import LANGUAGES
from ipsentry.api.web.deps import (
    LANGUAGE_COOKIE,
    WebUser,
    local_path,
    redirect,
    render,
    same_origin,
)
from ipsentry.api.web.ratelimit import LoginLimiter
from ipsentry.api.web.sessions import (
    COOKIE,
    clear_session_cookie,
    close_session,
    is_https,
    open_session,
    set_session_cookie,
)
from ipsentry.core.models import User
from ipsentry.core.security import verify_password

router = APIRouter(include_in_schema=False)

# Before login there is no session to hold a CSRF token: the login form uses a double-submit
# cookie instead (a cross-site page can neither read it nor set it on our site).
LOGIN_CSRF_COOKIE = "ipsentry_login_csrf"
# Verifying against a fixed hash when the user does not exist keeps the answer time the same,
# so response times do not tell which user names exist.
_DUMMY_HASH = "scrypt$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def _login_page(
    request: Request, *, next_url: str, error: str | None = None, code: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render(
        request, "login.html", None, status_code=code, login_csrf=token, next_url=next_url, error=error
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict", secure=is_https(request)
    )
    return response


def _limiter(request: Request) -> LoginLimiter:
    return request.app.state.login_limiter


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, next_url=local_path(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=128)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/search",
) -> Response:
    next_url = local_path(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token) or not same_origin(request):
        return _login_page(request, next_url=next_url, error="login.error.expired", code=403)
    address = request.client.host if request.client else "?"
    limiter = _limiter(request)
    wait = limiter.retry_after(username, address)
    if wait > 0:
        response = _login_page(request, next_url=next_url, error="login.error.too_many", code=429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    user = session.scalar(select(User).where(User.username == username.strip()))
    valid = verify_password(password, user.password_hash if user and user.password_hash else _DUMMY_HASH)
    if user is None or not user.active or not user.password_hash or not valid:
        limiter.failed(username, address)
        return _login_page(request, next_url=next_url, error="login.error.invalid", code=401)
    limiter.succeeded(username, address)
    token, _csrf = open_session(session, user)
    response = RedirectResponse(next_url, status.HTTP_303_SEE_OTHER)
    set_session_cookie(response, request, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    if user.language in LANGUAGES and LANGUAGE_COOKIE not in request.cookies:
        response.set_cookie(LANGUAGE_COOKIE, user.language, max_age=365 * 86400, samesite="lax")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, _: WebUser) -> Response:
    close_session(session, request.cookies.get(COOKIE))
    response = redirect("/login")
    clear_session_cookie(response, request)
    return response


@router.get("/lang/{language}")
def switch_language(request: Request, language: str, next: str | None = None) -> Response:
    response = redirect(local_path(next))
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", secure=is_https(request)
        )
    return response


@router.get("/")
def home() -> Response:
    return RedirectResponse("/search", status.HTTP_303_SEE_OTHER)
