"""The order record: every order, its lines, sub-orders, approvals and timeline in the app database.

Temporal deletes a closed workflow's history after the namespace's retention; what users read
later lives here. The order workflow (and each sub-order workflow) writes its status document at
a revision (orders/record.py): a write with a revision not newer than the stored one changes
nothing, so retried or late writes never duplicate or reorder anything. Rows are only ever added
(lines, approvals, timeline) or overwritten by a newer revision (the header, a sub-order).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from core.database import JSONType, MoneyType, RateType


class OrderRecord(SQLModel, table=True):
    """The order's header: who placed what, its state, totals and what it waits for."""

    __tablename__ = "orderrecord"
    __table_args__ = (
        Index("ix_orderrecord_customer_placed", "customer_id", "placed_at", "order_id"),
        Index("ix_orderrecord_placed", "placed_at", "order_id"),
        Index("ix_orderrecord_status", "status"),
        Index("ix_orderrecord_buyer", "buyer"),
    )

    order_id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=64)
    buyer: str = Field(max_length=254)
    # the request that made it: the same key keeps its one order for good; another body with it is refused
    idempotency_key: str | None = Field(default=None, max_length=200)
    fingerprint: str = Field(max_length=64)
    customer_reference: str | None = Field(default=None, max_length=100, index=True)
    delivery_address: str | None = Field(default=None, max_length=500)
    delivery_contact: str | None = Field(default=None, max_length=200)
    placed_at: datetime
    status: str = Field(max_length=32)
    contract_id: str | None = Field(default=None, max_length=64)
    catalog_version: int | None = None
    currency: str | None = Field(default=None, max_length=3)
    net_total: Decimal | None = Field(default=None, sa_column=Column(MoneyType(), nullable=True))
    vat_total: Decimal | None = Field(default=None, sa_column=Column(MoneyType(), nullable=True))
    gross_total: Decimal | None = Field(default=None, sa_column=Column(MoneyType(), nullable=True))
    paid_total: Decimal = Field(default=Decimal("0.00"), sa_column=Column(MoneyType(), nullable=False))
    rejection_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    requested_lines: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    pending_approval: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    contract_consumption: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    # what keeps failing while the order waits for it to heal (None: nothing)
    attention: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # invoice to cash: what blocks the invoice, the dunning level reached, a pause (OrderView's fields)
    billing: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    # the workflow's input, so an order whose workflow never started can be started again
    placement: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    revision: int = 0  # of the workflow's status document last written; 0: only the request so far
    updated_at: datetime


class OrderLineRecord(SQLModel, table=True):
    """A priced line, as validation accepted it."""

    __tablename__ = "orderline"

    order_id: str = Field(foreign_key="orderrecord.order_id", primary_key=True, max_length=64)
    line_no: int = Field(primary_key=True)
    sku: str = Field(max_length=64)
    name: str = Field(max_length=200)
    quantity: int
    configuration: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    unit_price: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    line_total: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    vat_rate: Decimal = Field(sa_column=Column(RateType(), nullable=False))
    vat_amount: Decimal = Field(sa_column=Column(MoneyType(), nullable=False))
    delivery_unit_id: str = Field(max_length=64)
    expert_review: bool = False
    customer_part_number: str | None = Field(default=None, max_length=64)
    removed: bool = False  # dropped by the expert or cancelled: not delivered, not invoiced


class SubOrderRecord(SQLModel, table=True):
    """One delivery unit's part of an order, as its sub-order workflow last wrote it."""

    __tablename__ = "suborderrecord"
    __table_args__ = (Index("ix_suborderrecord_partner", "partner_id", "sent_at"),)

    suborder_id: str = Field(primary_key=True, max_length=64)
    order_id: str = Field(foreign_key="orderrecord.order_id", index=True, max_length=64)
    partner_id: str = Field(max_length=64)
    status: str = Field(max_length=16, index=True)
    escalated: bool = False
    tracking: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # what the unit needs and sees: the lines to deliver (no customer prices) and where to
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    delivery_address: str | None = Field(default=None, max_length=500)
    delivery_contact: str | None = Field(default=None, max_length=200)
    sent_at: datetime
    updated_at: datetime
    revision: int = 0  # of the sub-order workflow's document; 0: written by its order when sent


class OrderApprovalRecord(SQLModel, table=True):
    """A decision on the order: who, when, what, why."""

    __tablename__ = "orderapproval"

    order_id: str = Field(foreign_key="orderrecord.order_id", primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    kind: str = Field(max_length=32)
    decision: str = Field(max_length=32)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    actor: str = Field(max_length=254)
    at: datetime


class TimelineRecord(SQLModel, table=True):
    """One line of the order's history; `source` is "order" or the sub-order that wrote it."""

    __tablename__ = "ordertimeline"

    order_id: str = Field(foreign_key="orderrecord.order_id", primary_key=True, max_length=64)
    source: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    at: datetime
    actor: str = Field(max_length=254)
    event: str = Field(max_length=64)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
