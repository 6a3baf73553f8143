"""alerts per document stage: an alert is unique per (subscription, document, stage) instead of
per (subscription, document), so a document that is updated as its case moves on (a
CourtListener docket going from TRO to preliminary injunction) alerts again at each new stage;
(subscription, case, stage) stays unique as before

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot drop a constraint in place: batch mode rebuilds the table (core.db runs
    # migrations with foreign keys off, so the rebuild keeps the alerts' deliveries).
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alert_subscription_document", type_="unique")
        batch_op.create_unique_constraint(
            "uq_alert_subscription_document_stage", ["subscription_id", "document_id", "stage"]
        )


def downgrade() -> None:
    # The older key allows one alert per (subscription, document): the later stages' alerts
    # (and, by cascade, their deliveries) are deleted, the first one of each is kept.
    op.execute(
        "DELETE FROM alerts WHERE id NOT IN "
        "(SELECT MIN(id) FROM alerts GROUP BY subscription_id, document_id)"
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alert_subscription_document_stage", type_="unique")
        batch_op.create_unique_constraint(
            "uq_alert_subscription_document", ["subscription_id", "document_id"]
        )
