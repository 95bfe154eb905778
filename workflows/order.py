"""One call-off order from receipt to payment.

RECEIVED -> VALIDATING -> [AWAITING_CUSTOMER_APPROVAL] -> [AWAITING_EXPERT_APPROVAL]
         -> IN_FULFILLMENT (one SubOrder child per delivery unit) -> INVOICED -> [OVERDUE] -> PAID
and REJECTED / CANCELLED on the way. People act through updates (validated, so a wrong caller
gets a clear refusal without touching history); the status document is a query.
"""
import asyncio
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.contracts import ContractActivities
    from activities.spending import SpendActivities
    from activities.invoicing import InvoicingActivities
    from activities.notifications import NotificationActivities
    from activities.validation import ORDER_REJECTED, ValidationActivities
    from models.actors import Actor
    from models.approvals import (
        ApprovalDecision, ApprovalKind, ApprovalRecord, PendingApproval, SubOrderDecision,
    )
    from models.contracts import ConsumptionLine, ConsumptionRequest, ConsumptionResult, ReleaseRequest
    from models.spend import SpendRecord, SpendRelease
    from models.invoices import Invoice, InvoiceLineIn, InvoiceRequest, PaymentIn, PaymentResult
    from models.notifications import Notification
    from models.orders import (
        FINAL_STATUSES, CancelRequest, OrderPlacement, OrderStatus, OrderView, PricedLine,
        ValidatedOrder, ValidationRequest,
    )
    from models.suborders import SubOrderChanged, SubOrderStatus, SubOrderView
    from models.timeline import TimelineEntry
    from workflows import options, search
    from workflows.escalation import wait_escalating
    from workflows.fulfilment import Fulfilment

CONFLICT = "Conflict"
MAX_DUNNING_REMINDERS = 6


