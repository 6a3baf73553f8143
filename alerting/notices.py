"""Notices: short messages to a user or an enterprise about their own setup (a channel was
disabled, …), kept in the database so the web console can show them until read.

An alert is about a document; a notice is about the service itself, hence its own table
(migration 0002; the model is in core.models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ipsentry.core.documents import utcnow
from ipsentry.core.models import Notice

__all__ = ["Notice", "add_notice"]


def add_notice(
    session: Session,
    *,
    kind: str,
    message: str,
    user_id: int | None = None,
    enterprise_id: int | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Notice:
    notice = Notice(
        user_id=user_id,
        enterprise_id=enterprise_id,
        kind=kind,
        message=message,
        data=data or {},
        created_at=now or utcnow(),
    )
    session.add(notice)
    return notice
