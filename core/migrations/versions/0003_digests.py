"""digests: daily and weekly digest messages, the alerts each carries, and digest deliveries

A delivery now sends either one alert or one digest (exactly one of ``alert_id`` and
``digest_id`` is set); an alert goes into at most one digest per channel, so a re-run of the
digest job in the same window sends nothing new.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("rate", sa.String(length=16), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "rate", "window_end", name="uq_digest_channel_window"),
    )
    op.create_table(
        "digest_alerts",
        sa.Column("digest_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["digest_id"], ["digests.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("digest_id", "alert_id"),
        sa.UniqueConstraint("channel_id", "alert_id", name="uq_digest_alert_channel"),
    )
    # SQLite cannot alter a column or add a foreign key in place: batch mode copies the table.
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column("alert_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_deliveries_digest_id_digests", "digests", ["digest_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_unique_constraint("uq_deliveries_digest_id", ["digest_id"])
        batch_op.create_check_constraint(
            "ck_delivery_alert_or_digest", "(alert_id IS NULL) <> (digest_id IS NULL)"
        )


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE digest_id IS NOT NULL")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("ck_delivery_alert_or_digest", type_="check")
        batch_op.drop_constraint("uq_deliveries_digest_id", type_="unique")
        batch_op.drop_constraint("fk_deliveries_digest_id_digests", type_="foreignkey")
        batch_op.drop_column("digest_id")
        batch_op.alter_column("alert_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("digest_alerts")
    op.drop_table("digests")
