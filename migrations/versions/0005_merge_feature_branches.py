"""Joins the contract, pricing and catalog-version branches into one head.

Revision ID: 0005_merge
Revises: 0002_contracts, 0003_pricing, 0004_versions
"""

revision = "0005_merge"
down_revision = ("0002_contracts", "0003_pricing", "0004_versions")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
