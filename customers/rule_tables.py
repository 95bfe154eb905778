"""Per-customer catalog rules (SQLModel tables): price lists with quantity breaks, customer part
numbers, role rules (what a role may see and order), role limits, and the special assortment.

The rules themselves live in catalog/pricing.py, customers/part_numbers.py, catalog/rights.py and
contracts/limits.py; README "Catalog: prices, rights, configurations" explains them.
"""

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column
from sqlmodel import Field, SQLModel

from core.database import MoneyType

# AssortmentRule.scope
ALL = "all"  # every item (target "")
CATEGORY = "category"  # the items of one category (target = category)
SKU = "sku"  # one item (target = SKU)
SCOPES = (ALL, CATEGORY, SKU)


class PriceList(SQLModel, table=True):
    """A customer's price list: prices for items outside (or on top of) its framework contract.
    Subsidiaries use the parent's price lists unless they have their own."""

    id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(foreign_key="customer.id", index=True)
    name: str
    currency: str = Field(default="EUR", max_length=3)
    valid_from: date
    valid_to: date | None = None  # None: open-ended


class PriceListEntry(SQLModel, table=True):
    """A price from `min_quantity` pieces on (a quantity break). No price: the item is assigned
    to the customer at its list price."""

    __table_args__ = (CheckConstraint("min_quantity >= 1", name="ck_pricelistentry_min_quantity"),)

    price_list_id: str = Field(foreign_key="pricelist.id", primary_key=True, max_length=64)
    sku: str = Field(foreign_key="item.sku", primary_key=True, max_length=64)
    min_quantity: int = Field(default=1, primary_key=True)
    price: Decimal | None = Field(default=None, sa_column=Column(MoneyType(), nullable=True))


class CustomerPartNumber(SQLModel, table=True):
    """The customer's own number for an item; subsidiaries inherit it unless they override it."""

    customer_id: str = Field(foreign_key="customer.id", primary_key=True, max_length=64)
    sku: str = Field(foreign_key="item.sku", primary_key=True, max_length=64)
    part_number: str = Field(max_length=100)


class AssortmentRule(SQLModel, table=True):
    """What users with `role` at the customer may see and order, for every item, a category or
    one item. Subsidiaries use the parent's rules unless they have rules of their own."""

    customer_id: str = Field(foreign_key="customer.id", primary_key=True, max_length=64)
    role: str = Field(primary_key=True, max_length=64)
    scope: str = Field(primary_key=True, max_length=16)  # "all", "category" or "sku"
    target: str = Field(default="", primary_key=True, max_length=64)  # "" for "all"
    may_see: bool = True
    may_order: bool = True


class RoleLimit(SQLModel, table=True):
    """Order limits of a role at a customer (net, in the contract's currency); a user's own
    limits win. Subsidiaries use the parent's role limits unless they have their own."""

    customer_id: str = Field(foreign_key="customer.id", primary_key=True, max_length=64)
    role: str = Field(primary_key=True, max_length=64)
    order_limit: Decimal | None = Field(default=None, sa_column=Column(MoneyType(), nullable=True))
    monthly_limit: Decimal | None = Field(default=None, sa_column=Column(MoneyType(), nullable=True))


class SpecialItem(SQLModel, table=True):
    """A customer's special assortment on top of its contract (e.g. a country subsidiary's)."""

    customer_id: str = Field(foreign_key="customer.id", primary_key=True)
    sku: str = Field(foreign_key="item.sku", primary_key=True)
    price: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
