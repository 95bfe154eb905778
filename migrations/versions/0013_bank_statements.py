"""bank statements: the entries of imported camt.053 statements (one row per entry, its key
makes importing idempotent), what was booked from each, and what is left for finance.

Revision ID: 0013_bank_statements
Revises: 0012_invoice_to_cash
"""

import sqlalchemy as sa
from alembic import op

from core.database import ExactDecimal

revision = "0013_bank_statements"
down_revision = "0012_invoice_to_cash"
branch_labels = None
depends_on = None

MONEY = ExactDecimal(precision=14, scale=2)


def upgrade() -> None:
    op.create_table(
        "bankentry",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("statement_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("credit", sa.Boolean(), nullable=False),
        sa.Column("remittance", sa.Text(), nullable=False),
        sa.Column("debtor", sa.String(length=200), nullable=True),
        sa.Column("end_to_end_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("bookings", sa.JSON(), nullable=False),
        sa.Column("pending", sa.JSON(), nullable=False),
        sa.Column("unmatched_amount", MONEY, nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("open_item", sa.Boolean(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_by", sa.String(length=200), nullable=True),
        sa.Column("dismiss_note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_bankentry_booking_date", "bankentry", ["booking_date"])
    op.create_index("ix_bankentry_open_item", "bankentry", ["open_item"])


def downgrade() -> None:
    op.drop_index("ix_bankentry_open_item", table_name="bankentry")
    op.drop_index("ix_bankentry_booking_date", table_name="bankentry")
    op.drop_table("bankentry")
