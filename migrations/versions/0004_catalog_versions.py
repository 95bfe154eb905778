"""catalog versions (snapshots), import staging, quality rules, sub-assortments; item.active

Revision ID: 0004_versions
Revises: 0001
Hand-written (batch operations, so SQLite can take them too).
"""

import sqlalchemy as sa
from alembic import op

from core.database import ExactDecimal

revision = "0004_versions"
down_revision = "0001"
branch_labels = ("versions",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))

    op.create_table(
        "catalogversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activates_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("catalogversion", schema=None) as batch_op:
        batch_op.create_index("ix_catalogversion_status", ["status"], unique=False)

    op.create_table(
        "catalogversionitem",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("list_price", ExactDecimal(14, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("vat_rate", ExactDecimal(7, 4), nullable=False),
        sa.Column("delivery_unit_id", sa.String(), nullable=False),
        sa.Column("expert_review", sa.Boolean(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("constraints", sa.JSON(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["catalogversion.id"]),
        sa.PrimaryKeyConstraint("version_id", "sku"),
    )

    op.create_table(
        "cataloglive",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["version_id"], ["catalogversion.id"]),
        sa.PrimaryKeyConstraint("id"),
    )

    op.create_table(
        "catalogimportrow",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "sku"),
    )

    op.create_table(
        "qualityrule",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("customer_id", "rule"),
    )

    op.create_table(
        "catalogitemhidden",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("customer_id", "sku"),
    )

    op.create_table(
        "customercatalog",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("hidden_count", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("customer_id"),
    )

    op.create_table(
        "subassortment",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("skus", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("customer_id"),
    )


def downgrade() -> None:
    for table in (
        "subassortment",
        "customercatalog",
        "catalogitemhidden",
        "qualityrule",
        "catalogimportrow",
        "cataloglive",
        "catalogversionitem",
    ):
        op.drop_table(table)
    with op.batch_alter_table("catalogversion", schema=None) as batch_op:
        batch_op.drop_index("ix_catalogversion_status")
    op.drop_table("catalogversion")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_column("active")
