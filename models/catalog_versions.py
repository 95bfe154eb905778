"""Catalog versions, imports, diffs, quality reports and sync runs, as they cross a boundary
(API, CLI, workflow, activity)."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from models.money import Money

VersionStatus = Literal["draft", "scheduled", "published", "superseded"]
ImportFormat = Literal["bmecat", "csv"]
ImportMode = Literal["full", "delta"]


class VersionInfo(BaseModel):
    id: int
    status: VersionStatus
    note: str
    source: str
    created_by: str
    created_at: datetime
    activates_at: datetime | None = None
    published_at: datetime | None = None
    published_by: str | None = None
    item_count: int = 0
    live: bool = False
    based_on: int | None = Field(default=None, description="the published version this draft was copied from")
    import_running: bool = Field(default=False, description="an import is writing into this draft")


class VersionItem(BaseModel):
    sku: str
    name: str
    description: str
    category: str
    unit: str
    list_price: Money
    currency: str
    vat_rate: Decimal
    delivery_unit_id: str
    expert_review: bool
    options: dict[str, list[str]] = {}
    constraints: list[dict[str, Any]] = []
    attributes: dict[str, Any] = {}


class VersionItemPage(BaseModel):
    version_id: int
    items: list[VersionItem]
    total: int
    limit: int
    offset: int


class DiffItem(BaseModel):
    sku: str
    name: str


class PriceChange(BaseModel):
    sku: str
    name: str
    old_price: Money
    new_price: Money
    old_currency: str
    new_currency: str


class FieldChange(BaseModel):
    old: Any
    new: Any


class ItemChange(BaseModel):
    sku: str
    name: str
    fields: dict[str, FieldChange]


class DiffCounts(BaseModel):
    added: int = 0
    removed: int = 0
    changed: int = 0  # items with any change
    price_changes: int = 0
    text_changes: int = 0
    other_changes: int = 0


class CatalogDiff(BaseModel):
    """What publishing `version_id` changes against `base_version_id` (the published version;
    None when nothing is published yet). The lists stop at `limit`; `counts` are complete."""

    version_id: int
    base_version_id: int | None
    counts: DiffCounts
    added: list[DiffItem] = []
    removed: list[DiffItem] = []
    price_changes: list[PriceChange] = []
    text_changes: list[ItemChange] = []  # name, description
    other_changes: list[ItemChange] = []  # category, unit, VAT, delivery unit, attributes, ...
    truncated: bool = False

    def summary(self) -> str:
        c = self.counts
        return (
            f"version {self.version_id} against {self.base_version_id or 'nothing published'}: "
            f"{c.added} added, {c.removed} removed, {c.price_changes} price changes, "
            f"{c.text_changes} text changes, {c.other_changes} other changes"
        )


class ImportItemError(BaseModel):
    line: int | None = None
    sku: str | None = None
    field: str | None = None
    message: str


class ImportReport(BaseModel):
    """What one import did to a draft. An item with an error is skipped (and, in a full import,
    kept as it was); the rest of the file is imported. `file_error`: the file broke off (e.g. a
    syntax error at line N): what came before it is imported, nothing was removed."""

    version_id: int
    format: ImportFormat
    transaction: str  # T_NEW_CATALOG, T_UPDATE_PRODUCTS, T_UPDATE_PRICES, CSV
    mode: ImportMode
    items_read: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0  # deleted by the file (BMEcat mode="delete", CSV action=delete)
    removed: int = 0  # not in a full file any more
    failed: int = 0  # items skipped for errors
    errors: list[ImportItemError] = []
    errors_truncated: bool = False
    file_error: str | None = None

    @property
    def changes(self) -> int:
        return self.added + self.changed + self.deleted + self.removed


class MaterialiseResult(BaseModel):
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    deactivated: int = 0  # removed by the version but still referenced by a contract or special assortment


class CustomerPublication(BaseModel):
    customer_id: str
    version_id: int
    hidden_count: int


class PublishResult(BaseModel):
    version_id: int
    status: VersionStatus
    activates_at: datetime | None = None
    previous_version_id: int | None = None
    materialised: MaterialiseResult | None = None
    customers: list[CustomerPublication] = []  # customers with quality rules: what their view withholds


class PublicationRequest(BaseModel):
    version_id: int
    activates_at: datetime


class RuleFailure(BaseModel):
    rule: str
    message: str


class ItemQuality(BaseModel):
    sku: str
    name: str
    failures: list[RuleFailure]


class CustomerQuality(BaseModel):
    customer_id: str
    version_id: int
    rules: list[str]
    checked_items: int
    failing_count: int
    failing: list[ItemQuality] = []  # stops at the report's limit


class QualityReport(BaseModel):
    version_id: int
    customers: list[CustomerQuality]


class QualityRuleIn(BaseModel):
    rule: Literal["classification", "image", "min_description_length", "delivery_time", "manufacturer_part_number"]
    params: dict[str, Any] = {}


class FilterRule(BaseModel):
    field: str = Field(
        description="an item field (category, list_price, unit, ...) or attribute (manufacturer, eclass, ...)"
    )
    op: Literal["eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "contains", "present", "absent"]
    value: Any = None


class SubAssortmentIn(BaseModel):
    name: str = ""
    categories: list[str] = []
    skus: list[str] = []
    rules: list[FilterRule] = []


class SyncRequest(BaseModel):
    """Pull a supplier's catalog from `url` into a new draft (CatalogSync workflow)."""

    supplier: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    url: str
    format: ImportFormat | None = None  # None: from the content
    mode: ImportMode | None = None  # CSV only; BMEcat's transaction decides
    default_delivery_unit: str | None = None
    default_category: str | None = None


class SyncJob(BaseModel):
    request: SyncRequest
    key: str  # the workflow run: a retried activity imports into the same draft


class SyncResult(BaseModel):
    supplier: str
    url: str
    version_id: int | None  # the new draft; None when the catalog did not change (draft discarded)
    bytes: int
    report: ImportReport | None = None
    diff: CatalogDiff | None = None
    summary: str


class DraftIn(BaseModel):
    note: str = Field(default="", max_length=500)
    empty: bool = Field(default=False, description="start empty instead of from the published version")


class PublishIn(BaseModel):
    activates_at: datetime | None = Field(default=None, description="ISO 8601 with time zone; omitted or past: now")
    force: bool = Field(
        default=False,
        description="publish a draft copied from an older version than the "
        "published one, undoing what the newer one changed (see its diff)",
    )
