"""Users and their API keys (admin, analyst = guidance center, enterprise = one enterprise),
and their console passwords: one policy and one way of changing them for the API and the CLI."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from ipsentry.core.models import ApiKey, User, WebSession
from ipsentry.core.security import hash_password, new_api_key

ROLES = ("admin", "analyst", "enterprise")

# The password policy (the API's schemas declare the same bounds).
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256


def check_password(password: str) -> None:
    """Raises ValueError, saying why, for a password the policy refuses."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValueError(f"a password needs at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValueError(f"a password has at most {PASSWORD_MAX_LENGTH} characters")


def create_user(
    session: Session,
    *,
    username: str,
    role: str,
    enterprise_id: int | None = None,
    password: str | None = None,
    email: str | None = None,
) -> User:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "enterprise" and enterprise_id is None:
        raise ValueError("an enterprise user needs an enterprise")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} exists already")
    if password:
        check_password(password)
    user = User(
        username=username,
        role=role,
        enterprise_id=enterprise_id,
        email=email,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def issue_api_key(session: Session, user: User, *, name: str = "") -> str:
    """Stores the key's hash and returns the whole key: the only time it is seen."""
    key, lookup, key_hash = new_api_key()
    session.add(ApiKey(user_id=user.id, prefix=lookup, key_hash=key_hash, name=name))
    session.flush()
    return key


def end_sessions(session: Session, user_id: int) -> int:
    """End the user's console logins (the account was disabled or its password changed);
    returns how many there were."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return cast(CursorResult[Any], result).rowcount


def set_password(session: Session, user: User, password: str) -> int:
    """Store ``password`` (scrypt) as the user's console password, after the policy allows it
    (ValueError otherwise), and end the user's console logins: whoever logged in with the old
    one is logged out.  API keys are separate credentials and stay.  Returns the logins ended."""
    check_password(password)
    user.password_hash = hash_password(password)
    return end_sessions(session, user.id)
