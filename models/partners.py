from typing import Literal

from pydantic import BaseModel

from models.suborders import SubOrderView


class UnitMessage(BaseModel):
    """What we tell a delivery unit about one of its sub-orders. `key` is the webhook-id the unit
    sees, the same on every retry, so the unit can drop duplicates."""

    key: str
    type: Literal["suborder.created", "suborder.cancelled"]
    suborder: SubOrderView
    # > 0: the sub-order's document at this revision goes into the order record first
    revision: int = 0
