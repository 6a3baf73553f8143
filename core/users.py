"""Users and their API keys (admin, analyst = guidance center, enterprise = one enterprise)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipsentry.core.models import ApiKey, User
from ipsentry.core.security import hash_password, new_api_key

ROLES = ("admin", "analyst", "enterprise")


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
