"""One call-off order from receipt to payment.

RECEIVED -> VALIDATING -> [AWAITING_CUSTOMER_APPROVAL] -> [AWAITING_EXPERT_APPROVAL]
         -> IN_FULFILLMENT (one SubOrder child per delivery unit) -> INVOICED -> [OVERDUE] -> PAID
and REJECTED / CANCELLED on the way. People act through updates (validated, so a wrong caller
gets a clear refusal without touching history); the status document is a query.

This class holds the order's course and its message handlers; each phase's state and rules live
in a plain helper it owns: bookings.py (contract consumption, monthly spend), approval.py (the
waits for a decision and who may decide), fulfilment.py (the sub-orders), billing.py (invoice,
payment, dunning).
"""

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.notifications import NotificationActivities
    from activities.validation import ValidationActivities
    from core import temporal_names as names
    from models.approvals import ApprovalDecision, ApprovalKind, PendingApproval, SubOrderDecision
    from models.invoices import PaymentIn, PaymentResult
    from models.notifications import Notification
    from models.orders import (
        FINAL_STATUSES,
        CancelRequest,
        OrderPlacement,
        OrderStatus,
        OrderView,
        ValidatedOrder,
        ValidationRequest,
    )
    from models.suborders import SubOrderChanged
    from models.timeline import TimelineEntry
    from workflows import options
    from workflows.approval import Approvals
    from workflows.billing import Billing
    from workflows.bookings import Bookings
    from workflows.fulfilment import Fulfilment


