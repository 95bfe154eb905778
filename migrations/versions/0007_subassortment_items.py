"""sub-assortment items: the live catalog's items of each sub-assortment, materialised

A customer with a sub-assortment now orders exactly its items (catalog/pricing.py), so the rows
of the existing definitions are filled here from the live version (before any publish: from the
active rows of `item`), with the same matching as catalog/subassortments.py. Afterwards every
publish and every change of a definition refreshes them.

Revision ID: 0007_subassortment_items
Revises: 0006_draft_guards
Hand-written (batch operations, so SQLite can take them too).
"""

import sqlalchemy as sa
from alembic import op

from core.database import ExactDecimal

revision = "0007_subassortment_items"
down_revision = "0006_draft_guards"
branch_labels = None
depends_on = None

BATCH = 500
# the columns filter rules may read (catalog/subassortments.py RULE_FIELDS), as of this revision
FIELDS = ("name", "description", "category", "unit", "currency", "delivery_unit_id")


def _columns(with_attributes: bool) -> list:
    columns = [
        sa.column("sku", sa.String()),
        *(sa.column(f, sa.String()) for f in FIELDS),
        sa.column("list_price", ExactDecimal(14, 2)),
        sa.column("vat_rate", ExactDecimal(7, 4)),
        sa.column("expert_review", sa.Boolean()),
    ]
    return [*columns, sa.column("attributes", sa.JSON())] if with_attributes else columns


def _fill(connection) -> None:
    from catalog.subassortments import matches, parse_rules  # the matching rule of the application

    definitions = sa.table(
        "subassortment",
        sa.column("customer_id", sa.String()),
        sa.column("categories", sa.JSON()),
        sa.column("skus", sa.JSON()),
        sa.column("rules", sa.JSON()),
    )
    rows = connection.execute(sa.select(definitions)).all()
    if not rows:
        return
    live = connection.execute(sa.text("SELECT version_id FROM cataloglive WHERE id = 'live'")).scalar()
    if live is not None:
        source = sa.table("catalogversionitem", sa.column("version_id", sa.Integer()), *_columns(True))
        base = [source.c.version_id == live]
    else:
        source = sa.table("item", sa.column("active", sa.Boolean()), *_columns(False))
        base = [source.c.active.is_(True)]
    target = sa.table("subassortmentitem", sa.column("customer_id", sa.String()), sa.column("sku", sa.String()))
    for owner, categories, skus, rules in rows:
        where = list(base)
        if categories or skus:
            where.append(sa.or_(source.c.category.in_(categories or []), source.c.sku.in_(skus or [])))
        parsed, last = parse_rules(rules or []), ""
        while True:
            batch = connection.execute(
                sa.select(source).where(*where, source.c.sku > last).order_by(source.c.sku).limit(BATCH)
            ).all()
            if not batch:
                break
            found = [{"customer_id": owner, "sku": r.sku} for r in batch if matches(r, parsed)]
            if found:
                connection.execute(target.insert(), found)
            last = batch[-1].sku


def upgrade() -> None:
    op.create_table(
        "subassortmentitem",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["subassortment.customer_id"]),
        sa.PrimaryKeyConstraint("customer_id", "sku"),
    )
    _fill(op.get_bind())


def downgrade() -> None:
    op.drop_table("subassortmentitem")
