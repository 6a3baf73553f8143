"""Request dependencies: the app context, a database session, and the caller (API key)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ipsentry.core.models import ApiKey, User
from ipsentry.core.security import api_key_lookup, api_key_matches
from ipsentry.service.context import AppContext

_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")


def get_context(request: Request) -> AppContext:
    return request.app.state.context


def get_session(context: Annotated[AppContext, Depends(get_context)]) -> Iterator[Session]:
    with context.session_factory() as session, session.begin():
        yield session


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: str  # admin | analyst | enterprise
    enterprise_id: int | None

    @property
    def is_staff(self) -> bool:
        """Admins and guidance-center analysts read everything."""
        return self.role in ("admin", "analyst")

    def can_see_enterprise(self, enterprise_id: int | None) -> bool:
        return self.is_staff or (enterprise_id is not None and enterprise_id == self.enterprise_id)


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"}
    )


def get_principal(
    session: Annotated[Session, Depends(get_session)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_header)],
) -> Principal:
    key = bearer.credentials if bearer else header_key
    if not key:
        raise _unauthorized("an API key is required (Authorization: Bearer <key> or X-API-Key)")
    lookup = api_key_lookup(key)
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == lookup)) if lookup else None
    if row is None or row.revoked or not api_key_matches(key, row.key_hash):
        raise _unauthorized("invalid or revoked API key")
    user: User = row.user
    if not user.active:
        raise _unauthorized("this user is disabled")
    row.last_used_at = datetime.now(UTC)
    return Principal(user.id, user.username, user.role, user.enterprise_id)


def require_staff(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin or analyst role")
    return principal


def require_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if principal.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin role")
    return principal


ContextDep = Annotated[AppContext, Depends(get_context)]
SessionDep = Annotated[Session, Depends(get_session)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
StaffDep = Annotated[Principal, Depends(require_staff)]
AdminDep = Annotated[Principal, Depends(require_admin)]


def not_found(what: str) -> HTTPException:
    # The same answer for "missing" and "not yours": no probing for other enterprises' ids.
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")
