"""What an accepted order books against limits: the quantities and value caps of its framework
contract, and the buyer's monthly spend. A rejected or cancelled order gives both back; an order
that delivers less than it ordered (dropped lines, a partial cancel) gives back the rest. Kept
apart from the order so the booking rules (and their undo) read in one place.

Orders of new code (`order.v2`) are validated and booked in one transaction (`accept`), so racing
orders cannot beat a limit; their bookkeeping runs as local activities that heal.
"""

from __future__ import annotations

from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from activities.contracts import ContractActivities
    from activities.orders import OrderActivities
    from activities.spending import SpendActivities
    from core import temporal_names as names
    from models.approvals import ApprovalKind
    from models.contracts import ConsumptionLine, ConsumptionRequest, ConsumptionResult, ReleaseRequest
    from models.orders import Acceptance, PricedLine, ValidationRequest
    from models.spend import BookingTarget, SpendRecord, SpendRelease
    from workflows import options
    from workflows.healing import business_failure, until_done
    from workflows.order_context import OrderContext


class Bookings:
    def __init__(self, order: OrderContext) -> None:
        self.order = order
        self.consumption: ConsumptionResult | None = None  # what the order took from its contract
        self.spend_recorded = False  # counted towards the buyer's monthly limit
        self.month: str | None = None  # the buyer's month it counts towards (orders of new code)
        self.pending_consumption: ConsumptionResult | None = None  # as accepted, before the expert's word

    # --- orders of new code -----------------------------------------------------------------------

    async def accept(self) -> bool:
        """Validates the order and books it in one transaction. Beyond the contract, the contract's
        `on_exceed` decides: reject (nothing booked), or ask the seller's expert (`confirm_contract`).
        False: the order was rejected (and is finished)."""
        order = self.order
        request = ValidationRequest(placement=order.placement, as_of=workflow.now().date())
        try:
            accepted: Acceptance = await self._local("accepting the order", OrderActivities.accept_order, request)
        except FailureError as err:
            refusal = business_failure(err)
            if refusal is None or refusal.type != names.ORDER_REJECTED:
                raise
            order.reject("system", "order.rejected", refusal.message)
            return False
        v = order.validated = accepted.validated
        self.spend_recorded, self.month = True, accepted.month
        order.record(
            "system",
            "order.validated",
            f"contract {v.contract_id}, net {v.net_total} {v.currency}, gross {v.gross_total} {v.currency}",
        )
        self.pending_consumption = accepted.consumption
        return True

    async def confirm_contract(self) -> bool:
        """An accepted order beyond its contract (whose `on_exceed` asks the expert): consumes it
        once the expert approves. False: the order was rejected or cancelled (and is finished)."""
        order, v, result = self.order, self.order.validated, self.pending_consumption
        assert v is not None
        if result is None:  # priced without a framework contract: nothing to consume
            return True
        if not result.accepted:  # beyond the contract, and the contract asks the expert
            reason = f"beyond the framework contract {v.contract_id}: {result.reason}"
            if not await order.approval_granted(ApprovalKind.CONTRACT, reason):
                return False
            forced = ConsumptionRequest(
                contract_id=v.contract_id, order_id=order.placement.order_id, lines=result.lines, force=True
            )
            result = await self._local("booking the contract", ContractActivities.consume_contract, forced)
        self._consumed(result)
        return True

    async def keep_only(self, delivered: list[PricedLine]) -> None:
        """Gives back what the lines not delivered booked (contract consumption, monthly spend)."""
        await self._book(delivered)
        if self.consumption is not None:
            kept = {line.sku for line in delivered}
            self.consumption = self.consumption.model_copy(
                update={"lines": [line for line in self.consumption.lines if line.sku in kept]}
            )
            self.order.changed()

    async def _book(self, lines: list[PricedLine]) -> None:
        """Books exactly `lines` (none: gives everything back)."""
        order, v = self.order, self.order.validated
        assert v is not None and self.month is not None
        target = BookingTarget(
            order_id=order.placement.order_id,
            user=order.placement.buyer.id,
            month=self.month,
            currency=v.currency,
            # only contracted items consume: the ledger has rows for those alone
            lines=[ConsumptionLine(sku=line.sku, quantity=line.quantity, value=line.line_total) for line in lines],
            net=sum((line.line_total for line in lines), Decimal("0.00")),
        )
        await self._local("booking what the order delivers", OrderActivities.keep_bookings, target)

    async def _local(self, what: str, activity, arg):
        return await until_done(
            self.order,
            what,
            self.order.placement.policy.attention_after,
            lambda opts: workflow.execute_local_activity_method(activity, arg, **opts),
            options.LOCAL,
        )

    def _consumed(self, result: ConsumptionResult) -> None:
        self.consumption = result
        taken = ", ".join(f"{line.quantity} x {line.sku}" for line in result.lines) or "no contracted item"
        beyond = " (beyond the agreement, approved by the expert)" if result.forced else ""
        self.order.record("system", "contract.consumed", f"contract {result.contract_id}: {taken}{beyond}")

    # --- v1: orders started before the system of record -------------------------------------------

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
        self._consumed(result)
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

    # --- both ---------------------------------------------------------------------------------------

    async def give_back(self) -> None:
        """For a rejected or cancelled order: releases the contract consumption, then the spend."""
        if self.order.v2:
            if self.consumption is not None or self.spend_recorded:
                await self._book([])
                self._released()
            return
        if self.consumption is not None:
            await self._release_contract()
        if self.spend_recorded:
            await workflow.execute_activity_method(
                SpendActivities.release_spend,
                SpendRelease(user=self.order.placement.buyer.id, order_id=self.order.placement.order_id),
                **options.DB,
            )

    def _released(self) -> None:
        # shown on the status document (`contract_consumption.released`), not as a timeline entry:
        # the timeline of a closed order ends with what closed it
        if self.consumption is not None:
            self.consumption = self.consumption.model_copy(update={"released": True})
        self.spend_recorded = False
        self.order.changed()

    async def _release_contract(self) -> None:
        assert self.consumption is not None
        order_id = self.order.placement.order_id
        released = await workflow.execute_activity_method(
            ContractActivities.release_contract, ReleaseRequest(order_id=order_id), **options.DB
        )
        self.consumption = self.consumption.model_copy(update={"released": True})
        workflow.logger.info("order %s released %d contract consumption row(s)", order_id, released.released_rows)
