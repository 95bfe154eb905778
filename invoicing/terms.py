"""Payment terms: when an invoice is due, the cash discount window, and what settles it.

The one place that says how much a customer owes on a day: the gross total less credit notes,
less the cash discount while the window is open, less what was paid. The order's workflow, bank
statement matching, finance's views and the pages all ask here.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from models.money import round_money

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PaymentTerms:
    days: int  # net
    discount_days: int | None = None
    discount_percent: Decimal | None = None

    @property
    def has_discount(self) -> bool:
        return bool(self.discount_days and self.discount_percent)

    def due_date(self, issued: date) -> date:
        return issued + timedelta(days=self.days)

    def discount_until(self, issued: date) -> date | None:
        return issued + timedelta(days=self.discount_days) if self.has_discount and self.discount_days else None

    def text(self) -> str:
        net = "due on receipt" if self.days == 0 else f"{self.days} days net"
        if self.has_discount:
            return f"{self.discount_days} days {self.discount_percent:.2f} % discount, {net}"
        return net


def discount_amount(gross: Decimal, credited: Decimal, percent: Decimal | None) -> Decimal:
    """The cash discount on what is owed after credit notes."""
    if not percent:
        return ZERO
    return round_money((gross - credited) * percent / Decimal(100))


def amount_due(
    *,
    gross: Decimal,
    credited: Decimal,
    paid: Decimal,
    discount_percent: Decimal | None,
    discount_until: date | None,
    on: date,
) -> Decimal:
    """What still settles the invoice when paid on `on` (never below zero)."""
    owed = gross - credited
    if discount_until is not None and on <= discount_until:
        owed -= discount_amount(gross, credited, discount_percent)
    return max(owed - paid, ZERO)


def overpaid(*, gross: Decimal, credited: Decimal, paid: Decimal) -> Decimal:
    """What was paid beyond the invoice (after credit notes): finance pays it back or assigns it."""
    return max(paid - (gross - credited), ZERO)
