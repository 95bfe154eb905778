"""Cash application rules: which invoices a bank entry pays, and how much of it each one takes.

Pure: the service loads the invoices an entry names and books what `allocate` decides. What
settles an invoice on a day (cash discount included) is invoicing/terms.py's `amount_due`.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import get_args

from invoicing.terms import amount_due
from models.bank_statements import Outcome

ZERO = Decimal("0.00")
CREDIT_NOTE = "381"
MATCHED: Outcome = "matched"  # booked in full, every invoice it names settled
PARTIAL: Outcome = "partial"  # booked in full, an invoice stays open
OVERPAID: Outcome = "overpaid"  # the invoices settled, the excess left unmatched
UNMATCHED: Outcome = "unmatched"  # no invoice took any of it
SKIPPED: Outcome = "skipped"  # no payment: a debit, a reversal, not booked yet
DUPLICATE: Outcome = "duplicate"  # imported before: nothing booked again
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

# our invoice numbers ("2026-000123"), also inside "INV-seller-2026-000123" or "RE 2026-000123",
# never a part of a longer run of digits (an IBAN, a date like 2026-01-150)
_NUMBER = re.compile(r"(?<![0-9])([0-9]{4}-[0-9]{6,9})(?![0-9])")


@dataclass(frozen=True)
class InvoiceState:
    """An invoice as cash application sees it."""

    invoice_id: str
    number: str
    currency: str
    document_type: str
    gross: Decimal
    credited: Decimal
    paid: Decimal
    discount_percent: Decimal | None
    discount_until: date | None

    def due_on(self, day: date) -> Decimal:
        return amount_due(
            gross=self.gross,
            credited=self.credited,
            paid=self.paid,
            discount_percent=self.discount_percent,
            discount_until=self.discount_until,
            on=day,
        )


@dataclass(frozen=True)
class Booking:
    invoice_id: str
    number: str
    amount: Decimal


@dataclass(frozen=True)
class Allocation:
    bookings: tuple[Booking, ...]
    unmatched: Decimal
    outcome: Outcome
    notes: tuple[str, ...]


def invoice_numbers(remittance: Iterable[str]) -> list[str]:
    """The invoice numbers the remittance names, each once, in the order named."""
    found: list[str] = []
    for line in remittance:
        for number in _NUMBER.findall(line):
            if number not in found:
                found.append(number)
    return found


def allocate(
    amount: Decimal,
    currency: str,
    day: date,
    remittance: Sequence[str],
    invoices: Mapping[str, Sequence[InvoiceState]],
) -> Allocation:
    """Splits a payment over the invoices its remittance names, in the order named, each up to
    what settles it on `day`; the rest stays unmatched for finance. `invoices`: the invoices with
    each named number (more than one when several sellers use the number)."""
    text = " ".join(remittance).upper()
    rest, bookings, notes, open_after = amount, [], [], False
    for number in invoice_numbers(remittance):
        invoice, why_not = _target(number, currency, invoices.get(number, ()), text)
        if invoice is None:
            notes.append(why_not)
            continue
        due = invoice.due_on(day)
        if due <= ZERO:
            notes.append(f"invoice {number} is paid")
            continue
        if rest <= ZERO:  # named, but the money went to the invoices named before it
            notes.append(f"nothing left for invoice {number}")
            open_after = True
            continue
        take = min(rest, due)
        bookings.append(Booking(invoice.invoice_id, invoice.number, take))
        rest -= take
        open_after = open_after or take < due
    if not bookings:
        if not notes:
            notes.append("names no invoice number")
        return Allocation((), amount, UNMATCHED, tuple(notes))
    if rest > ZERO:
        notes.append(f"over-payment of invoice {', '.join(b.number for b in bookings)}: {rest:.2f} {currency}")
        outcome = OVERPAID
    else:
        outcome = PARTIAL if open_after else MATCHED
    return Allocation(tuple(bookings), rest, outcome, tuple(notes))


def _target(
    number: str, currency: str, candidates: Sequence[InvoiceState], text: str
) -> tuple[InvoiceState | None, str]:
    """The invoice a number names, or why none is a payment target."""
    if not candidates:
        return None, f"{number} is no invoice of ours"
    candidates = [c for c in candidates if c.document_type != CREDIT_NOTE] or list(candidates)
    if len(candidates) > 1:  # several sellers' number: the full id must say whose
        candidates = [c for c in candidates if c.invoice_id.upper() in text]
        if len(candidates) != 1:
            return None, f"{number} is the number of several sellers' invoices: the remittance names no one of them"
    invoice = candidates[0]
    if invoice.document_type == CREDIT_NOTE:
        return None, f"{number} is a credit note, not a payment target"
    if invoice.currency != currency:
        return None, f"invoice {number} is in {invoice.currency}, the payment in {currency}"
    return invoice, ""
