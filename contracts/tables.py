"""Framework contracts (SQLModel tables): the contract with its terms, its items, the consumption
ledger of its call-offs, and the buyers' monthly spend.

The consumption ledger (contracts/consumption.py writes and reads it) has one row per (contract,
order, SKU) that an accepted call-off consumed, plus one row with SKU "*" for the order's total
over the contracted items. Releasing an order (cancelled, rejected) flips its rows to "released":
the history stays, only "active" rows count.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from core.database import ExactDecimal, MoneyType

TOTAL = "*"  # the SKU of an order's total row
ACTIVE, RELEASED = "active", "released"


class Contract(SQLModel, table=True):
    """A framework contract: which items a customer may call off, at which prices, until when."""

    id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(foreign_key="customer.id", index=True)
    name: str
    valid_from: date
    valid_to: date
    currency: str = Field(default="EUR", max_length=3)
    payment_terms_days: int = 30
    # cash discount: paid within discount_days, the invoice is settled with discount_percent less
    discount_days: int | None = None
    discount_percent: Decimal | None = Field(default=None, sa_column=Column(ExactDecimal(5, 2), nullable=True))
    # call-off consumption (contracts/consumption.py): a cap on the net value of all call-offs, the
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


class ContractConsumption(SQLModel, table=True):
    __tablename__ = "contractconsumption"

    contract_id: str = Field(foreign_key="contract.id", primary_key=True, max_length=64)
    order_id: str = Field(primary_key=True, index=True, max_length=64)
    sku: str = Field(primary_key=True, max_length=64)  # or TOTAL
    quantity: int
    value: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))  # net, in the contract's currency
    status: str = Field(default=ACTIVE, max_length=16)
    forced: bool = False  # consumed beyond the agreed quantity with the expert's approval
    created_at: datetime
    released_at: datetime | None = None


class BuyerSpend(SQLModel, table=True):
    """The net value of one accepted order of a buyer, in the month it was placed ("2026-11");
    written idempotently by contracts/limits.py record_spend, removed by release_spend."""

    __table_args__ = (Index("ix_buyerspend_user_month", "user_email", "month"),)

    user_email: str = Field(primary_key=True, max_length=254)
    order_id: str = Field(primary_key=True, max_length=64)
    month: str = Field(max_length=7)
    net: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    currency: str = Field(default="EUR", max_length=3)
    recorded_at: datetime
