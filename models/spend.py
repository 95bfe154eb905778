"""The monthly spend of a buyer (contracts/limits.py): what the order workflow reports."""

from pydantic import BaseModel

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
