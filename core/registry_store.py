"""Reading and writing the registry in the database (records ⇄ rows)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipsentry.core.models import Enterprise
from ipsentry.core.registry import EnterpriseRecord

_FIELDS = (
    "name_zh", "names_en", "former_names", "abbreviations", "stores", "seller_ids",
    "subsidiaries", "region_province", "region_city", "industries", "contact_email",
)  # fmt: skip


def record_from_row(row: Enterprise) -> EnterpriseRecord:
    return EnterpriseRecord(
        id=row.id,
        external_id=row.external_id,
        brands=row.brands or [],
        **{name: getattr(row, name) for name in _FIELDS},
    )


def upsert_records(session: Session, records: Sequence[EnterpriseRecord]) -> tuple[list[int], list[int]]:
    """Insert new enterprises and update known ones (by ``external_id``).
    Returns (created ids, updated ids); unchanged rows count as neither."""
    created: list[int] = []
    updated: list[int] = []
    for record in records:
        row = session.scalar(select(Enterprise).where(Enterprise.external_id == record.external_id))
        values = {name: getattr(record, name) for name in _FIELDS}
        values["brands"] = [brand.model_dump() for brand in record.brands]
        if row is None:
            row = Enterprise(external_id=record.external_id, **values)
            session.add(row)
            session.flush()
            created.append(row.id)
            continue
        changed = False
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        if changed:
            session.flush()
            updated.append(row.id)
    return created, updated


def load_registry(session: Session) -> list[EnterpriseRecord]:
    return [record_from_row(row) for row in session.scalars(select(Enterprise).order_by(Enterprise.id))]
