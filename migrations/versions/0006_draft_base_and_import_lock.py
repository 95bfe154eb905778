"""catalog drafts remember the version they were copied from, and which import writes into them

The drafts that exist already were copied from the version published when they were created (the
one with the latest publication up to then; none before the first publish): that is recorded, so
the stale-draft guard (catalog/versions/publishing.py) covers them too. A draft that was created
empty or fully replaced by an import since cannot be told apart; it is refused only once a newer
version is published, and can be published with force.

Revision ID: 0006_draft_guards
Revises: 0005_merge
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_draft_guards"
down_revision = "0005_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogversion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("based_on", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("import_run", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("import_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE catalogversion SET based_on = (SELECT p.id FROM catalogversion p "
        "WHERE p.published_at IS NOT NULL AND p.published_at <= catalogversion.created_at "
        "ORDER BY p.published_at DESC, p.id DESC LIMIT 1) WHERE status = 'draft'"
    )


def downgrade() -> None:
    with op.batch_alter_table("catalogversion", schema=None) as batch_op:
        batch_op.drop_column("import_seen_at")
        batch_op.drop_column("import_run")
        batch_op.drop_column("based_on")
