"""case links: a receipt-of-complaint docket case ("DN 3655") points at the investigation it became
(``cases.linked_to``), and cases keep their complainants' normalised names (``complainant_keys``)
so a docket can be matched to its investigation when the institution notice arrives weeks later

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("linked_to", sa.String(length=200), nullable=True))
        # Existing rows get an empty list; new rows get one from the model.
        batch_op.add_column(
            sa.Column("complainant_keys", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.create_index(batch_op.f("ix_cases_linked_to"), ["linked_to"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_linked_to"))
        batch_op.drop_column("complainant_keys")
        batch_op.drop_column("linked_to")
