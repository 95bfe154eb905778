"""Money arithmetic: Decimal only, commercial rounding to the cent, VAT per line."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BaseModel, PlainSerializer

CENT = Decimal("0.01")

# Decimal in Python, a string in JSON ("1450.00"): never a float on the wire.
Money = Annotated[Decimal, PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json")]


def round_money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class Amounts(BaseModel):
    net: Money
    vat: Money
    gross: Money


def line_amounts(quantity: int, unit_price: Decimal, vat_rate: Decimal) -> Amounts:
    """VAT is computed and rounded per line; totals are sums of the rounded line amounts."""
    net = round_money(unit_price * quantity)
    vat = round_money(net * vat_rate)
    return Amounts(net=net, vat=vat, gross=net + vat)


def total(amounts: list[Amounts]) -> Amounts:
    zero = Decimal("0.00")
    return Amounts(
        net=sum((a.net for a in amounts), zero),
        vat=sum((a.vat for a in amounts), zero),
        gross=sum((a.gross for a in amounts), zero),
    )
