from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.database import ExactDecimal, JSONType, MoneyType

INVOICE, CREDIT_NOTE = "380", "381"  # UNTDID 1001 document type codes
# an invoice's status as finance sees it (a credit note is "open" until it is settled against its invoice)
OPEN, PAID, OVERDUE, COLLECTIONS, CREDITED = "open", "paid", "overdue", "collections", "credited"


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
        # what makes issuing idempotent: the order (one invoice after full delivery), the order and
        # sub-order (one per delivery), the order and a credit request (credit notes)
        UniqueConstraint("seller_id", "issue_key", name="uq_invoice_seller_issue_key"),
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
    document_type: str = Field(default=INVOICE, max_length=3)
    issue_key: str = Field(max_length=160)
    suborder_id: str | None = Field(default=None, max_length=64)
    preceding_invoice_id: str | None = Field(default=None, max_length=64)  # a credit note's invoice
    reason: str | None = Field(default=None, max_length=500)  # why a credit note was issued
    status: str = Field(default=OPEN, max_length=16, index=True)
    paid_total: Decimal = Field(default=Decimal("0.00"), sa_column=Column(MoneyType(), nullable=False))
    credited_total: Decimal = Field(default=Decimal("0.00"), sa_column=Column(MoneyType(), nullable=False))
    discount_percent: Decimal | None = Field(default=None, sa_column=Column(ExactDecimal(5, 2), nullable=True))
    discount_until: date | None = None
    buyer_reference: str | None = Field(default=None, max_length=200)
    order_reference: str | None = Field(default=None, max_length=100)
    dunning_level: int = 0
    dunning_paused: bool = False
    sent_at: datetime | None = None


class InvoiceDocumentRow(SQLModel, table=True):
    """The issued document as it was checked and sent: CII XML and the ZUGFeRD PDF (immutable)."""

    __tablename__ = "invoicedocument"

    invoice_id: str = Field(foreign_key="invoice.id", primary_key=True, max_length=64)
    xml: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    profile: str = Field(max_length=120)  # the CII guideline id (XRechnung 3.0 or EN 16931)
    created_at: datetime


class BlockedInvoice(SQLModel, table=True):
    """A document that failed validation: never sent, no number taken; the order waits in
    INVOICE_BLOCKED until finance fixes the data and tries again."""

    __tablename__ = "blockedinvoice"

    seller_id: str = Field(primary_key=True, max_length=64)
    issue_key: str = Field(primary_key=True, max_length=160)
    order_id: str = Field(index=True, max_length=64)
    customer_id: str = Field(max_length=64)
    document_type: str = Field(max_length=3)
    currency: str = Field(max_length=3)
    gross_total: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    findings: list[dict[str, Any]] = Field(sa_column=Column(JSONType, nullable=False))
    attempts: int = 1
    blocked_at: datetime
    checked_at: datetime
    resolved_at: datetime | None = None
    invoice_id: str | None = Field(default=None, max_length=64)  # issued once the data was fixed


class InvoiceDelivery(SQLModel, table=True):
    """One channel's delivery of a document (e-mail, the customer's webhook): sent once."""

    __tablename__ = "invoicedelivery"

    invoice_id: str = Field(foreign_key="invoice.id", primary_key=True, max_length=64)
    channel: str = Field(primary_key=True, max_length=16)
    recipient: str | None = Field(default=None, max_length=500)
    status: str = Field(max_length=16)  # sent, failed, skipped
    attempts: int = 0
    message_id: str | None = Field(default=None, max_length=200)
    detail: str | None = Field(default=None, max_length=1000)
    sent_at: datetime | None = None
    updated_at: datetime


class DunningNotice(SQLModel, table=True):
    """A reminder or dunning notice at one level of the customer's schedule (once per level)."""

    __tablename__ = "dunningnotice"

    invoice_id: str = Field(foreign_key="invoice.id", primary_key=True, max_length=64)
    level: int = Field(primary_key=True)
    kind: str = Field(max_length=16)  # reminder, notice, collections
    fee: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    open_amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    pay_by: date
    created_at: datetime


class PaymentRow(SQLModel, table=True):
    __tablename__ = "payment"

    invoice_id: str = Field(foreign_key="invoice.id", primary_key=True)
    reference: str = Field(primary_key=True, max_length=200)
    amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    received_at: datetime
    recorded_by: str
