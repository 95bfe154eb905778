"""catalog drafts remember the version they were copied from, and which import writes into them

Revision ID: 0006_draft_guards
Revises: 0005_merge
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_draft_guards"
down_revision = "0005_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogversion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("based_on", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("import_run", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("import_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalogversion", schema=None) as batch_op:
        batch_op.drop_column("import_seen_at")
        batch_op.drop_column("import_run")
        batch_op.drop_column("based_on")
