"""catalog changes: the audit trail of who changed a customer's commercial terms, and when

One row per change of a contract's terms or items, or of a customer's price lists, role rules,
role limits, part numbers, special items, quality rules or sub-assortment (customers/audit.py),
with the entity before and after as JSON. The indexes serve the newest-first pages of one
customer's or one contract's changes (keyset pagination by id).

Revision ID: 0008_catalog_changes
Revises: 0007_subassortment_items
Hand-written (batch operations, so SQLite can take them too).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_catalog_changes"
down_revision = "0007_subassortment_items"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogchange",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("contract_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("catalogchange", schema=None) as batch_op:
        batch_op.create_index("ix_catalogchange_customer", ["customer_id", "id"], unique=False)
        batch_op.create_index("ix_catalogchange_contract", ["contract_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("catalogchange", schema=None) as batch_op:
        batch_op.drop_index("ix_catalogchange_contract")
        batch_op.drop_index("ix_catalogchange_customer")
    op.drop_table("catalogchange")
