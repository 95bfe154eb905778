"""framework contracts: agreed quantities, value caps, tolerance, and the consumption ledger

Revision ID: 0002_contracts
Revises: 0001
Hand-written (batch operations, so SQLite can take them too).
"""

import sqlalchemy as sa
from alembic import op

from core.database import ExactDecimal

revision = "0002_contracts"
down_revision = "0001"
branch_labels = ("contracts",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value_cap", ExactDecimal(14, 2), nullable=True))
        batch_op.add_column(sa.Column("tolerance_percent", ExactDecimal(5, 2), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("on_exceed", sa.String(length=16), nullable=False, server_default="reject"))

    with op.batch_alter_table("contractitem", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agreed_quantity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("value_cap", ExactDecimal(14, 2), nullable=True))

    op.create_table(
        "contractconsumption",
        sa.Column("contract_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("value", ExactDecimal(14, 2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"]),
        sa.PrimaryKeyConstraint("contract_id", "order_id", "sku"),
    )
    with op.batch_alter_table("contractconsumption", schema=None) as batch_op:
        batch_op.create_index("ix_contractconsumption_order_id", ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contractconsumption", schema=None) as batch_op:
        batch_op.drop_index("ix_contractconsumption_order_id")
    op.drop_table("contractconsumption")
    with op.batch_alter_table("contractitem", schema=None) as batch_op:
        batch_op.drop_column("value_cap")
        batch_op.drop_column("agreed_quantity")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_column("on_exceed")
        batch_op.drop_column("tolerance_percent")
        batch_op.drop_column("value_cap")
