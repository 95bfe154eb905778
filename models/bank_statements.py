"""Bank statements and cash application: what an import answers, the items left for finance."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from models.money import Money

Outcome = Literal["matched", "partial", "overpaid", "unmatched", "skipped", "duplicate"]


class EntryBooking(BaseModel):
    invoice_id: str
    number: str
    amount: Money


class EntryReport(BaseModel):
    """One entry of the statement and what became of it."""

    key: str = Field(description="the entry's key: its bank reference (AcctSvcrRef) within the account, or a hash")
    statement_id: str
    account: str
    amount: Money
    currency: str
    credit: bool
    booking_date: date | None
    remittance: str
    debtor: str | None = None
    outcome: Outcome
    bookings: list[EntryBooking] = []
    unmatched_amount: Money = Decimal("0.00")
    notes: list[str] = []


class StatementReport(BaseModel):
    """What an import matched and what it did not. `statement_id` and `account` are the file's
    first statement's; each entry names its own."""

    message_id: str | None
    statement_id: str
    account: str
    counts: dict[Outcome, int]
    entries: list[EntryReport]


class UnmatchedItem(BaseModel):
    """A bank entry with money no invoice took yet (or, once dismissed, never will)."""

    key: str
    account: str
    statement_id: str
    booking_date: date
    amount: Money
    currency: str
    remittance: str
    debtor: str | None
    outcome: Outcome
    bookings: list[EntryBooking]
    unmatched_amount: Money
    notes: list[str]
    dismissed_at: datetime | None = None
    dismissed_by: str | None = None
    dismiss_note: str | None = None


class UnmatchedPage(BaseModel):
    items: list[UnmatchedItem]
    total: int
    offset: int
    limit: int


class AssignBody(BaseModel):
    invoice_id: str = Field(min_length=1, max_length=64)
    amount: Money | None = Field(
        default=None,
        gt=0,
        lt=Decimal("1e12"),
        decimal_places=2,
        description="default: what is left of the entry, up to what settles the invoice",
    )


class DismissBody(BaseModel):
    note: str = Field(min_length=1, max_length=500, description="why, e.g. refunded to the payer")
