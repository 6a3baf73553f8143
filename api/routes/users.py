"""/api/v1/users: accounts and their API keys (admin only; a key is shown once, at issue), and
/api/v1/me: who the caller is."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from ipsentry.api.deps import (
    ERROR_RESPONSES,
    AdminDep,
    IdPath,
    PrincipalDep,
    SessionDep,
    not_found,
    unprocessable,
)
from ipsentry.api.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, UserIn, UserOut, UserUpdate
from ipsentry.core.models import ApiKey, Enterprise, User
from ipsentry.core.security import api_key_lookup
from ipsentry.core.users import create_user, end_sessions, issue_api_key, set_password

router = APIRouter(prefix="/api/v1", tags=["users"], responses=ERROR_RESPONSES)


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        role=user.role,
        enterprise_id=user.enterprise_id,
        email=user.email,
        language=user.language,
        active=user.active,
        created_at=user.created_at,
        has_password=bool(user.password_hash),
    )


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user")
    return user


def _check_enterprise(session: Session, role: str, enterprise_id: int | None) -> None:
    if role == "enterprise":
        if enterprise_id is None:
            raise unprocessable("an enterprise user needs an enterprise_id")
        if session.get(Enterprise, enterprise_id) is None:
            raise unprocessable(f"no enterprise {enterprise_id}")
    elif enterprise_id is not None:
        raise unprocessable("only enterprise users belong to an enterprise")


@router.get("/me", response_model=UserOut, summary="The caller's own account")
def me(session: SessionDep, principal: PrincipalDep) -> UserOut:
    return user_out(_user(session, principal.user_id))


@router.get("/users", response_model=list[UserOut])
def list_users(session: SessionDep, _: AdminDep) -> list[UserOut]:
    return [user_out(user) for user in session.scalars(select(User).order_by(User.id))]


@router.post(
    "/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "exists already"}},
)
def post_user(body: UserIn, session: SessionDep, _: AdminDep) -> UserOut:
    _check_enterprise(session, body.role, body.enterprise_id)
    if session.scalar(select(User.id).where(User.username == body.username)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"user {body.username!r} exists already")
    user = create_user(
        session,
        username=body.username,
        role=body.role,
        enterprise_id=body.enterprise_id,
        password=body.password,
        email=body.email,
    )
    user.language = body.language
    return user_out(user)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: IdPath, session: SessionDep, _: AdminDep) -> UserOut:
    return user_out(_user(session, user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
def patch_user(user_id: IdPath, body: UserUpdate, session: SessionDep, admin: AdminDep) -> UserOut:
    user = _user(session, user_id)
    if user.id == admin.user_id and (body.active is False or body.role not in (None, "admin")):
        raise unprocessable("an admin cannot disable or demote their own account")
    role = body.role or user.role
    enterprise_id = body.enterprise_id if body.enterprise_id is not None or body.role else user.enterprise_id
    _check_enterprise(session, role, enterprise_id)
    user.role, user.enterprise_id = role, enterprise_id
    if body.email is not None:
        user.email = body.email
    if body.language is not None:
        user.language = body.language
    if body.password is not None:
        set_password(session, user, body.password)  # ends the user's console logins
    if body.active is not None:
        user.active = body.active
        if not body.active:
            end_sessions(session, user.id)
    session.flush()
    return user_out(user)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: IdPath, session: SessionDep, admin: AdminDep) -> Response:
    user = _user(session, user_id)
    if user.id == admin.user_id:
        raise unprocessable("an admin cannot delete their own account")
    session.delete(user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/{user_id}/api-keys", response_model=list[ApiKeyOut])
def list_api_keys(user_id: IdPath, session: SessionDep, _: AdminDep) -> list[ApiKey]:
    _user(session, user_id)
    return list(session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id)))


@router.post(
    "/users/{user_id}/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API key (the whole key is in this answer only)",
)
def post_api_key(user_id: IdPath, body: ApiKeyIn, session: SessionDep, _: AdminDep) -> ApiKeyCreated:
    user = _user(session, user_id)
    key = issue_api_key(session, user, name=body.name)
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == api_key_lookup(key)))
    return ApiKeyCreated(**ApiKeyOut.model_validate(row).model_dump(), key=key)


@router.delete(
    "/users/{user_id}/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key"
)
def revoke_api_key(user_id: IdPath, key_id: IdPath, session: SessionDep, _: AdminDep) -> Response:
    row = session.get(ApiKey, key_id)
    if row is None or row.user_id != user_id:
        raise not_found("API key")
    row.revoked = True
    return Response(status_code=status.HTTP_204_NO_CONTENT)
