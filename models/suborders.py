"""Sub-orders: the part of an order one delivery unit fulfils, and the events it reports."""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from models.actors import Actor
from models.timeline import TimelineEntry


class SubOrderStatus(StrEnum):
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


CLOSED_SUBORDER = frozenset({SubOrderStatus.DELIVERED, SubOrderStatus.REJECTED, SubOrderStatus.CANCELLED})

EventType = Literal["suborder.accepted", "suborder.shipped", "suborder.delivered", "suborder.rejected"]

# Which event moves a sub-order from which status to which.
TRANSITIONS: dict[str, tuple[frozenset[SubOrderStatus], SubOrderStatus]] = {
    "suborder.accepted": (frozenset({SubOrderStatus.SENT}), SubOrderStatus.ACCEPTED),
    "suborder.rejected": (frozenset({SubOrderStatus.SENT, SubOrderStatus.ACCEPTED}), SubOrderStatus.REJECTED),
    "suborder.shipped": (frozenset({SubOrderStatus.ACCEPTED}), SubOrderStatus.SHIPPED),
    "suborder.delivered": (frozenset({SubOrderStatus.ACCEPTED, SubOrderStatus.SHIPPED}), SubOrderStatus.DELIVERED),
}


class SubOrderLine(BaseModel):
    """A line as its delivery unit sees it: what to deliver, not what the customer pays for it."""

    line_no: int
    sku: str
    name: str
    quantity: int
    configuration: dict[str, str] = {}


class SubOrderStart(BaseModel):
    """Child workflow input."""

    suborder_id: str
    order_id: str
    partner_id: str
    customer_id: str
    lines: list[SubOrderLine]
    delivery_address: str | None = None
    delivery_contact: str | None = None
    accept_timeout: timedelta
    ship_timeout: timedelta
    deliver_timeout: timedelta
    attention_after: timedelta = timedelta(minutes=2)  # the order's (models/policy.py)
    engine: int = 0  # the course the workflow takes (core/temporal_names.py); 0: started before it existed


class PartnerEvent(BaseModel):
    """A delivery unit's progress report, from its signed webhook or from the partner portal."""

    type: EventType
    suborder_id: str
    event_id: str = Field(description="webhook-id, or a generated id for portal actions")
    data: dict[str, Any] = Field(default_factory=dict)
    actor: Actor


class SubOrderView(BaseModel):
    suborder_id: str
    order_id: str
    partner_id: str
    status: SubOrderStatus
    lines: list[SubOrderLine]
    escalated: bool = False
    tracking: str | None = None
    reason: str | None = None
    delivery_address: str | None = None  # where the unit delivers
    delivery_contact: str | None = None
    sent_at: datetime | None = None
    updated_at: datetime | None = None
    timeline: list[TimelineEntry] = []
    attention: str | None = None  # what keeps failing (telling the unit, saving the record); None: nothing


class SubOrderCancel(BaseModel):
    reason: str
    actor: Actor


class SubOrderChanged(BaseModel):
    """Signal from a sub-order to its order: the new state and the timeline entry that caused it."""

    view: SubOrderView
    entry: TimelineEntry


# --- what the API takes and gives for sub-orders ----------------------------------------------


class SubOrderSummary(BaseModel):
    suborder_id: str
    order_id: str | None
    partner_id: str | None
    status: SubOrderStatus | None
    lines: list[SubOrderLine]
    sent_at: datetime | None = None
    delivery_address: str | None = None
    delivery_contact: str | None = None  # who takes the delivery (the buyer when the order names nobody)


class PortalEvent(BaseModel):
    type: EventType
    data: dict[str, Any] = Field(default_factory=dict, description="tracking (shipped), reason (rejected), note")
