"""Console request dependencies: the logged-in user (session cookie), the CSRF check on every
form, and page rendering with the user's language."""

from __future__ import annotations

import hmac
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from ipsentry.api.access import Principal
from ipsentry.api.deps import SessionDep, principal_of
from ipsentry.api.i18n import Translator, pick_language
from ipsentry.api.web.sessions import COOKIE, find_session

LANGUAGE_COOKIE = "ipsentry_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """Raised for a console page without a valid login; answered with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def local_path(candidate: str | None, default: str = "/search") -> str:
    """``candidate`` when it is a path on this site, else ``default`` (no open redirects)."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    parts = urlsplit(candidate)
    return candidate if not parts.scheme and not parts.netloc else default


def web_principal(request: Request, session: SessionDep) -> Principal:
    found = find_session(session, request.cookies.get(COOKIE))
    if found is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(wanted if request.method in SAFE_METHODS else "/search")
    request.state.csrf_token = found.csrf_token
    return principal_of(found.user)


def same_origin(request: Request) -> bool:
    """A browser names the page a form came from (Origin, else Referer): it must be this site."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return source is None
    parts = urlsplit(source)
    return parts.netloc == request.url.netloc


async def checked_principal(
    request: Request, principal: Annotated[Principal, Depends(web_principal)]
) -> Principal:
    """The user, after the CSRF check for anything but a read: the form must echo the
    session's synchronizer token, and come from this site."""
    if request.method not in SAFE_METHODS:
        form = await request.form()
        sent = form.get("csrf_token")
        expected: str = request.state.csrf_token
        if not isinstance(sent, str) or not hmac.compare_digest(sent, expected) or not same_origin(request):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "csrf")
    return principal


def staff_only(principal: Annotated[Principal, Depends(checked_principal)]) -> Principal:
    if not principal.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "staff")
    return principal


WebUser = Annotated[Principal, Depends(checked_principal)]
WebStaff = Annotated[Principal, Depends(staff_only)]


def translator(request: Request) -> Translator:
    return Translator(pick_language(request.cookies.get(LANGUAGE_COOKIE)))


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    t = translator(request)
    return request.app.state.templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": t.language,
            "principal": principal,
            "csrf_token": getattr(request.state, "csrf_token", ""),
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        },
        status_code=status_code,
    )


def redirect(path: str, *, notice: str | None = None) -> RedirectResponse:
    """After a form: back to a page (303, so a reload does not post again), with a message key."""
    separator = "&" if "?" in path else "?"
    return RedirectResponse(
        path + (f"{separator}notice={notice}" if notice else ""), status.HTTP_303_SEE_OTHER
    )
