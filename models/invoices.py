"""Invoices and payments."""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from models.actors import Actor
from models.money import Money


class InvoiceLineIn(BaseModel):
    line_no: int
    sku: str
    name: str
    quantity: int
    unit_price: Money
    vat_rate: Decimal


class InvoiceRequest(BaseModel):
    """Activity input; (seller_id, order_id) makes issuing idempotent."""

    seller_id: str
    order_id: str
    customer_id: str
    currency: str
    payment_terms_days: int
    issue_date: date
    lines: list[InvoiceLineIn]


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


class Invoice(InvoiceSummary):
    order_id: str
    customer_id: str
    seller_id: str
    payment_terms: str
    lines: list[InvoiceLine]
    paid_total: Money = Decimal("0.00")
    payments: list["PaymentRecord"] = []


class PaymentIn(BaseModel):
    invoice_id: str
    amount: Money = Field(gt=0)
    reference: str = Field(min_length=1, max_length=200)
    actor: Actor


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


Invoice.model_rebuild()


class PaymentBody(BaseModel):
    amount: Money = Field(gt=0, lt=Decimal("1e12"), decimal_places=2)  # what the money columns hold
    reference: str = Field(min_length=1, max_length=200, description="bank reference; one payment per reference")
