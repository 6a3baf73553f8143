"""Console logins: a random token in an HttpOnly, SameSite=Lax cookie (Secure over https), its
hash and a CSRF token in the database.  Sessions end on logout, after ``SESSION_TTL`` and when
the account is disabled or its password changes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ipsentry.api.tokens import new_token, token_hash
from ipsentry.core.models import User, WebSession

COOKIE = "ipsentry_session"
SESSION_TTL = timedelta(hours=12)
# last_seen_at is written at most this often: a page view should not always be a write.
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class OpenSession:
    user: User
    csrf_token: str


def open_session(session: Session, user: User, *, now: datetime | None = None) -> tuple[str, str]:
    """Creates a login for ``user``; returns (cookie token, CSRF token)."""
    now = now or datetime.now(UTC)
    # Expired rows of anyone are swept here, where sessions are made, rather than by a job.
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    token, csrf = new_token(), secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    session.flush()
    return token, csrf


def find_session(session: Session, token: str | None, *, now: datetime | None = None) -> OpenSession | None:
    if not token:
        return None
    now = now or datetime.now(UTC)
    row = session.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
    if row is None or row.expires_at <= now or not row.user.active:
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
    return OpenSession(row.user, row.csrf_token)


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def is_https(request: Request) -> bool:
    # uvicorn's --proxy-headers makes the scheme the one the browser used behind a proxy.
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request))
