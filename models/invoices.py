"""Invoices and payments."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from models.actors import Actor
from models.einvoices import Finding
from models.money import Money


class InvoiceLineIn(BaseModel):
    line_no: int
    sku: str
    name: str
    quantity: int
    unit_price: Money
    vat_rate: Decimal
    customer_part_number: str | None = None  # the buyer's item id (BT-156)
    # on e-invoices (invoicing/tax.py decides; older invoices carry S at vat_rate)
    vat_category: str | None = None
    exemption_reason: str | None = None


class InvoiceRequest(BaseModel):
    """Activity input; (seller_id, order_id) makes issuing idempotent."""

    seller_id: str
    order_id: str
    customer_id: str
    currency: str
    payment_terms_days: int
    issue_date: date
    lines: list[InvoiceLineIn]
    # invoice to cash (orders of core/temporal_names.py ENGINE_CASH): an e-invoice, checked first
    issue_key: str | None = None  # what makes issuing idempotent; None: the order id
    document_type: str = "380"
    discount_days: int | None = None
    discount_percent: Decimal | None = None
    order_reference: str | None = None  # the customer's reference of the order (BT-13)
    delivery_date: date | None = None
    suborder_id: str | None = None
    preceding_invoice_id: str | None = None  # a credit note's invoice
    reason: str | None = None  # a credit note's


class InvoiceLine(InvoiceLineIn):
    net_amount: Money
    vat_amount: Money
    gross_amount: Money


class InvoiceSummary(BaseModel):
    invoice_id: str
    number: str
    currency: str
    net_total: Money
    vat_total: Money
    gross_total: Money
    issue_date: date
    due_date: date
    document_type: str = "380"  # 381: a credit note


class Invoice(InvoiceSummary):
    order_id: str
    customer_id: str
    seller_id: str
    payment_terms: str
    lines: list[InvoiceLine]
    paid_total: Money = Decimal("0.00")
    payments: list["PaymentRecord"] = []
    status: str = "open"  # open, paid, overdue, collections, credited
    credited_total: Money = Decimal("0.00")  # by credit notes on this invoice
    discount_percent: Decimal | None = None
    discount_until: date | None = None
    preceding_invoice_id: str | None = None  # a credit note's invoice
    reason: str | None = None
    dunning_level: int = 0
    dunning_paused: bool = False
    has_document: bool = False  # the e-invoice (XML and PDF) can be downloaded
    credit_notes: list[InvoiceSummary] = []


class DunningLevel(BaseModel):
    """One step of a dunning schedule: so many days after the due date, with a fee."""

    days_after_due: int = Field(ge=0, le=3650)
    kind: Literal["reminder", "notice", "collections"]
    fee: Money = Field(default=Decimal("0.00"), ge=0, lt=Decimal("1e6"))


class IssueResult(BaseModel):
    """Issuing's outcome: the invoice, or the findings that block it (nothing issued, no number
    taken); with the customer's dunning schedule, read in the same go."""

    invoice: Invoice | None = None
    findings: list[Finding] = []
    dunning: list[DunningLevel] = []


class PaymentIn(BaseModel):
    invoice_id: str
    amount: Money = Field(gt=0)
    reference: str = Field(min_length=1, max_length=200)
    actor: Actor
    # the day the money arrived (the cash discount window looks at it); None: the day it is booked
    received_on: date | None = None


class PaymentRecord(BaseModel):
    amount: Money
    reference: str
    received_at: datetime
    recorded_by: str


class PaymentResult(BaseModel):
    """Whether this call added the payment (False: the reference was already booked), and the
    payment as booked under its reference."""

    added: bool
    paid_total: Money
    payment: PaymentRecord | None = None
    # the invoice needs nothing more (with the cash discount when paid in time, less credit notes)
    settled: bool = False


Invoice.model_rebuild()


class PaymentBody(BaseModel):
    amount: Money = Field(gt=0, lt=Decimal("1e12"), decimal_places=2)  # what the money columns hold
    reference: str = Field(min_length=1, max_length=200, description="bank reference; one payment per reference")
    value_date: date | None = Field(
        default=None,
        ge=date(2000, 1, 1),
        le=date(2999, 12, 31),
        description="the day the money arrived (the cash discount window looks at it); default: today",
    )


class CreditLine(BaseModel):
    """What a credit note gives back on one invoice line: returned or cancelled pieces, or a
    lower price for the pieces invoiced (a price correction), or both."""

    line_no: int = Field(ge=1, le=100_000)
    quantity: int | None = Field(default=None, gt=0, le=1_000_000, description="pieces returned or cancelled")
    price_reduction: Money | None = Field(
        default=None, gt=0, lt=Decimal("1e9"), decimal_places=2, description="net, per piece, on every piece invoiced"
    )


class CreditNoteBody(BaseModel):
    lines: list[CreditLine] = Field(min_length=1, max_length=500)
    reason: str = Field(min_length=1, max_length=500)


class CreditNoteIssued(BaseModel):
    """Signal to the order: a credit note reduced one of its invoices."""

    invoice_id: str
    credit_note: InvoiceSummary
    credited_total: Money
    actor: str
    reason: str


class DunningPause(BaseModel):
    invoice_id: str
    actor: Actor
    reason: str = ""


class PauseBody(BaseModel):
    reason: str = Field(default="", max_length=500, description="e.g. the customer disputes the invoice")


class DeliveryOutcome(BaseModel):
    """One channel's delivery of an invoice or credit note (invoicing/delivery.py)."""

    channel: str = Field(description="email or webhook")
    status: str = Field(description="sent, failed, skipped (sending: an attempt that has not reported back)")
    recipient: str | None = None
    attempts: int = 0
    message_id: str | None = Field(default=None, description="the Message-ID or webhook-id: the same on every attempt")
    detail: str | None = None
    sent_at: datetime | None = None
    permanent: bool = Field(default=False, description="a failure that trying again cannot mend")


class DeliveryReport(BaseModel):
    """What the delivery activity did for one document."""

    invoice_id: str
    outcomes: list[DeliveryOutcome]


class InvoiceCheck(BaseModel):
    """Activity input: look at an invoice on a day, and take it to a dunning level (0: only mark it
    overdue while it is open; None: only read it)."""

    invoice_id: str
    on: date
    level: int | None = None
    rule: DunningLevel | None = None


class InvoiceState(BaseModel):
    """An invoice as the database has it (payments or credit notes the order may have missed)."""

    settled: bool
    open_amount: Money
    paid_total: Money
    credited_total: Money
    credit_notes: list[InvoiceSummary] = []
