"""What of the live catalog each customer sees (SQLModel tables): its quality rules and the items
they withhold, the version its view was last checked against, and its sub-assortment with the
items materialised from it (catalog/quality.py, catalog/subassortments.py)."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from core.database import JSONType


class QualityRule(SQLModel, table=True):
    """A customer's requirement on the items it sees (catalog/quality.py RULES)."""

    customer_id: str = Field(foreign_key="customer.id", primary_key=True, max_length=64)
    rule: str = Field(primary_key=True, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


class HiddenItem(SQLModel, table=True):
    """An item of the live version withheld from one customer because it breaks the customer's
    quality rules; `failures` says which rules and why."""

    __tablename__ = "catalogitemhidden"

    customer_id: str = Field(foreign_key="customer.id", primary_key=True, max_length=64)
    sku: str = Field(primary_key=True, max_length=64)
    version_id: int
    failures: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))


class CustomerCatalog(SQLModel, table=True):
    """Which version a customer's view was last checked against, and how many items it withholds."""

    customer_id: str = Field(foreign_key="customer.id", primary_key=True, max_length=64)
    version_id: int
    hidden_count: int = 0
    checked_at: datetime


class SubAssortment(SQLModel, table=True):
    """A customer's view as a sub-assortment of the seller catalog: items of the listed categories
    or SKUs (all items when both are empty) that match every filter rule. Subsidiaries use the
    nearest ancestor's. With one, the customer's assortment is exactly its items (catalog/pricing.py);
    without one, its contract assortment (contract, special and price-list items)."""

    customer_id: str = Field(foreign_key="customer.id", primary_key=True, max_length=64)
    name: str = ""
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    skus: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    # [{"field": "manufacturer", "op": "eq", "value": "NetGear"}, {"field": "list_price", "op": "lte", "value": "100"}]
    rules: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))


class SubAssortmentItem(SQLModel, table=True):
    """The live catalog's items in a sub-assortment, materialised (filter rules over JSON attributes
    are not portable SQL) by catalog/subassortments.py whenever a version is published and whenever
    the definition is set or removed. `customer_id` is the customer that owns the definition; its
    subsidiaries without one of their own use the same rows. No foreign key on `sku`: a publish
    deletes items before the rows are refreshed."""

    __tablename__ = "subassortmentitem"

    customer_id: str = Field(foreign_key="subassortment.customer_id", primary_key=True, max_length=64)
    sku: str = Field(primary_key=True, max_length=64)
