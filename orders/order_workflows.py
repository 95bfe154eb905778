"""The order workflows as the order service sees them: start one, ask it, tell it. api/gateway.py
implements this over Temporal; the service never imports Temporal."""

from typing import Protocol

from models.approvals import ApprovalDecision, SubOrderDecision
from models.invoices import PaymentIn, PaymentResult
from models.orders import CancelRequest, OrderPlacement, OrderStatus, OrderView


class OrderWorkflows(Protocol):
    async def place_order(self, placement: OrderPlacement, fingerprint: str) -> tuple[str, OrderStatus]: ...
    async def order(self, order_id: str) -> OrderView: ...
    async def running(self, order_id: str) -> bool: ...  # False: closed, or gone after the retention
    # `update_id`: the client's Idempotency-Key; the same one again gets the first answer
    async def decide(self, order_id: str, decision: ApprovalDecision, update_id: str | None = None) -> OrderView: ...
    async def decide_suborder(
        self, order_id: str, decision: SubOrderDecision, update_id: str | None = None
    ) -> OrderView: ...
    async def cancel(self, order_id: str, request: CancelRequest, update_id: str | None = None) -> OrderView: ...
    async def record_payment(
        self, order_id: str, payment: PaymentIn, update_id: str | None = None
    ) -> PaymentResult: ...
