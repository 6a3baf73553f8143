"""Request dependencies of the REST API: the app context, a database session, the caller
(API key) and the role checks.  Object-level rules live in ``access``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from annotated_types import Ge, Le
from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ipsentry.api.access import Principal
from ipsentry.api.schemas import ErrorOut
from ipsentry.core.models import ApiKey, User
from ipsentry.core.security import api_key_lookup, api_key_matches
from ipsentry.service.context import AppContext

__all__ = ["Principal"]

_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")

# Ids are 32-bit in every store we run on; a larger number can only be a miss, and is refused
# before it reaches the database (where it would be an overflow error, not a 404).
MAX_ID = 2**31 - 1


def get_context(request: Request) -> AppContext:
    return request.app.state.context


def get_session(context: Annotated[AppContext, Depends(get_context)]) -> Iterator[Session]:
    with context.session_factory() as session, session.begin():
        yield session


# Committed when the endpoint returns, before the response is sent: the caller never sees a
# success that is then rolled back, and background tasks (retro-matching) start after the
# write lock is released instead of waiting on it.
_session = Depends(get_session, scope="function")


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"}
    )


def principal_of(user: User) -> Principal:
    return Principal(user.id, user.username, user.role, user.enterprise_id, user.language or "zh-CN")


def get_principal(
    session: Annotated[Session, _session],
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
    return principal_of(user)


def require_staff(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin or analyst role")
    return principal


def require_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin role")
    return principal


ContextDep = Annotated[AppContext, Depends(get_context)]
SessionDep = Annotated[Session, _session]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
StaffDep = Annotated[Principal, Depends(require_staff)]
AdminDep = Annotated[Principal, Depends(require_admin)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
PositiveId = Annotated[int, Ge(1), Le(MAX_ID)]


def not_found(what: str) -> HTTPException:
    # The same answer for "missing" and "not yours": no probing for other enterprises' ids.
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")


def forbidden(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, reason)


def unprocessable(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, reason)


# Documented on every router, so the OpenAPI document lists the error answers too.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "no or invalid API key", "model": ErrorOut},
    403: {"description": "the caller's role may not do this", "model": ErrorOut},
    404: {"description": "not found, or not the caller's", "model": ErrorOut},
}
