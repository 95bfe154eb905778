"""What an accepted order books against limits: the quantities and value caps of its framework
contract, and the buyer's monthly spend. A rejected or cancelled order gives both back. Kept
apart from the order so the booking rules (and their undo) read in one place."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import ContractActivities
    from activities.spending import SpendActivities
    from models.approvals import ApprovalKind
    from models.contracts import ConsumptionLine, ConsumptionRequest, ConsumptionResult, ReleaseRequest
    from models.spend import SpendRecord, SpendRelease
    from workflows import options
    from workflows.order_context import OrderContext


class Bookings:
    def __init__(self, order: OrderContext) -> None:
        self.order = order
        self.consumption: ConsumptionResult | None = None  # what the order took from its contract
        self.spend_recorded = False  # counted towards the buyer's monthly limit

    async def consume_contract(self) -> bool:
        """Consumes the contract's agreed quantities and value caps. Beyond what remains, the
        contract's `on_exceed` decides: reject, or ask the seller's expert (approve = consume anyway).
        False: the order was rejected (and is finished)."""
        v = self.order.validated
        assert v is not None
        if not v.contract_id:  # priced without a framework contract: nothing to consume
            return True
        lines = [ConsumptionLine(sku=line.sku, quantity=line.quantity, value=line.line_total) for line in v.lines]
        request = ConsumptionRequest(contract_id=v.contract_id, order_id=self.order.placement.order_id, lines=lines)
        result = await workflow.execute_activity_method(ContractActivities.consume_contract, request, **options.DB)
        if not result.accepted:
            reason = f"beyond the framework contract {v.contract_id}: {result.reason}"
            if result.on_exceed != "expert":
                self.order.reject("system", "order.rejected", f"Order not possible: {reason}")
                return False
            if not await self.order.approval_granted(ApprovalKind.CONTRACT, reason):
                return False
            result = await workflow.execute_activity_method(
                ContractActivities.consume_contract, request.model_copy(update={"force": True}), **options.DB
            )
        self.consumption = result
        taken = ", ".join(f"{line.quantity} x {line.sku}" for line in result.lines) or "no contracted item"
        beyond = " (beyond the agreement, approved by the expert)" if result.forced else ""
        self.order.record("system", "contract.consumed", f"contract {v.contract_id}: {taken}{beyond}")
        return True

    async def record_spend(self) -> None:
        """Counts the order's net total towards the buyer's limit for the month it was placed in."""
        order, v = self.order, self.order.validated
        assert v is not None
        await workflow.execute_activity_method(
            SpendActivities.record_spend,
            SpendRecord(
                user=order.placement.buyer.id,
                order_id=order.placement.order_id,
                month=order.placed_at.strftime("%Y-%m"),
                net=v.net_total,
                currency=v.currency,
            ),
            **options.DB,
        )
        self.spend_recorded = True

    async def give_back(self) -> None:
        """For a rejected or cancelled order: releases the contract consumption, then the spend."""
        if self.consumption is not None:
            await self._release_contract()
        if self.spend_recorded:
            await workflow.execute_activity_method(
                SpendActivities.release_spend,
                SpendRelease(user=self.order.placement.buyer.id, order_id=self.order.placement.order_id),
                **options.DB,
            )

    async def _release_contract(self) -> None:
        assert self.consumption is not None
        order_id = self.order.placement.order_id
        released = await workflow.execute_activity_method(
            ContractActivities.release_contract, ReleaseRequest(order_id=order_id), **options.DB
        )
        # shown on the status document (`contract_consumption.released`), not as a timeline entry:
        # the timeline of a closed order ends with what closed it
        self.consumption = self.consumption.model_copy(update={"released": True})
        workflow.logger.info("order %s released %d contract consumption row(s)", order_id, released.released_rows)
