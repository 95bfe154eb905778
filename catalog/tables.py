"""Catalog persistence (SQLModel tables)."""

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from core.database import ExactDecimal, JSONType, MoneyType, RateType


class Customer(SQLModel, table=True):
    """A business customer; subsidiaries point at their parent and inherit its contract."""

    id: str = Field(primary_key=True, max_length=64)
    name: str
    parent_id: str | None = Field(default=None, foreign_key="customer.id", index=True)
    country: str = Field(default="DE", max_length=2)


class Item(SQLModel, table=True):
    """An item of the seller's catalog, with the delivery unit that fulfils it."""

    sku: str = Field(primary_key=True, max_length=64)
    name: str
    description: str = ""
    category: str = Field(index=True)
    unit: str = "C62"  # UN/ECE rec 20: one piece
    list_price: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    currency: str = Field(default="EUR", max_length=3)
    vat_rate: Decimal = Field(default=Decimal("0.19"), sa_column=Column(RateType(), nullable=False))
    delivery_unit_id: str = Field(foreign_key="deliveryunit.id", index=True)
    expert_review: bool = False
    # Configurable items: {"hw_version": ["A1", "B2"], ...}
    options: dict[str, list[str]] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    # [{"type": "incompatible", "when": {"hw_version": "A1", "sw_version": "8.0"}, "message": "..."}]
    constraints: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    # False: removed by a published catalog version but still referenced (contract, special assortment)
    active: bool = True


class Contract(SQLModel, table=True):
    """A framework contract: which items a customer may call off, at which prices, until when."""

    id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(foreign_key="customer.id", index=True)
    name: str
    valid_from: date
    valid_to: date
    currency: str = Field(default="EUR", max_length=3)
    payment_terms_days: int = 30
    # call-off consumption (catalog/contracts.py): a cap on the net value of all call-offs, the
    # over-order tolerance on every agreed quantity and cap, and what happens beyond them
    value_cap: Decimal | None = Field(default=None, sa_column=Column(MoneyType(), nullable=True))
    tolerance_percent: Decimal = Field(
        default=Decimal("0"), sa_column=Column(ExactDecimal(5, 2), nullable=False, server_default="0")
    )
    on_exceed: str = Field(default="reject", max_length=16, sa_column_kwargs={"server_default": "reject"})


class ContractItem(SQLModel, table=True):
    contract_id: str = Field(foreign_key="contract.id", primary_key=True)
    sku: str = Field(foreign_key="item.sku", primary_key=True)
    price: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    agreed_quantity: int | None = None  # call-offs may consume this many (plus the contract's tolerance)
    value_cap: Decimal | None = Field(default=None, sa_column=Column(MoneyType(), nullable=True))


class SpecialItem(SQLModel, table=True):
    """A customer's special assortment on top of its contract (e.g. a country subsidiary's)."""

    customer_id: str = Field(foreign_key="customer.id", primary_key=True)
    sku: str = Field(foreign_key="item.sku", primary_key=True)
    price: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
