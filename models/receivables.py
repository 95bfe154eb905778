"""Finance's views of the receivables: the invoice list, open items with aging, DSO, blocked
invoices. Amounts are per currency: nothing here converts one currency into another."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from models.money import Money

# the statuses the list filters by: an issued document's, or "blocked" (failed validation, no number)
ListStatus = Literal["open", "paid", "overdue", "blocked", "collections", "credited"]
DocumentType = Literal["380", "381"]  # UNTDID 1001: invoice, credit note


class InvoiceQuery(BaseModel):
    """Which documents the invoice list shows: every filter given must match; newest first."""

    customer_id: str | None = Field(default=None, max_length=64)
    status: ListStatus | None = Field(
        default=None, description="overdue: also an open invoice past its due date; blocked: seller staff only"
    )
    document_type: DocumentType | None = Field(default=None, description="380 invoice, 381 credit note")
    issued_from: date | None = Field(default=None, description="issued on or after (blocked: blocked on or after)")
    issued_to: date | None = Field(default=None, description="issued on or before")
    limit: int = Field(default=100, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=300, description="from the previous page's Link header")

    @field_validator("issued_to")
    @classmethod
    def _not_before_issued_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        issued_from = info.data.get("issued_from")
        if value is not None and issued_from is not None and value < issued_from:
            raise ValueError("issued_to is before issued_from")
        return value


class InvoiceListItem(BaseModel):
    """An issued invoice or credit note, or (status "blocked") a document that failed validation:
    that one has no invoice id, no number and no dates yet, but its findings count."""

    invoice_id: str | None
    number: str | None
    document_type: DocumentType | str
    customer_id: str
    order_id: str
    issue_date: date | None
    due_date: date | None
    currency: str
    gross_total: Money
    open_amount: Money = Field(description="what is still owed today (credit notes: 0, they reduce their invoice)")
    status: str
    preceding_invoice_id: str | None = None
    dunning_level: int = 0
    findings_count: int | None = None  # blocked ones only
    blocked_at: datetime | None = None  # blocked ones only


class AgingBuckets(BaseModel):
    """Open amounts by days since the invoice date."""

    days_0_30: Money
    days_31_60: Money
    days_61_90: Money
    over_90: Money


class OpenItem(BaseModel):
    invoice_id: str
    number: str
    order_id: str
    issue_date: date
    due_date: date
    age_days: int = Field(description="days since the invoice date")
    days_overdue: int = Field(description="days past the due date (0: not due yet)")
    gross_total: Money
    credited_total: Money
    paid_total: Money
    open_amount: Money
    status: str
    dunning_level: int


class CustomerOpenItems(BaseModel):
    """One customer's open invoices in one currency."""

    customer_id: str
    currency: str
    open_total: Money
    overdue: Money = Field(description="the part past its due date")
    buckets: AgingBuckets
    items: list[OpenItem]


class CurrencyTotal(BaseModel):
    currency: str
    open_total: Money
    overdue: Money
    buckets: AgingBuckets


class OpenItems(BaseModel):
    as_of: date
    customers: list[CustomerOpenItems]
    totals: list[CurrencyTotal]


class DsoFigure(BaseModel):
    """Days sales outstanding in one currency: open receivables / invoiced in the period x days."""

    currency: str
    open_receivables: Money
    invoiced: Money = Field(description="invoices less credit notes issued in the period")
    dso: float | None = Field(description="None when nothing was invoiced in the period")


class Dso(BaseModel):
    as_of: date
    days: int
    period_from: date = Field(description="the first day of the period (it ends on as_of)")
    figures: list[DsoFigure]


class Finding(BaseModel):
    """One failed rule of the schema or the EN 16931 schematron."""

    rule_id: str = ""
    level: str = "error"
    location: str | None = None
    text: str = ""


class BlockedInvoiceView(BaseModel):
    """A document validation refused: never sent, no number taken; the order waits for finance."""

    seller_id: str
    issue_key: str
    order_id: str
    customer_id: str
    document_type: str
    currency: str
    gross_total: Money
    attempts: int
    blocked_at: datetime
    checked_at: datetime
    findings: list[Finding]
