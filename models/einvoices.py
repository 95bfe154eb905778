"""An EN 16931 invoice or credit note as the document layer writes it (XRechnung CII, ZUGFeRD PDF).

Business terms (BT-n) name the EN 16931 field each attribute fills. Amounts are positive on a
credit note too: its type code 381 says that it credits.
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from models.money import Money


class VatCategory(StrEnum):
    """UNCL5305 VAT category codes (BT-118, BT-151)."""

    S = "S"  # standard rate
    Z = "Z"  # zero rated goods
    E = "E"  # exempt from tax
    AE = "AE"  # reverse charge
    K = "K"  # intra-community supply
    G = "G"  # export outside the EU
    O = "O"  # noqa: E741 - the code's own letter: services outside the scope of tax


class Party(BaseModel):
    name: str
    street: str
    postal_code: str
    city: str
    country: str = Field(min_length=2, max_length=2)  # ISO 3166-1 alpha-2
    vat_id: str | None = None
    tax_number: str | None = None  # the seller's German Steuernummer (BT-32)
    legal_registration: str | None = None  # commercial register entry (BT-30)
    email: str | None = None  # electronic address (BT-34/BT-49, scheme EM)
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None


class PaymentAccount(BaseModel):
    """Where a SEPA credit transfer goes (payment means 58)."""

    iban: str
    bic: str | None = None
    account_name: str | None = None


class DocumentLine(BaseModel):
    line_id: str
    sku: str
    name: str
    quantity: Decimal
    unit_code: str = "C62"  # UN/ECE rec. 20: one (piece)
    unit_price: Decimal  # net
    net_amount: Money
    vat_category: VatCategory
    vat_rate: Decimal  # a fraction: 0.19 is 19 %
    exemption_reason: str | None = None
    buyer_item_id: str | None = None  # the customer's part number (BT-156)
    order_line_id: str | None = None  # the line of the customer's order (BT-132)


class InvoiceDocument(BaseModel):
    document_type: Literal["380", "381"] = "380"  # invoice | credit note
    number: str
    issue_date: date
    currency: str = "EUR"
    seller: Party
    buyer: Party
    buyer_reference: str | None = None  # BT-10; a Leitweg-ID makes it an XRechnung
    order_reference: str | None = None  # BT-13, the customer's order reference
    preceding_invoice_number: str | None = None  # BT-25, required for a credit note
    preceding_invoice_date: date | None = None  # BT-26
    delivery_date: date | None = None  # BT-72
    delivery_period_start: date | None = None  # BT-73
    delivery_period_end: date | None = None  # BT-74
    due_date: date | None = None
    payment_terms: str = ""
    discount_days: int | None = None  # cash discount (Skonto) within these days ...
    discount_percent: Decimal | None = None  # ... of this percentage (2.00 is 2 %)
    payment_account: PaymentAccount | None = None
    lines: list[DocumentLine]
    notes: list[str] = []
    paid_amount: Money = Decimal("0.00")  # BT-113
    order_id: str | None = None  # ours: printed on the PDF only

    @property
    def is_xrechnung(self) -> bool:
        return bool(self.buyer_reference)


class VatBreakdownLine(BaseModel):
    """One VAT breakdown group (BG-23): the lines of one category and rate."""

    category: VatCategory
    rate: Decimal
    taxable_amount: Money
    tax_amount: Money
    exemption_reason: str | None = None


class DocumentTotals(BaseModel):
    """Document totals (BG-22)."""

    line_total: Money  # BT-106
    tax_basis_total: Money  # BT-109
    tax_total: Money  # BT-110
    grand_total: Money  # BT-112
    paid_amount: Money  # BT-113
    due_payable: Money  # BT-115


class Finding(BaseModel):
    """One failed rule of a document check (schema or schematron)."""

    rule_id: str
    level: Literal["error", "warning"]
    location: str
    text: str
