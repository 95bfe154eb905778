"""token version and revoked tokens: a user's bearer tokens carry the version, and a new password
counts it up, which revokes every token issued before; signing out revokes the one token
(revokedtoken, by its id, kept until it would have expired anyway). accounts/service.py.

Revision ID: 0010_token_version
Revises: 0009_order_record
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_token_version"
down_revision = "0009_order_record"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "revokedtoken",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti"),
    )
    op.create_index("ix_revokedtoken_expires_at", "revokedtoken", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_revokedtoken_expires_at", table_name="revokedtoken")
    op.drop_table("revokedtoken")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("token_version")
