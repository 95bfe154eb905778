"""Bank entries as imported: one row per entry (its key makes importing idempotent), what was
booked from it, and what is left for finance."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from core.database import JSONType, MoneyType


class BankEntry(SQLModel, table=True):
    """Invariant: amount = booked + pending + unmatched_amount (+ what finance dismissed).
    `pending` holds the bookings claimed before they go to the order's workflow: a crash between
    the booking and this row's update is finished by the next attempt under the same payment
    reference, which the workflow books once."""

    __tablename__ = "bankentry"

    key: str = Field(primary_key=True, max_length=160)
    account: str = Field(max_length=64)
    statement_id: str = Field(max_length=64)
    message_id: str | None = Field(default=None, max_length=64)
    position: int
    booking_date: date = Field(index=True)
    value_date: date | None = None
    amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    currency: str = Field(max_length=3)
    credit: bool
    remittance: str = Field(default="", sa_column=Column(Text, nullable=False))
    debtor: str | None = Field(default=None, max_length=200)
    end_to_end_id: str | None = Field(default=None, max_length=64)
    outcome: str = Field(max_length=16)  # cash.matching OUTCOMES
    # [{invoice_id, number, amount, reference, booked_by, booked_at}]
    bookings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    pending: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    unmatched_amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    notes: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    open_item: bool = Field(default=False, index=True)  # money left for finance to assign or dismiss
    imported_at: datetime
    imported_by: str = Field(max_length=200)
    dismissed_at: datetime | None = None
    dismissed_by: str | None = Field(default=None, max_length=200)
    dismiss_note: str | None = Field(default=None, max_length=500)
