"""Who may do what: the caller (``Principal``) and the object-level rules every endpoint of
the API and every page of the console applies.

Roles: ``admin`` (everything), ``analyst`` (the guidance center: reads everything, changes the
center's own watches and channels), ``enterprise`` (only its own enterprise's data).

Subscriptions, channels and, through their subscription, alerts are *scoped*: an object with an
``enterprise_id`` belongs to that enterprise (whoever created it — the center may set one up on
its behalf); an object without one belongs to the center.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, true

ROLES = ("admin", "analyst", "enterprise")


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: str  # admin | analyst | enterprise
    enterprise_id: int | None
    language: str = "zh-CN"

    @property
    def is_staff(self) -> bool:
        """Admins and guidance-center analysts read everything."""
        return self.role in ("admin", "analyst")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see_enterprise(self, enterprise_id: int | None) -> bool:
        return self.is_staff or (enterprise_id is not None and enterprise_id == self.enterprise_id)

    def can_read_scoped(self, enterprise_id: int | None) -> bool:
        return self.is_staff or (enterprise_id is not None and enterprise_id == self.enterprise_id)

    def can_change_scoped(self, enterprise_id: int | None, owner_user_id: int | None) -> bool:
        if self.is_admin:
            return True
        if self.role == "analyst":
            # The center's own objects, and what this analyst set up for an enterprise.
            return enterprise_id is None or owner_user_id == self.user_id
        return enterprise_id is not None and enterprise_id == self.enterprise_id

    def scoped_filter(self, enterprise_column: Any) -> ColumnElement[bool]:
        """The SQL condition selecting the scoped rows this caller may read."""
        if self.is_staff:
            return true()
        return enterprise_column == self.enterprise_id
