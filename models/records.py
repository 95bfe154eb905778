"""What the workflows write to the order record (orders/record.py): their status document at a
revision. The revision only grows within a workflow, so the record keeps the newest document
whatever order writes arrive in."""

from pydantic import BaseModel

from models.orders import OrderView
from models.suborders import SubOrderView


class OrderSnapshot(BaseModel):
    revision: int
    view: OrderView  # its timeline: the order's own entries (each sub-order writes its own)


class SubOrderSnapshot(BaseModel):
    revision: int
    view: SubOrderView  # with its timeline
