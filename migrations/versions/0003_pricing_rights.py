"""price lists with quantity breaks, customer part numbers, role rules and limits, monthly spend

Revision ID: 0003_pricing
Revises: 0001
Hand-written (batch operations, so SQLite can take them too).
"""

import sqlalchemy as sa
from alembic import op

from core.database import ExactDecimal

revision = "0003_pricing"
down_revision = "0001"
branch_labels = ("pricing",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pricelist",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pricelist", schema=None) as batch_op:
        batch_op.create_index("ix_pricelist_customer_id", ["customer_id"], unique=False)

    op.create_table(
        "pricelistentry",
        sa.Column("price_list_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("min_quantity", sa.Integer(), nullable=False),
        sa.Column("price", ExactDecimal(14, 2), nullable=True),
        sa.ForeignKeyConstraint(["price_list_id"], ["pricelist.id"]),
        sa.ForeignKeyConstraint(["sku"], ["item.sku"]),
        sa.PrimaryKeyConstraint("price_list_id", "sku", "min_quantity"),
        sa.CheckConstraint("min_quantity >= 1", name="ck_pricelistentry_min_quantity"),
    )

    op.create_table(
        "customerpartnumber",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("part_number", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["sku"], ["item.sku"]),
        sa.PrimaryKeyConstraint("customer_id", "sku"),
    )

    op.create_table(
        "assortmentrule",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("may_see", sa.Boolean(), nullable=False),
        sa.Column("may_order", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("customer_id", "role", "scope", "target"),
    )

    op.create_table(
        "rolelimit",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("order_limit", ExactDecimal(14, 2), nullable=True),
        sa.Column("monthly_limit", ExactDecimal(14, 2), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("customer_id", "role"),
    )

    op.create_table(
        "buyerspend",
        sa.Column("user_email", sa.String(length=254), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("net", ExactDecimal(14, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_email", "order_id"),
    )
    with op.batch_alter_table("buyerspend", schema=None) as batch_op:
        batch_op.create_index("ix_buyerspend_user_month", ["user_email", "month"], unique=False)

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("monthly_limit", ExactDecimal(14, 2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("monthly_limit")
    with op.batch_alter_table("buyerspend", schema=None) as batch_op:
        batch_op.drop_index("ix_buyerspend_user_month")
    op.drop_table("buyerspend")
    op.drop_table("rolelimit")
    op.drop_table("assortmentrule")
    op.drop_table("customerpartnumber")
    op.drop_table("pricelistentry")
    with op.batch_alter_table("pricelist", schema=None) as batch_op:
        batch_op.drop_index("ix_pricelist_customer_id")
    op.drop_table("pricelist")