@workflow.defn(name=names.ORDER_WORKFLOW)
class OrderWorkflow:
    @workflow.init
    def __init__(self, placement: OrderPlacement) -> None:
        self.placement = placement
        self.placed_at = workflow.now()
        self.status = OrderStatus.RECEIVED
        self.validated: ValidatedOrder | None = None
        self.cancel_request: CancelRequest | None = None
        self.rejection_reason: str | None = None
        self.timeline: list[TimelineEntry] = []
        self.bookings = Bookings(self)
        self.approvals = Approvals(self)
        self.fulfilment = Fulfilment(self)
        self.billing = Billing(self)
        self.record(placement.buyer.id, "order.received", f"{len(placement.lines)} line(s)")

    # --- the process ----------------------------------------------------------------------------

    @workflow.run
    async def run(self, placement: OrderPlacement) -> OrderView:
        await self._process()
        if self.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
            await self.bookings.give_back()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _process(self) -> None:
        self.set_status(OrderStatus.VALIDATING)
        if not await self._validate() or self.cancelled():
            return
        assert self.validated is not None
        # an accepted call-off consumes its contract (orders started before this change do not)
        if workflow.patched("contract-consumption") and not await self.bookings.consume_contract():
            return
        if workflow.patched("monthly-spend"):  # counts towards the buyer's monthly limit from now on
            await self.bookings.record_spend()
        if self.validated.needs_customer_approval and not await self.approvals.granted(ApprovalKind.CUSTOMER):
            return
        needs_expert = self.validated.expert_review_skus or self.validated.expert_reasons
        if needs_expert and not await self.approvals.granted(ApprovalKind.EXPERT):
            return
        if self.cancelled():
            return
        self.set_status(OrderStatus.IN_FULFILLMENT)
        delivered = await self.fulfilment.run(self.validated)
        if self.status in FINAL_STATUSES:
            return
        if not delivered:
            self.finish(OrderStatus.CANCELLED, "system", "order.cancelled", "no line was delivered")
            return
        await self.billing.run(delivered)

    async def _validate(self) -> bool:
        try:
            self.validated = await workflow.execute_activity_method(
                ValidationActivities.validate_order,
                ValidationRequest(placement=self.placement, as_of=workflow.now().date()),
                **options.DB,
            )
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == names.ORDER_REJECTED:
                self.reject("system", "order.rejected", cause.message)
                return False
            raise
        v = self.validated
        workflow.upsert_search_attributes([names.ORDER_TOTAL.value_set(float(v.gross_total))])
        workflow.upsert_memo({names.MEMO_GROSS_TOTAL: str(v.gross_total), names.MEMO_CURRENCY: v.currency})
        self.record(
            "system",
            "order.validated",
            f"contract {v.contract_id}, net {v.net_total} {v.currency}, gross {v.gross_total} {v.currency}",
        )
        return True

    # --- messages -------------------------------------------------------------------------------

    @workflow.update(name=names.ORDER_DECIDE)
    def decide(self, decision: ApprovalDecision) -> OrderView:
        """Approve or reject what the order waits for (for a rejected sub-order: approve = resend
        to the same unit, reject = reject the order)."""
        self.approvals.decide(decision)
        return self.view()

    @decide.validator
    def _validate_decide(self, decision: ApprovalDecision) -> None:
        self.approvals.check_may_decide(decision.actor)

    @workflow.update(name=names.ORDER_DECIDE_SUBORDER)
    def decide_suborder(self, decision: SubOrderDecision) -> OrderView:
        self.approvals.decide_suborder(decision)
        return self.view()

    @decide_suborder.validator
    def _validate_decide_suborder(self, decision: SubOrderDecision) -> None:
        self.approvals.check_suborder_decision(decision)

    @workflow.update(name=names.ORDER_CANCEL)
    def cancel(self, request: CancelRequest) -> OrderView:
        self.cancel_request = request
        self.record(request.actor.id, "order.cancel_requested", request.reason)
        return self.view()

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        if "buyer" not in request.actor.roles or request.actor.customer_id != self.placement.buyer.customer_id:
            raise ApplicationError("only the customer's buyers may cancel this order", type=names.CONFLICT)
        if self.cancel_request is not None or self.status in FINAL_STATUSES or self.billing.invoice is not None:
            raise ApplicationError(
                f"the order is {self.status.value} and can no longer be cancelled", type=names.CONFLICT
            )
        shipped = self.fulfilment.shipped()
        if shipped:
            raise ApplicationError(
                f"sub-order(s) {', '.join(shipped)} shipped already: too late to cancel", type=names.CONFLICT
            )

    @workflow.update(name=names.ORDER_RECORD_PAYMENT)
    async def record_payment(self, payment: PaymentIn) -> PaymentResult:
        return await self.billing.record_payment(payment)

    @record_payment.validator
    def _validate_payment(self, payment: PaymentIn) -> None:
        self.billing.check_payment(payment)

    @workflow.signal(name=names.ORDER_SUBORDER_CHANGED)
    def suborder_changed(self, change: SubOrderChanged) -> None:
        self.fulfilment.changed(change.view)
        entry = change.entry.model_copy(
            update={"detail": f"{change.view.suborder_id}: {change.entry.detail}".rstrip(": ")}
        )
        # signals may arrive out of order: keep the timeline in the order things happened
        at = len(self.timeline)
        while at > 0 and self.timeline[at - 1].at > entry.at:
            at -= 1
        self.timeline.insert(at, entry)

    @workflow.query(name=names.ORDER_VIEW)
    def view(self) -> OrderView:
        v, billing = self.validated, self.billing
        return OrderView(
            order_id=self.placement.order_id,
            status=self.status,
            customer_id=self.placement.buyer.customer_id,
            buyer=self.placement.buyer.id,
            customer_reference=self.placement.customer_reference,
            delivery_address=self.placement.delivery_address,
            placed_at=self.placed_at,
            contract_id=v and v.contract_id,
            catalog_version=v and v.catalog_version,
            currency=v and v.currency,
            lines=v.lines if v else [],
            requested_lines=self.placement.lines,
            net_total=v and v.net_total,
            vat_total=v and v.vat_total,
            gross_total=v and v.gross_total,
            suborders=self.fulfilment.views(),
            invoices=[billing.invoice] if billing.invoice else [],
            paid_total=billing.paid_total,
            pending_approval=self.approvals.pending,
            approvals=self.approvals.records,
            rejection_reason=self.rejection_reason,
            timeline=self.timeline,
            contract_consumption=self.bookings.consumption,
        )

    # --- helpers used by this workflow and its phases -------------------------------------------

    def cancelled(self) -> bool:
        """Whether the buyer asked to cancel; the first time, the open order ends CANCELLED."""
        if self.cancel_request is None:
            return False
        if self.status not in FINAL_STATUSES:
            self.finish(
                OrderStatus.CANCELLED, self.cancel_request.actor.id, "order.cancelled", self.cancel_request.reason
            )
        return True

    def set_status(self, status: OrderStatus) -> None:
        if status == self.status:
            return
        self.status = status
        workflow.upsert_search_attributes([names.ORDER_STATUS.value_set(status.value)])

    def finish(self, status: OrderStatus, actor: str, event: str, detail: str) -> None:
        self.set_status(status)
        self.record(actor, event, detail)

    def reject(self, actor: str, event: str, reason: str) -> None:
        """Ends the order REJECTED; `reason` is shown as the rejection reason and on the timeline."""
        self.rejection_reason = reason
        self.finish(OrderStatus.REJECTED, actor, event, reason)

    def record(self, actor: str, event: str, detail: str = "") -> None:
        self.timeline.append(TimelineEntry(at=workflow.now(), actor=actor, event=event, detail=detail))

    # --- one phase asking another (workflows/order_context.py) --------------------------------------

    async def approval_granted(self, kind: ApprovalKind, reason: str | None = None) -> bool:
        return await self.approvals.granted(kind, reason)

    async def await_decision(
        self, status: OrderStatus, pending: PendingApproval
    ) -> ApprovalDecision | SubOrderDecision | None:
        return await self.approvals.await_decision(status, pending)

    def queue_intervention(self, decision: SubOrderDecision) -> None:
        self.fulfilment.interventions.append(decision)

    def why_not_intervene(self, decision: SubOrderDecision) -> str | None:
        return self.fulfilment.why_not_intervene(decision)

    async def notify_role(self, role: str, customer_id: str | None, key: str, subject: str, body: str = "") -> None:
        await workflow.execute_activity_method(
            NotificationActivities.notify,
            Notification(
                key=f"{self.placement.order_id}.{key}.{len(self.timeline)}",
                role=role,
                customer_id=customer_id,
                order_id=self.placement.order_id,
                subject=subject,
                body=body,
            ),
            **options.NOTIFY,
        )
