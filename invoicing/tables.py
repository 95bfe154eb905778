from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.database import JSONType, MoneyType


class InvoiceSequence(SQLModel, table=True):
    """The next invoice number per seller and year. Incremented in the same transaction that
    writes the invoice, so a rolled-back attempt gives its number back: no gaps, no duplicates."""

    seller_id: str = Field(primary_key=True, max_length=64)
    year: int = Field(primary_key=True)
    next_value: int = 1


class InvoiceRecord(SQLModel, table=True):
    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("seller_id", "number"),
        UniqueConstraint("seller_id", "order_id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    seller_id: str = Field(max_length=64)
    number: str = Field(max_length=32)
    order_id: str = Field(index=True, max_length=64)
    customer_id: str = Field(index=True, max_length=64)
    currency: str = Field(max_length=3)
    issue_date: date
    due_date: date
    payment_terms_days: int
    net_total: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    vat_total: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    gross_total: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    lines: list[dict[str, Any]] = Field(sa_column=Column(JSONType, nullable=False))
    created_at: datetime


class PaymentRow(SQLModel, table=True):
    __tablename__ = "payment"

    invoice_id: str = Field(foreign_key="invoice.id", primary_key=True)
    reference: str = Field(primary_key=True, max_length=200)
    amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    received_at: datetime
    recorded_by: str
