"""invoice to cash: invoices and credit notes as EN 16931 documents (XML and PDF kept with them),
more than one document per order (per delivery, credit notes: `issue_key` makes issuing
idempotent instead of the order), invoice status and paid/credited totals for finance, cash
discount, dunning levels and notices, documents blocked by validation, deliveries of documents
(e-mail, the customer's webhook) sent once; a customer's invoicing policy, dunning schedule and
invoice webhook; a contract's cash discount; an item's VAT category and kind of supply.

Revision ID: 0012_invoice_to_cash
Revises: 0011_onboarding
"""

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from core.database import ExactDecimal

revision = "0012_invoice_to_cash"
down_revision = "0011_onboarding"
branch_labels = None
depends_on = None

MONEY = ExactDecimal(precision=14, scale=2)
PERCENT = ExactDecimal(precision=5, scale=2)
# the name PostgreSQL gave the unnamed unique constraint of 0001; SQLite's batch copy names it so too
UNIQUE_NAMES = {"uq": "%(table_name)s_%(column_0_N_name)s_key"}


def upgrade() -> None:
    with op.batch_alter_table("invoice", naming_convention=UNIQUE_NAMES) as batch:
        batch.add_column(sa.Column("document_type", sa.String(length=3), nullable=False, server_default="380"))
        batch.add_column(sa.Column("issue_key", sa.String(length=160), nullable=True))
        batch.add_column(sa.Column("suborder_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("preceding_invoice_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("reason", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="open"))
        batch.add_column(sa.Column("paid_total", MONEY, nullable=False, server_default="0"))
        batch.add_column(sa.Column("credited_total", MONEY, nullable=False, server_default="0"))
        batch.add_column(sa.Column("discount_percent", PERCENT, nullable=True))
        batch.add_column(sa.Column("discount_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("buyer_reference", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("order_reference", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("dunning_level", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("dunning_paused", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint("invoice_seller_id_order_id_key", type_="unique")
    op.execute("UPDATE invoice SET issue_key = order_id")
    _backfill_paid_totals()
    with op.batch_alter_table("invoice") as batch:
        batch.alter_column("issue_key", existing_type=sa.String(length=160), nullable=False)
        batch.create_unique_constraint("uq_invoice_seller_issue_key", ["seller_id", "issue_key"])
        batch.create_index("ix_invoice_status", ["status"])
        batch.create_index("ix_invoice_issue_date", ["issue_date"])

    op.create_table(
        "invoicedocument",
        sa.Column("invoice_id", sa.String(length=64), sa.ForeignKey("invoice.id"), nullable=False),
        sa.Column("xml", sa.LargeBinary(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("profile", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id"),
    )
    op.create_table(
        "blockedinvoice",
        sa.Column("issue_key", sa.String(length=160), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("document_type", sa.String(length=3), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gross_total", MONEY, nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invoice_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("seller_id", "issue_key"),
    )
    op.create_index("ix_blockedinvoice_order_id", "blockedinvoice", ["order_id"])
    op.create_table(
        "invoicedelivery",
        sa.Column("invoice_id", sa.String(length=64), sa.ForeignKey("invoice.id"), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.String(length=1000), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", "channel"),
    )
    op.create_table(
        "dunningnotice",
        sa.Column("invoice_id", sa.String(length=64), sa.ForeignKey("invoice.id"), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("fee", MONEY, nullable=False),
        sa.Column("open_amount", MONEY, nullable=False),
        sa.Column("pay_by", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", "level"),
    )
    with op.batch_alter_table("orderrecord") as batch:
        batch.add_column(sa.Column("billing", sa.JSON(), nullable=True))
    with op.batch_alter_table("customer") as batch:
        batch.add_column(
            sa.Column("invoicing_policy", sa.String(length=16), nullable=False, server_default="per_order")
        )
        batch.add_column(sa.Column("dunning_schedule", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("invoice_webhook_url", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("invoice_webhook_secret", sa.String(), nullable=True))
    with op.batch_alter_table("contract") as batch:
        batch.add_column(sa.Column("discount_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("discount_percent", PERCENT, nullable=True))
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("tax_category", sa.String(length=2), nullable=False, server_default="S"))
        batch.add_column(sa.Column("tax_exemption_reason", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("supply", sa.String(length=8), nullable=False, server_default="goods"))


def _backfill_paid_totals() -> None:
    """In Python: SQLite keeps money as text (core.database.ExactDecimal), which SQL would compare
    as strings."""
    bind = op.get_bind()
    paid: dict[str, Decimal] = {}
    for invoice_id, amount in bind.execute(sa.text("SELECT invoice_id, amount FROM payment")):
        paid[invoice_id] = paid.get(invoice_id, Decimal("0")) + Decimal(str(amount))
    for invoice_id, gross in list(bind.execute(sa.text("SELECT id, gross_total FROM invoice"))):
        total = paid.get(invoice_id, Decimal("0"))
        bind.execute(
            sa.text("UPDATE invoice SET paid_total = :paid, status = :status WHERE id = :id"),
            {"paid": str(total), "status": "paid" if total >= Decimal(str(gross)) else "open", "id": invoice_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("item") as batch:
        for name in ("supply", "tax_exemption_reason", "tax_category"):
            batch.drop_column(name)
    with op.batch_alter_table("contract") as batch:
        for name in ("discount_percent", "discount_days"):
            batch.drop_column(name)
    with op.batch_alter_table("customer") as batch:
        for name in ("invoice_webhook_secret", "invoice_webhook_url", "dunning_schedule", "invoicing_policy"):
            batch.drop_column(name)
    with op.batch_alter_table("orderrecord") as batch:
        batch.drop_column("billing")
    op.drop_table("dunningnotice")
    op.drop_table("invoicedelivery")
    op.drop_index("ix_blockedinvoice_order_id", table_name="blockedinvoice")
    op.drop_table("blockedinvoice")
    op.drop_table("invoicedocument")
    with op.batch_alter_table("invoice") as batch:
        batch.drop_index("ix_invoice_issue_date")
        batch.drop_index("ix_invoice_status")
        batch.drop_constraint("uq_invoice_seller_issue_key", type_="unique")
        batch.create_unique_constraint("invoice_seller_id_order_id_key", ["seller_id", "order_id"])
        for name in (
            "sent_at",
            "dunning_paused",
            "dunning_level",
            "order_reference",
            "buyer_reference",
            "discount_until",
            "discount_percent",
            "credited_total",
            "paid_total",
            "status",
            "reason",
            "preceding_invoice_id",
            "suborder_id",
            "issue_key",
            "document_type",
        ):
            batch.drop_column(name)
