"""Credit notes (UNTDID 1001 type 381): what one gives back on an invoice.

A line of a credit note returns or cancels pieces of an invoice line (`quantity` at the invoiced
price), or lowers the price of the pieces invoiced (`price_reduction`, net per piece), or both
(`quantity` pieces at `price_reduction`). Together, all credit notes on a line never give back
more than the line's net amount. A credit note repeats its invoice's VAT treatment (category,
rate, exemption reason), so it is taxed as the invoice was.
"""

from datetime import date
from decimal import Decimal

from models.invoices import CreditNoteBody, Invoice, InvoiceLine, InvoiceLineIn, InvoiceRequest
from models.money import round_money


class CreditRefused(ValueError):
    def __init__(self, message: str, field: str = "lines"):
        super().__init__(message)
        self.field = field


def credit_request(
    invoice: Invoice, earlier: list[Invoice], body: CreditNoteBody, issue_date: date, key: str
) -> InvoiceRequest:
    """The credit note's request, checked against the invoice and the credit notes before it."""
    if invoice.document_type != "380":
        raise CreditRefused(f"{invoice.number} is a credit note: credit its invoice", field="invoice_id")
    lines = {line.line_no: line for line in invoice.lines}
    credited = _credited_per_line(earlier)
    out: list[InvoiceLineIn] = []
    seen: set[int] = set()
    for at, wanted in enumerate(body.lines):
        line = lines.get(wanted.line_no)
        if line is None:
            raise CreditRefused(f"invoice {invoice.number} has no line {wanted.line_no}", field=f"lines.{at}.line_no")
        if wanted.line_no in seen:
            raise CreditRefused(f"line {wanted.line_no} is named twice", field=f"lines.{at}.line_no")
        seen.add(wanted.line_no)
        if wanted.quantity is None and wanted.price_reduction is None:
            raise CreditRefused("give the pieces returned (quantity), a price_reduction, or both", f"lines.{at}")
        quantity = wanted.quantity if wanted.quantity is not None else line.quantity
        price = wanted.price_reduction if wanted.price_reduction is not None else line.unit_price
        if quantity > line.quantity:
            raise CreditRefused(
                f"line {line.line_no} invoiced {line.quantity} piece(s), not {quantity}", f"lines.{at}.quantity"
            )
        if price > line.unit_price:
            raise CreditRefused(
                f"line {line.line_no} was invoiced at {line.unit_price}: the reduction cannot exceed it",
                f"lines.{at}.price_reduction",
            )
        net = round_money(price * quantity)
        left = line.net_amount - credited.get(line.line_no, Decimal("0.00"))
        if net > left:
            raise CreditRefused(
                f"line {line.line_no}: {net} would credit more than the {left} not yet credited", f"lines.{at}"
            )
        out.append(_line(line, quantity, price))
    return InvoiceRequest(
        seller_id=invoice.seller_id,
        order_id=invoice.order_id,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        payment_terms_days=0,
        issue_date=issue_date,
        lines=out,
        issue_key=key,
        document_type="381",
        preceding_invoice_id=invoice.invoice_id,
        reason=body.reason,
    )


def _line(line: InvoiceLine, quantity: int, price: Decimal) -> InvoiceLineIn:
    return InvoiceLineIn(
        line_no=line.line_no,
        sku=line.sku,
        name=line.name,
        quantity=quantity,
        unit_price=price,
        vat_rate=line.vat_rate,
        customer_part_number=line.customer_part_number,
        vat_category=line.vat_category or "S",
        exemption_reason=line.exemption_reason,
    )


def _credited_per_line(notes: list[Invoice]) -> dict[int, Decimal]:
    credited: dict[int, Decimal] = {}
    for note in notes:
        for line in note.lines:
            credited[line.line_no] = credited.get(line.line_no, Decimal("0.00")) + line.net_amount
    return credited
