"""onboarding without SQL: a customer's invoicing particulars (VAT ID, address, invoice e-mail,
buyer reference), a delivery unit's contact, adapter and signing-secret rotation (the previous
secret keeps verifying until `previous_secret_until`), and one-time invitation links for users
(only the link's SHA-256 is stored).

Revision ID: 0011_onboarding
Revises: 0010_token_version
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_onboarding"
down_revision = "0010_token_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("vat_id", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("street", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("postal_code", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("city", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("address_country", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("invoice_email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("buyer_reference", sa.String(length=200), nullable=True))
    with op.batch_alter_table("deliveryunit") as batch:
        batch.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("adapter", sa.String(length=32), nullable=False, server_default="webhook"))
        batch.add_column(sa.Column("previous_webhook_secret", sa.String(), nullable=True))
        batch.add_column(sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("secret_rotated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "invitation",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), sa.ForeignKey("user.email"), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_invitation_email", "invitation", ["email"])


def downgrade() -> None:
    op.drop_index("ix_invitation_email", table_name="invitation")
    op.drop_table("invitation")
    with op.batch_alter_table("deliveryunit") as batch:
        for name in (
            "secret_rotated_at",
            "previous_secret_until",
            "previous_webhook_secret",
            "adapter",
            "contact_email",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("customer") as batch:
        for name in ("buyer_reference", "invoice_email", "address_country", "city", "postal_code", "street", "vat_id"):
            batch.drop_column(name)
