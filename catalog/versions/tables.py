"""Catalog versions and imports (SQLModel tables).

A version is a full snapshot of the seller catalog (`catalogversionitem`); the live `item` table
holds the published version's content (publishing materialises a version into it). See
catalog/versions/store.py (reading, drafts) and catalog/versions/publishing.py for the life cycle, and
README "Catalog versions, import and export".
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from core.database import JSONType, MoneyType, RateType


class CatalogVersion(SQLModel, table=True):
    """One version of the seller catalog. Its id is the version number (1, 2, ...).

    draft -> scheduled (publish with a future activation date) -> published -> superseded;
    a scheduled version goes back to draft when its publication is cancelled."""

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="draft", max_length=16, index=True)
    note: str = ""
    source: str = ""  # "manual", "bmecat:<file>", "csv:<file>", "sync:<url>", "demo", "snapshot of the live catalog"
    created_by: str
    created_at: datetime
    activates_at: datetime | None = None
    published_at: datetime | None = None
    published_by: str | None = None
    # the published version a copied draft started from (None: empty, or fully replaced by an
    # import): publishing it after a newer version went live would undo that version's changes
    based_on: int | None = None
    # one import at a time per draft (catalog/versions/draft_lock.py): the running import and its last sign of life
    import_run: str | None = Field(default=None, max_length=32)
    import_seen_at: datetime | None = None


class CatalogVersionItem(SQLModel, table=True):
    """An item as it is in one version. `attributes` carries the quality attributes: eclass,
    unspsc, image_url, manufacturer, manufacturer_part_number, delivery_days, ean."""

    version_id: int = Field(foreign_key="catalogversion.id", primary_key=True)
    sku: str = Field(primary_key=True, max_length=64)
    name: str
    description: str = ""
    category: str
    unit: str = "C62"
    list_price: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    currency: str = Field(default="EUR", max_length=3)
    vat_rate: Decimal = Field(default=Decimal("0.19"), sa_column=Column(RateType(), nullable=False))
    delivery_unit_id: str
    expert_review: bool = False
    options: dict[str, list[str]] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    constraints: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    attributes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    content_hash: str = Field(max_length=64)


class CatalogLive(SQLModel, table=True):
    """One row (id "live"): the version the live `item` table holds. Publishers lock this row."""

    id: str = Field(default="live", primary_key=True, max_length=16)
    version_id: int | None = Field(default=None, foreign_key="catalogversion.id")
    published_at: datetime | None = None


class CatalogImportRow(SQLModel, table=True):
    """What one import run did to one SKU (a staging table, so an import's memory stays flat):
    added, changed, unchanged, deleted or error. Rows of a finished run are removed."""

    run_id: str = Field(primary_key=True, max_length=32)
    sku: str = Field(primary_key=True, max_length=64)
    outcome: str = Field(max_length=16)
