"""order record: orders, their lines, sub-orders, approvals and timeline in the app database

Temporal deletes a closed workflow's history after the namespace's retention; the order record
keeps what users read later (orders/tables.py). The workflows write it at a revision
(orders/record.py); the API reads it.

Revision ID: 0009_order_record
Revises: 0008_catalog_changes
Hand-written (batch operations, so SQLite can take them too).
"""

import sqlalchemy as sa
from alembic import op

from core.database import MoneyType, RateType

revision = "0009_order_record"
down_revision = "0008_catalog_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orderrecord",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("buyer", sa.String(length=254), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("customer_reference", sa.String(length=100), nullable=True),
        sa.Column("delivery_address", sa.String(length=500), nullable=True),
        sa.Column("delivery_contact", sa.String(length=200), nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("contract_id", sa.String(length=64), nullable=True),
        sa.Column("catalog_version", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("net_total", MoneyType(), nullable=True),
        sa.Column("vat_total", MoneyType(), nullable=True),
        sa.Column("gross_total", MoneyType(), nullable=True),
        sa.Column("paid_total", MoneyType(), nullable=False),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("requested_lines", sa.JSON(), nullable=False),
        sa.Column("pending_approval", sa.JSON(), nullable=True),
        sa.Column("contract_consumption", sa.JSON(), nullable=True),
        sa.Column("attention", sa.Text(), nullable=True),
        sa.Column("placement", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    with op.batch_alter_table("orderrecord", schema=None) as batch_op:
        batch_op.create_index("ix_orderrecord_customer_placed", ["customer_id", "placed_at", "order_id"])
        batch_op.create_index("ix_orderrecord_placed", ["placed_at", "order_id"])
        batch_op.create_index("ix_orderrecord_status", ["status"])
        batch_op.create_index("ix_orderrecord_buyer", ["buyer"])
        batch_op.create_index("ix_orderrecord_customer_reference", ["customer_reference"])

    op.create_table(
        "orderline",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("configuration", sa.JSON(), nullable=False),
        sa.Column("unit_price", MoneyType(), nullable=False),
        sa.Column("line_total", MoneyType(), nullable=False),
        sa.Column("vat_rate", RateType(), nullable=False),
        sa.Column("vat_amount", MoneyType(), nullable=False),
        sa.Column("delivery_unit_id", sa.String(length=64), nullable=False),
        sa.Column("expert_review", sa.Boolean(), nullable=False),
        sa.Column("customer_part_number", sa.String(length=64), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orderrecord.order_id"]),
        sa.PrimaryKeyConstraint("order_id", "line_no"),
    )

    op.create_table(
        "suborderrecord",
        sa.Column("suborder_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("tracking", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("delivery_address", sa.String(length=500), nullable=True),
        sa.Column("delivery_contact", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orderrecord.order_id"]),
        sa.PrimaryKeyConstraint("suborder_id"),
    )
    with op.batch_alter_table("suborderrecord", schema=None) as batch_op:
        batch_op.create_index("ix_suborderrecord_order_id", ["order_id"])
        batch_op.create_index("ix_suborderrecord_status", ["status"])
        batch_op.create_index("ix_suborderrecord_partner", ["partner_id", "sent_at"])

    op.create_table(
        "orderapproval",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orderrecord.order_id"]),
        sa.PrimaryKeyConstraint("order_id", "seq"),
    )

    op.create_table(
        "ordertimeline",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orderrecord.order_id"]),
        sa.PrimaryKeyConstraint("order_id", "source", "seq"),
    )


def downgrade() -> None:
    op.drop_table("ordertimeline")
    op.drop_table("orderapproval")
    with op.batch_alter_table("suborderrecord", schema=None) as batch_op:
        batch_op.drop_index("ix_suborderrecord_partner")
        batch_op.drop_index("ix_suborderrecord_status")
        batch_op.drop_index("ix_suborderrecord_order_id")
    op.drop_table("suborderrecord")
    op.drop_table("orderline")
    with op.batch_alter_table("orderrecord", schema=None) as batch_op:
        batch_op.drop_index("ix_orderrecord_customer_reference")
        batch_op.drop_index("ix_orderrecord_buyer")
        batch_op.drop_index("ix_orderrecord_status")
        batch_op.drop_index("ix_orderrecord_placed")
        batch_op.drop_index("ix_orderrecord_customer_placed")
    op.drop_table("orderrecord")
