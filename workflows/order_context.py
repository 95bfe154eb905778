"""What a phase of the order (bookings, approvals, fulfilment, billing) may use of its order.

OrderWorkflow implements it; the phases hold it instead of the workflow class, so each phase
depends on this contract only, and one phase reaches another through the order (asking for an
approval, handing over an expert's intervention), never directly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.approvals import ApprovalDecision, ApprovalKind, PendingApproval, SubOrderDecision
    from models.orders import CancelRequest, OrderPlacement, OrderStatus, PricedLine, ValidatedOrder


class OrderContext(Protocol):
    placement: OrderPlacement
    placed_at: datetime
    status: OrderStatus
    validated: ValidatedOrder | None
    cancel_request: CancelRequest | None
    rejection_reason: str | None
    v2: bool  # started since the system of record (workflows/order.py)
    lean: bool  # started with the lean course (core/temporal_names.py ENGINE_LEAN)

    # --- the order's state and timeline
    def set_status(self, status: OrderStatus) -> bool: ...
    def finish(self, status: OrderStatus, actor: str, event: str, detail: str) -> None: ...
    def reject(self, actor: str, event: str, reason: str) -> None: ...
    def record(self, actor: str, event: str, detail: str = "") -> None: ...
    def cancelled(self) -> bool: ...
    def closing(self) -> bool: ...
    def changed(self) -> None: ...
    def attention_raised(self, what: str, why: str) -> None: ...
    def attention_cleared(self, what: str) -> None: ...
    async def notify_role(self, role: str, customer_id: str | None, key: str, subject: str, body: str = "") -> None: ...

    # --- one phase asking another, through the order
    async def approval_granted(self, kind: ApprovalKind, reason: str | None = None) -> bool: ...
    async def await_decision(
        self, status: OrderStatus, pending: PendingApproval
    ) -> ApprovalDecision | SubOrderDecision | None: ...
    def queue_intervention(self, decision: SubOrderDecision) -> None: ...
    def why_not_intervene(self, decision: SubOrderDecision) -> str | None: ...
    def delivered_parts(self) -> dict[str, list[PricedLine]]: ...  # per delivered sub-order, its lines
