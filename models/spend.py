"""The monthly spend of a buyer (contracts/limits.py): what the order workflow reports."""

from pydantic import BaseModel

from models.contracts import ConsumptionLine
from models.money import Money


class SpendRecord(BaseModel):
    """An accepted order's net value, counted towards its buyer's month ("2026-11")."""

    user: str
    order_id: str
    month: str
    net: Money
    currency: str = "EUR"


class SpendRelease(BaseModel):
    """A cancelled or rejected order, taken out of its buyer's month."""

    user: str
    order_id: str


class BookingTarget(BaseModel):
    """What an order still books once some of it will not be delivered (dropped lines, a partial
    cancel): its contract consumption and its buyer's month are set to `lines` and `net`. No lines:
    everything is given back. A target, so a retry or a repeat books nothing twice."""

    order_id: str
    user: str
    month: str
    currency: str
    lines: list[ConsumptionLine]  # of the lines still delivered (contracted items consume)
    net: Money
