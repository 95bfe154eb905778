"""The seller's catalog as it is live (SQLModel table): the published version's items."""

from decimal import Decimal
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from core.database import JSONType, MoneyType, RateType


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
    # VAT on invoices (invoicing/tax.py): S at vat_rate, or the item's own Z or E (with the reason);
    # goods or services decides K or AE for business customers in other EU countries
    tax_category: str = Field(default="S", max_length=2)
    tax_exemption_reason: str | None = Field(default=None, max_length=200)
    supply: str = Field(default="goods", max_length=8)
    delivery_unit_id: str = Field(foreign_key="deliveryunit.id", index=True)
    expert_review: bool = False
    # Configurable items: {"hw_version": ["A1", "B2"], ...}
    options: dict[str, list[str]] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    # [{"type": "incompatible", "when": {"hw_version": "A1", "sw_version": "8.0"}, "message": "..."}]
    constraints: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    # False: removed by a published catalog version but still referenced (contract, special assortment)
    active: bool = True
