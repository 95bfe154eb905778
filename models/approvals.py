"""Human decisions an order waits for."""

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from models.actors import Actor


class ApprovalKind(StrEnum):
    CUSTOMER = "customer"  # the buyer's order limit was exceeded: an approver of the customer
    EXPERT = "expert"  # an item needs the seller's expert review
    SUBORDER_REJECTED = "suborder_rejected"  # a delivery unit refused: the expert decides
    CONTRACT = "contract"  # beyond the contract's agreed quantity or value: the expert decides


class PendingApproval(BaseModel):
    """Who the order waits for. `role` with `customer_id` (customer approvals) names the people."""

    kind: ApprovalKind
    role: Literal["approver", "expert"]
    customer_id: str | None = None
    approver_customer_ids: list[str] = []
    reason: str
    since: datetime
    suborder_id: str | None = None
    options: list[str] = []  # decisions the approver may take beyond approve/reject


class ApprovalDecision(BaseModel):
    decision: Literal["approve", "reject"]
    comment: str = Field(default="", max_length=2000)
    actor: Actor


class ApprovalRecord(BaseModel):
    kind: ApprovalKind
    decision: str
    comment: str
    actor: str
    at: datetime


class SubOrderDecision(BaseModel):
    """The expert's decision on a rejected sub-order, or on an escalated one that is stuck at its
    unit (that one is withdrawn from the unit first): a real way forward, not a dead end."""

    action: Literal["resend", "reassign", "drop", "cancel_order"]
    suborder_id: str | None = None
    partner_id: str | None = None  # the delivery unit to reassign to
    comment: str = Field(default="", max_length=2000)
    actor: Actor