@workflow.defn(name="Order")
class OrderWorkflow:
    @workflow.init
    def __init__(self, placement: OrderPlacement) -> None:
        self.placement = placement
        self.placed_at = workflow.now()
        self.status = OrderStatus.RECEIVED
        self.validated: ValidatedOrder | None = None
        self.pending: PendingApproval | None = None
        self.decision: ApprovalDecision | SubOrderDecision | None = None
        self.approvals: list[ApprovalRecord] = []
        self.fulfilment = Fulfilment(self)
        self.invoice: Invoice | None = None
        self.paid_total = Decimal("0.00")
        self.cancel_request: CancelRequest | None = None
        self.rejection_reason: str | None = None
        self.consumption: ConsumptionResult | None = None  # what the order took from its contract
        self.spend_recorded = False  # counted towards the buyer's monthly limit
        self.timeline: list[TimelineEntry] = []
        self.record(placement.buyer.id, "order.received", f"{len(placement.lines)} line(s)")

    # --- the process ----------------------------------------------------------------------------

    @workflow.run
    async def run(self, placement: OrderPlacement) -> OrderView:
        await self._process()
        if self.consumption is not None and self.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
            await self._release_contract()
        if self.spend_recorded and self.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
            await workflow.execute_activity_method(SpendActivities.release_spend, SpendRelease(
                user=self.placement.buyer.id, order_id=self.placement.order_id), **options.DB)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _process(self) -> None:
        self.set_status(OrderStatus.VALIDATING)
        if not await self._validate() or self._cancelled():
            return
        assert self.validated is not None
        # an accepted call-off consumes its contract (orders started before this change do not)
        if workflow.patched("contract-consumption") and not await self._consume_contract():
            return
        if workflow.patched("monthly-spend"):  # counts towards the buyer's monthly limit from now on
            v = self.validated
            await workflow.execute_activity_method(SpendActivities.record_spend, SpendRecord(
                user=self.placement.buyer.id, order_id=self.placement.order_id,
                month=self.placed_at.strftime("%Y-%m"), net=v.net_total, currency=v.currency), **options.DB)
            self.spend_recorded = True
        if self.validated.needs_customer_approval and not await self._approval(ApprovalKind.CUSTOMER):
            return
        needs_expert = self.validated.expert_review_skus or self.validated.expert_reasons
        if needs_expert and not await self._approval(ApprovalKind.EXPERT):
            return
        if self._cancelled():
            return
        self.set_status(OrderStatus.IN_FULFILLMENT)
        delivered = await self.fulfilment.run(self.validated)
        if self.status in FINAL_STATUSES:
            return
        if not delivered:
            self.finish(OrderStatus.CANCELLED, "system", "order.cancelled", "no line was delivered")
            return
        await self._invoice(delivered)
        await self._collect_payment()

    async def _validate(self) -> bool:
        try:
            self.validated = await workflow.execute_activity_method(
                ValidationActivities.validate_order,
                ValidationRequest(placement=self.placement, as_of=workflow.now().date()),
                **options.DB,
            )
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == ORDER_REJECTED:
                self.rejection_reason = cause.message
                self.finish(OrderStatus.REJECTED, "system", "order.rejected", cause.message)
                return False
            raise
        v = self.validated
        workflow.upsert_search_attributes([search.ORDER_TOTAL.value_set(float(v.gross_total))])
        workflow.upsert_memo({"gross_total": str(v.gross_total), "currency": v.currency})
        self.record("system", "order.validated",
                    f"contract {v.contract_id}, net {v.net_total} {v.currency}, gross {v.gross_total} {v.currency}")
        return True

    async def _consume_contract(self) -> bool:
        """Consumes the contract's agreed quantities and value caps. Beyond what remains, the
        contract's `on_exceed` decides: reject, or ask the seller's expert (approve = consume anyway)."""
        v = self.validated
        assert v is not None
        if not v.contract_id:  # priced without a framework contract: nothing to consume
            return True
        lines = [ConsumptionLine(sku=line.sku, quantity=line.quantity, value=line.line_total) for line in v.lines]
        request = ConsumptionRequest(contract_id=v.contract_id, order_id=self.placement.order_id, lines=lines)
        result = await workflow.execute_activity_method(ContractActivities.consume_contract, request, **options.DB)
        if not result.accepted:
            reason = f"beyond the framework contract {v.contract_id}: {result.reason}"
            if result.on_exceed != "expert":
                self.rejection_reason = f"Order not possible: {reason}"
                self.finish(OrderStatus.REJECTED, "system", "order.rejected", self.rejection_reason)
                return False
            if not await self._approval(ApprovalKind.CONTRACT, reason):
                return False
            result = await workflow.execute_activity_method(
                ContractActivities.consume_contract, request.model_copy(update={"force": True}), **options.DB)
        self.consumption = result
        taken = ", ".join(f"{line.quantity} x {line.sku}" for line in result.lines) or "no contracted item"
        beyond = " (beyond the agreement, approved by the expert)" if result.forced else ""
        self.record("system", "contract.consumed", f"contract {v.contract_id}: {taken}{beyond}")
        return True

    async def _release_contract(self) -> None:
        """A cancelled or rejected order gives back what it consumed."""
        assert self.consumption is not None
        released = await workflow.execute_activity_method(
            ContractActivities.release_contract, ReleaseRequest(order_id=self.placement.order_id), **options.DB)
        # shown on the status document (`contract_consumption.released`), not as a timeline entry:
        # the timeline of a closed order ends with what closed it
        self.consumption = self.consumption.model_copy(update={"released": True})
        workflow.logger.info("order %s released %d contract consumption row(s)",
                             self.placement.order_id, released.released_rows)

    async def _approval(self, kind: ApprovalKind, reason: str | None = None) -> bool:
        """Waits for an approve/reject; the wait reminds, escalates and finally rejects."""
        v = self.validated
        assert v is not None
        if kind == ApprovalKind.CUSTOMER:
            status = OrderStatus.AWAITING_CUSTOMER_APPROVAL
            reason = "; ".join(v.approval_reasons) or (
                f"net total {v.net_total} {v.currency} exceeds the buyer's order limit {v.order_limit}")
            pending = PendingApproval(kind=kind, role="approver", customer_id=v.customer_id,
                                      approver_customer_ids=v.approver_customer_ids, reason=reason,
                                      since=workflow.now())
        else:
            status = OrderStatus.AWAITING_EXPERT_APPROVAL
            flagged = [f"expert review required for {', '.join(v.expert_review_skus)}"] if v.expert_review_skus else []
            reason = reason or "; ".join(flagged + v.expert_reasons)
            pending = PendingApproval(kind=kind, role="expert", reason=reason, since=workflow.now())
        decision = await self.await_decision(status, pending)
        if decision is None:
            return False
        assert isinstance(decision, ApprovalDecision)
        if decision.decision == "reject":
            self.rejection_reason = f"rejected by {decision.actor.id}: {decision.comment}".rstrip(": ")
            self.finish(OrderStatus.REJECTED, decision.actor.id, "order.rejected", self.rejection_reason)
            return False
        return True

    async def await_decision(self, status: OrderStatus, pending: PendingApproval):
        """Parks the order on `pending` until someone decides. None: cancelled or timed out
        (and the order is then finished)."""
        self.pending, self.decision = pending, None
        self.set_status(status)
        self.record("system", "approval.requested", pending.reason)
        await self.notify(pending, "request", f"Order {self.placement.order_id} awaits your decision")

        async def on_stage(stage: str) -> None:
            self.record("system", f"approval.{stage}", f"still waiting for the {pending.role}")
            if stage == "reminder":
                await self.notify(pending, stage, f"Reminder: order {self.placement.order_id} awaits your decision")
            else:  # escalation: the seller's experts chase it
                await self.notify(PendingApproval(kind=pending.kind, role="expert", reason=pending.reason,
                                                  since=pending.since), stage,
                                  f"Escalation: order {self.placement.order_id} waits for a {pending.role}")

        decided = await wait_escalating(lambda: self.decision is not None or self.cancel_request is not None,
                                        self.placement.policy.approval, on_stage)
        self.pending = None
        if self._cancelled():
            return None
        if not decided:
            self.rejection_reason = f"no decision by an {pending.role} within {self.placement.policy.approval.timeout}"
            self.finish(OrderStatus.REJECTED, "system", "approval.timeout", self.rejection_reason)
            return None
        return self.decision

    async def _invoice(self, lines: list[PricedLine]) -> None:
        v = self.validated
        assert v is not None
        self.invoice = await workflow.execute_activity_method(
            InvoicingActivities.issue_invoice,
            InvoiceRequest(
                seller_id=self.placement.seller_id, order_id=self.placement.order_id, customer_id=v.customer_id,
                currency=v.currency, payment_terms_days=v.payment_terms_days, issue_date=workflow.now().date(),
                lines=[InvoiceLineIn(line_no=li.line_no, sku=li.sku, name=li.name, quantity=li.quantity,
                                     unit_price=li.unit_price, vat_rate=li.vat_rate) for li in lines],
            ),
            **options.DB,
        )
        self.paid_total = self.invoice.paid_total
        self.set_status(OrderStatus.INVOICED)
        self.record("system", "invoice.issued",
                    f"invoice {self.invoice.number}: {self.invoice.gross_total} {self.invoice.currency}, "
                    f"due {self.invoice.due_date.isoformat()}")

    async def _collect_payment(self) -> None:
        assert self.invoice is not None
        due = datetime.combine(self.invoice.due_date + timedelta(days=1), time.min, tzinfo=timezone.utc)
        paid = lambda: self.paid_total >= self.invoice.gross_total  # noqa: E731
        wait = due - workflow.now()
        try:
            if wait.total_seconds() > 0:
                await workflow.wait_condition(paid, timeout=wait)
        except asyncio.TimeoutError:
            pass
        reminders = 0
        while not paid():
            if self.status != OrderStatus.OVERDUE:
                self.set_status(OrderStatus.OVERDUE)
                self.record("system", "invoice.overdue", f"invoice {self.invoice.number} was due {self.invoice.due_date}")
            reminders += 1
            await self.notify_role("finance", None, f"dunning.{reminders}",
                                   f"Invoice {self.invoice.number} is overdue (reminder {reminders})")
            try:
                timeout = self.placement.policy.dunning_interval if reminders < MAX_DUNNING_REMINDERS else None
                await workflow.wait_condition(paid, timeout=timeout)
            except asyncio.TimeoutError:
                continue
        self.finish(OrderStatus.PAID, "system", "order.paid", f"{self.paid_total} {self.invoice.currency} received")

    # --- messages -------------------------------------------------------------------------------

    @workflow.update
    def decide(self, decision: ApprovalDecision) -> OrderView:
        """Approve or reject what the order waits for (for a rejected sub-order: approve = resend
        to the same unit, reject = reject the order)."""
        if self.pending is not None and self.pending.kind == ApprovalKind.SUBORDER_REJECTED:
            action = "resend" if decision.decision == "approve" else "cancel_order"
            self.decision = SubOrderDecision(action=action, comment=decision.comment, actor=decision.actor)
        else:
            self.decision = decision
        self._record_decision(decision.decision, decision.comment, decision.actor)
        return self.view()

    @decide.validator
    def _validate_decide(self, decision: ApprovalDecision) -> None:
        self._check_may_decide(decision.actor)

    @workflow.update
    def decide_suborder(self, decision: SubOrderDecision) -> OrderView:
        if self.pending is not None and self.pending.kind == ApprovalKind.SUBORDER_REJECTED:
            self.decision = decision
            self._record_decision(decision.action, decision.comment, decision.actor)
        else:  # an escalated sub-order that its unit does not move
            self.fulfilment.interventions.append(decision)
            self.record(decision.actor.id, f"suborder.{decision.action}",
                        f"{decision.suborder_id}: {decision.comment}".rstrip(": "))
        return self.view()

    @decide_suborder.validator
    def _validate_decide_suborder(self, decision: SubOrderDecision) -> None:
        if decision.action == "reassign" and not decision.partner_id:
            raise ApplicationError("reassign needs partner_id", type="Invalid")
        pending = self.pending
        if pending is not None and pending.kind == ApprovalKind.SUBORDER_REJECTED and (
                decision.suborder_id in (None, pending.suborder_id)):
            self._check_may_decide(decision.actor)
            return
        if not ("expert" in decision.actor.roles and decision.actor.is_seller_staff):
            raise ApplicationError(f"sub-order decisions are the expert's, not {decision.actor.id}'s", type=CONFLICT)
        problem = self.fulfilment.why_not_intervene(decision)
        if problem:
            raise ApplicationError(problem, type=CONFLICT)

    def _check_may_decide(self, actor: Actor) -> None:
        pending = self.pending
        if pending is None or self.decision is not None:
            raise ApplicationError("the order is not waiting for an approval", type=CONFLICT)
        if pending.role == "approver":
            allowed = ("approver" in actor.roles and actor.customer_id in pending.approver_customer_ids
                       and actor.id != self.placement.buyer.id)  # four eyes: not one's own order
        else:
            allowed = "expert" in actor.roles and actor.is_seller_staff
        if not allowed:
            raise ApplicationError(f"the order waits for a {pending.role}, not for {actor.id}", type=CONFLICT)

    def _record_decision(self, decision: str, comment: str, actor: Actor) -> None:
        assert self.pending is not None
        self.approvals.append(ApprovalRecord(kind=self.pending.kind, decision=decision, comment=comment,
                                             actor=actor.id, at=workflow.now()))
        self.record(actor.id, f"approval.{decision}", comment)

    @workflow.update
    def cancel(self, request: CancelRequest) -> OrderView:
        self.cancel_request = request
        self.record(request.actor.id, "order.cancel_requested", request.reason)
        return self.view()

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        if "buyer" not in request.actor.roles or request.actor.customer_id != self.placement.buyer.customer_id:
            raise ApplicationError("only the customer's buyers may cancel this order", type=CONFLICT)
        if self.cancel_request is not None or self.status in FINAL_STATUSES or self.invoice is not None:
            raise ApplicationError(f"the order is {self.status.value} and can no longer be cancelled", type=CONFLICT)
        shipped = self.fulfilment.shipped()
        if shipped:
            raise ApplicationError(f"sub-order(s) {', '.join(shipped)} shipped already: too late to cancel",
                                   type=CONFLICT)

    @workflow.update
    async def record_payment(self, payment: PaymentIn) -> PaymentResult:
        result = await workflow.execute_activity_method(InvoicingActivities.record_payment, payment, **options.DB)
        self.paid_total = max(self.paid_total, result.paid_total)  # payments only ever add up
        if result.added:
            self.record(payment.actor.id, "payment.received", f"{payment.amount} ({payment.reference})")
        return result

    @record_payment.validator
    def _validate_payment(self, payment: PaymentIn) -> None:
        if "finance" not in payment.actor.roles or not payment.actor.is_seller_staff:
            raise ApplicationError("only the seller's finance users record payments", type=CONFLICT)
        if self.invoice is None or payment.invoice_id != self.invoice.invoice_id:
            raise ApplicationError("no such open invoice on this order", type=CONFLICT)
        if self.status not in (OrderStatus.INVOICED, OrderStatus.OVERDUE):
            raise ApplicationError(f"the order is {self.status.value}", type=CONFLICT)

    @workflow.signal
    def suborder_changed(self, change: SubOrderChanged) -> None:
        self.fulfilment.changed(change.view)
        entry = change.entry.model_copy(update={"detail": f"{change.view.suborder_id}: {change.entry.detail}".rstrip(": ")})
        # signals may arrive out of order: keep the timeline in the order things happened
        at = len(self.timeline)
        while at > 0 and self.timeline[at - 1].at > entry.at:
            at -= 1
        self.timeline.insert(at, entry)

    @workflow.query
    def view(self) -> OrderView:
        v = self.validated
        return OrderView(
            order_id=self.placement.order_id, status=self.status, customer_id=self.placement.buyer.customer_id,
            buyer=self.placement.buyer.id, customer_reference=self.placement.customer_reference,
            delivery_address=self.placement.delivery_address, placed_at=self.placed_at,
            contract_id=v and v.contract_id, catalog_version=v and v.catalog_version, currency=v and v.currency, lines=v.lines if v else [],
            requested_lines=self.placement.lines, net_total=v and v.net_total, vat_total=v and v.vat_total,
            gross_total=v and v.gross_total, suborders=self.fulfilment.views(),
            invoices=[self.invoice] if self.invoice else [], paid_total=self.paid_total,
            pending_approval=self.pending, approvals=self.approvals, rejection_reason=self.rejection_reason,
            timeline=self.timeline, contract_consumption=self.consumption,
        )

    # --- helpers used by this workflow and its fulfilment ---------------------------------------

    def _cancelled(self) -> bool:
        if self.cancel_request is None:
            return False
        if self.status not in FINAL_STATUSES:
            self.finish(OrderStatus.CANCELLED, self.cancel_request.actor.id, "order.cancelled",
                        self.cancel_request.reason)
        return True

    def set_status(self, status: OrderStatus) -> None:
        if status == self.status:
            return
        self.status = status
        workflow.upsert_search_attributes([search.ORDER_STATUS.value_set(status.value)])

    def finish(self, status: OrderStatus, actor: str, event: str, detail: str) -> None:
        self.set_status(status)
        self.record(actor, event, detail)

    def record(self, actor: str, event: str, detail: str = "") -> None:
        self.timeline.append(TimelineEntry(at=workflow.now(), actor=actor, event=event, detail=detail))

    async def notify(self, pending: PendingApproval, stage: str, subject: str) -> None:
        key = f"{pending.kind.value}.{stage}"
        if pending.role != "approver":
            await self.notify_role(pending.role, None, key, subject, pending.reason)
            return
        # everyone who may decide is told: the customer's approvers and those of its parents
        await self.notify_role("approver", pending.customer_id, key, subject, pending.reason)
        for customer in pending.approver_customer_ids:
            if customer != pending.customer_id:
                await self.notify_role("approver", customer, f"{key}.{customer}", subject, pending.reason)

    async def notify_role(self, role: str, customer_id: str | None, key: str, subject: str, body: str = "") -> None:
        await workflow.execute_activity_method(
            NotificationActivities.notify,
            Notification(key=f"{self.placement.order_id}.{key}.{len(self.timeline)}", role=role,
                         customer_id=customer_id, order_id=self.placement.order_id, subject=subject, body=body),
            **options.NOTIFY,
        )
