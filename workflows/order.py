"""One call-off order from receipt to payment.

RECEIVED -> VALIDATING -> [AWAITING_CUSTOMER_APPROVAL] -> [AWAITING_EXPERT_APPROVAL]
         -> IN_FULFILLMENT (one SubOrder child per delivery unit) -> INVOICED -> [OVERDUE] -> PAID
and REJECTED / CANCELLED on the way. People act through updates (validated, so a wrong caller
gets a clear refusal without touching history); the status document is a query.

This class holds the order's course and its message handlers; each phase's state and rules live
in a plain helper it owns: bookings.py (acceptance, contract consumption, monthly spend),
approval.py (the waits for a decision and who may decide), fulfilment.py (the sub-orders),
billing.py (invoice, payment, dunning).

Orders started since the system of record (`PATCH_SYSTEM_OF_RECORD`, `self.v2`) keep their status
document in the app database (record_keeper.py), are accepted in one transaction, run their
bookkeeping as local activities that heal instead of failing the order (healing.py), never leave
a final status, and give back what they booked and tell the units when an operator cancels them.
Orders started before keep their course; code paths of theirs that changed are marked `v1`.
"""

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.notifications import NotificationActivities
    from activities.orders import OrderActivities
    from activities.validation import ValidationActivities
    from core import temporal_names as names
    from models.actors import Actor
    from models.approvals import ApprovalDecision, ApprovalKind, PendingApproval, SubOrderDecision
    from models.invoices import CreditNoteIssued, DunningPause, PaymentIn, PaymentResult
    from models.notifications import Notification
    from models.orders import (
        FINAL_STATUSES,
        CancelRequest,
        OrderPlacement,
        OrderStatus,
        OrderView,
        PricedLine,
        ValidatedOrder,
        ValidationRequest,
    )
    from models.records import OrderSnapshot
    from models.suborders import SubOrderChanged
    from models.timeline import TimelineEntry
    from workflows import options
    from workflows.approval import Approvals
    from workflows.billing import Billing
    from workflows.bookings import Bookings
    from workflows.fulfilment import Fulfilment
    from workflows.healing import until_done
    from workflows.record_keeper import RecordKeeper


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
        self.v2 = False  # started since the system of record (see the module doc)
        # started by code with the lean course (core/temporal_names.py ENGINE_LEAN): v2 without its
        # patch marker, fewer history events; orders started before keep their course
        self.lean = placement.engine >= names.ENGINE_LEAN
        self.keeper = RecordKeeper(self._save_record, gather=self.lean, stamped=self.lean)
        self.attention: dict[str, str] = {}  # what keeps failing -> the last failure
        self._indexed: dict[str, object] = {}  # search attributes as last set
        self.bookings = Bookings(self)
        self.approvals = Approvals(self)
        self.fulfilment = Fulfilment(self)
        self.billing = Billing(self)
        self.record(placement.buyer.id, "order.received", f"{len(placement.lines)} line(s)")

    # --- the process ----------------------------------------------------------------------------

    @workflow.run
    async def run(self, placement: OrderPlacement) -> OrderView:
        self.v2 = self.lean or workflow.patched(names.PATCH_SYSTEM_OF_RECORD)
        if self.v2:
            return await self._run_v2()
        await self._process()
        if self.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
            await self.bookings.give_back()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _run_v2(self) -> OrderView:
        try:
            await self._process()
            if self.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
                await self.bookings.give_back()
        except asyncio.CancelledError:  # an operator cancelled the workflow (Temporal UI, CLI)
            await self._compensate("the order's workflow was cancelled by an operator")
            raise
        except FailureError as err:  # would fail the workflow: still tell the units, give back
            await self._compensate(f"the order could not go on: {err}")
            raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.keeper.close()
        return self.view()

    async def _compensate(self, why: str) -> None:
        """The order ends without being delivered: its open sub-orders are withdrawn from their
        units, what it booked is given back, and the record says so."""
        await self.fulfilment.withdraw(why)
        if self.status not in FINAL_STATUSES:
            self.finish(OrderStatus.CANCELLED, "system", "order.cancelled", why)
        await self.bookings.give_back()
        self.keeper.start()
        await self.keeper.close()

    async def _process(self) -> None:
        self.set_status(OrderStatus.VALIDATING)
        if self.v2:
            accepted = await self.bookings.accept()
            self.keeper.start()
            if not accepted or self.cancelled() or not await self.bookings.confirm_contract():
                return
        else:  # v1
            if not await self._validate() or self.cancelled():
                return
            # an accepted call-off consumes its contract (orders started before this change do not)
            if workflow.patched(names.PATCH_CONTRACT_CONSUMPTION) and not await self.bookings.consume_contract():
                return
            if workflow.patched(names.PATCH_MONTHLY_SPEND):  # counts towards the buyer's monthly limit from now on
                await self.bookings.record_spend()
        assert self.validated is not None
        if self.validated.needs_customer_approval and not await self.approvals.granted(ApprovalKind.CUSTOMER):
            return
        needs_expert = self.validated.expert_review_skus or self.validated.expert_reasons
        if needs_expert and not await self.approvals.granted(ApprovalKind.EXPERT):
            return
        if self.cancelled():
            return
        self.set_status(OrderStatus.IN_FULFILLMENT)
        # partial invoicing: an invoice for each sub-order as it is delivered, while the others go on
        invoicing = asyncio.create_task(self.billing.invoice_deliveries()) if self.billing.per_delivery() else None
        delivered = await self.fulfilment.run(self.validated)
        if invoicing is not None:
            self.billing.fulfilment_over()
            await invoicing
        if self.status in FINAL_STATUSES:
            return
        if not delivered:
            self.finish(OrderStatus.CANCELLED, "system", "order.cancelled", "no line was delivered")
            return
        if self.v2 and len(delivered) < len(self.validated.lines):  # dropped lines, a partial cancel
            await self.bookings.keep_only(delivered)
        await self.billing.run(delivered)

    async def _validate(self) -> bool:  # v1: orders of new code are accepted by bookings.accept
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
    async def decide(self, decision: ApprovalDecision) -> OrderView:
        """Approve or reject what the order waits for (for a rejected sub-order: approve = resend
        to the same unit, reject = reject the order)."""
        self.approvals.decide(decision)
        await self.keeper.saved_now()
        return self.view()

    @decide.validator
    def _validate_decide(self, decision: ApprovalDecision) -> None:
        self.approvals.check_may_decide(decision.actor)

    @workflow.update(name=names.ORDER_DECIDE_SUBORDER)
    async def decide_suborder(self, decision: SubOrderDecision) -> OrderView:
        if self.v2 and not self.approvals.decides_rejection(decision):  # an intervention on a stuck one
            assert decision.suborder_id is not None  # the validator checked it
            await self.fulfilment.refresh(decision.suborder_id)
            problem = self.fulfilment.why_not_intervene(decision)
            if problem:
                raise ApplicationError(problem, type=names.CONFLICT)
        self.approvals.decide_suborder(decision)
        await self.keeper.saved_now()
        return self.view()

    @decide_suborder.validator
    def _validate_decide_suborder(self, decision: SubOrderDecision) -> None:
        self.approvals.check_suborder_decision(decision)

    @workflow.update(name=names.ORDER_CANCEL)
    async def cancel(self, request: CancelRequest) -> OrderView:
        if self.v2 and self.fulfilment.subs:  # what the units reported is in the record, not here
            shipped = await workflow.execute_local_activity_method(
                OrderActivities.shipped_suborders, self.placement.order_id, **options.LOCAL
            )
            if shipped and self.cancel_request is None:
                raise ApplicationError(
                    f"sub-order(s) {', '.join(shipped)} shipped already: too late to cancel", type=names.CONFLICT
                )
        if self.cancel_request is None:  # the first of two racing cancels decides
            self.cancel_request = request
            self.record(request.actor.id, "order.cancel_requested", request.reason)
        await self.keeper.saved_now()
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
        result = await self.billing.record_payment(payment)
        await self.keeper.saved_now()
        return result

    @record_payment.validator
    def _validate_payment(self, payment: PaymentIn) -> None:
        self.billing.check_payment(payment)

    # --- invoice to cash: finance on the order's invoice ---------------------------------------------

    @workflow.update(name=names.ORDER_RETRY_INVOICING)
    async def retry_invoicing(self, actor: Actor) -> OrderView:
        """Finance fixed what blocked the invoice (e.g. the customer's address): check it again."""
        self.billing.retry_invoicing(actor)
        await self.keeper.saved_now()
        return self.view()

    @retry_invoicing.validator
    def _validate_retry_invoicing(self, actor: Actor) -> None:
        self.billing.check_retry(actor)

    @workflow.update(name=names.ORDER_PAUSE_DUNNING)
    async def pause_dunning(self, pause: DunningPause) -> OrderView:
        await self.billing.pause_dunning(pause.invoice_id, pause.actor, pause.reason, paused=True)
        await self.keeper.saved_now()
        return self.view()

    @pause_dunning.validator
    def _validate_pause_dunning(self, pause: DunningPause) -> None:
        self.billing.check_pause(pause.actor, pause.invoice_id, paused=True)

    @workflow.update(name=names.ORDER_RESUME_DUNNING)
    async def resume_dunning(self, pause: DunningPause) -> OrderView:
        await self.billing.pause_dunning(pause.invoice_id, pause.actor, pause.reason, paused=False)
        await self.keeper.saved_now()
        return self.view()

    @resume_dunning.validator
    def _validate_resume_dunning(self, pause: DunningPause) -> None:
        self.billing.check_pause(pause.actor, pause.invoice_id, paused=False)

    @workflow.signal(name=names.ORDER_CREDIT_NOTE_ISSUED)
    def credit_note_issued(self, issued: CreditNoteIssued) -> None:
        self.billing.credit_note_issued(issued)

    @workflow.signal(name=names.ORDER_SUBORDER_CHANGED)
    def suborder_changed(self, change: SubOrderChanged) -> None:
        self.fulfilment.changed(change.view)
        if self.v2:  # the sub-order writes its timeline to the record itself
            return
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
        """The status document; for orders of new code, with what their sub-orders reported as far as
        the order knows it (their final documents, once closed; the record has every step)."""
        document = self._document(self.keeper.shown())
        if not self.v2:
            return document
        entries = list(document.timeline)
        for sub in self.fulfilment.subs.values():
            entries += [
                e.model_copy(update={"detail": f"{sub.suborder_id}: {e.detail}".rstrip(": ")}) for e in sub.timeline
            ]
        return document.model_copy(update={"timeline": sorted(entries, key=lambda e: e.at)})

    def _document(self, revision: int) -> OrderView:
        """The order's own document at `revision` (its timeline: the order's own entries)."""
        v, billing = self.validated, self.billing
        return OrderView(
            order_id=self.placement.order_id,
            status=self.status,
            customer_id=self.placement.buyer.customer_id,
            buyer=self.placement.buyer.id,
            customer_reference=self.placement.customer_reference,
            delivery_address=self.placement.delivery_address,
            delivery_contact=self.placement.delivery_contact,
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
            invoices=billing.invoices(),
            paid_total=billing.paid_total,
            pending_approval=self.approvals.pending,
            approvals=self.approvals.records,
            rejection_reason=self.rejection_reason,
            timeline=self.timeline,
            contract_consumption=self.bookings.consumption,
            removed_lines=sorted(self.fulfilment.removed),
            attention="; ".join(f"{what}: {why}" for what, why in self.attention.items()) or None,
            invoice_findings=billing.findings,
            dunning_level=billing.dunning_level(),
            dunning_paused=billing.dunning_paused(),
            revision=revision,
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

    def set_status(self, status: OrderStatus) -> bool:
        """False when refused: a final status is final (orders of new code)."""
        if status == self.status:
            return True
        if self.v2 and self.status in FINAL_STATUSES:
            workflow.logger.warning("order %s is %s: not %s", self.placement.order_id, self.status, status)
            return False
        self.status = status
        if self.v2:  # indexed with the next save, together with whatever else changed
            self.keeper.changed()
        else:
            workflow.upsert_search_attributes([names.ORDER_STATUS.value_set(status.value)])
        return True

    def finish(self, status: OrderStatus, actor: str, event: str, detail: str) -> None:
        if self.set_status(status):
            self.record(actor, event, detail)

    def reject(self, actor: str, event: str, reason: str) -> None:
        """Ends the order REJECTED; `reason` is shown as the rejection reason and on the timeline."""
        if self.v2 and self.status in FINAL_STATUSES:
            return
        self.rejection_reason = reason
        self.finish(OrderStatus.REJECTED, actor, event, reason)

    def record(self, actor: str, event: str, detail: str = "") -> None:
        self.timeline.append(TimelineEntry(at=workflow.now(), actor=actor, event=event, detail=detail))
        if self.v2:
            self.keeper.changed()

    def changed(self) -> None:
        """The document changed without a timeline entry (e.g. a booking given back)."""
        if self.v2:
            self.keeper.changed()

    def closing(self) -> bool:
        """Whether the order takes no more decisions: a cancel is recorded, or its status is final."""
        return self.cancel_request is not None or self.status in FINAL_STATUSES

    # --- the record and what operators see (orders of new code) -----------------------------------

    async def _save_record(self, revision: int) -> None:
        self._index()
        await until_done(
            self,
            "saving the order record",
            self.placement.policy.attention_after,
            lambda opts: workflow.execute_local_activity_method(
                OrderActivities.save_order,
                OrderSnapshot(revision=self.keeper.stamp(revision), view=self._document(self.keeper.stamp(revision))),
                **opts,
            ),
            options.LOCAL,
        )

    def _index(self) -> None:
        """Sets the search attributes that changed since they were last set (one history event)."""
        if not self._indexed:
            self._indexed[names.ORDER_STATUS.name] = workflow.info().typed_search_attributes.get(names.ORDER_STATUS)
        wanted: dict = {names.ORDER_STATUS: self.status.value, names.NEEDS_ATTENTION: bool(self.attention)}
        if self.validated is not None:
            wanted[names.ORDER_TOTAL] = float(self.validated.gross_total)
        changed = [
            key.value_set(value)
            for key, value in wanted.items()
            if self._indexed.get(key.name, False if key == names.NEEDS_ATTENTION else None) != value
        ]
        if changed:
            workflow.upsert_search_attributes(changed)
            self._indexed.update({key.name: value for key, value in wanted.items()})

    def attention_raised(self, what: str, why: str) -> None:
        self.attention[what] = why
        workflow.logger.warning("order %s needs attention: %s: %s", self.placement.order_id, what, why)
        self._index()  # at once: the record may be what fails
        self.keeper.changed()

    def attention_cleared(self, what: str) -> None:
        if self.attention.pop(what, None) is not None:
            self.keeper.changed()

    # --- one phase asking another (workflows/order_context.py) --------------------------------------

    async def approval_granted(self, kind: ApprovalKind, reason: str | None = None) -> bool:
        return await self.approvals.granted(kind, reason)

    async def await_decision(
        self, status: OrderStatus, pending: PendingApproval
    ) -> ApprovalDecision | SubOrderDecision | None:
        return await self.approvals.await_decision(status, pending)

    def queue_intervention(self, decision: SubOrderDecision) -> None:
        self.fulfilment.interventions.append(decision)

    def delivered_parts(self) -> dict[str, list[PricedLine]]:
        return self.fulfilment.delivered_parts()

    def why_not_intervene(self, decision: SubOrderDecision) -> str | None:
        return self.fulfilment.why_not_intervene(decision, state_known=not self.v2)

    async def notify_role(self, role: str, customer_id: str | None, key: str, subject: str, body: str = "") -> None:
        note = Notification(
            key=f"{self.placement.order_id}.{key}.{len(self.timeline)}",
            role=role,
            customer_id=customer_id,
            order_id=self.placement.order_id,
            subject=subject,
            body=body,
        )
        if not self.v2:
            await workflow.execute_activity_method(NotificationActivities.notify, note, **options.NOTIFY)
            return
        await until_done(
            self,
            "posting to the inbox",
            self.placement.policy.attention_after,
            lambda opts: workflow.execute_local_activity_method(NotificationActivities.notify, note, **opts),
            options.LOCAL,
        )
