"""The fulfilment phase of an order: one SubOrder child workflow per delivery unit, and the
expert's decision when a unit rejects its part (resend, reassign, drop the lines, or reject).

A state machine: each pass of its loop acts (start, cancel, ask the expert, apply a decision) or
ends; its wait is true only when there is something to do. Once the order takes no more decisions
(a cancel is recorded, or its status is final), rejections still open and interventions queued
are settled without asking, the open sub-orders are withdrawn, and the phase ends when they have.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.orders import OrderActivities
    from core import temporal_names as names
    from models.actors import SYSTEM
    from models.approvals import ApprovalKind, PendingApproval, SubOrderDecision
    from models.orders import FINAL_STATUSES, OrderStatus, PricedLine, ValidatedOrder
    from models.suborders import (
        CLOSED_SUBORDER,
        SubOrderCancel,
        SubOrderLine,
        SubOrderStart,
        SubOrderStatus,
        SubOrderView,
    )
    from workflows import options
    from workflows.order_context import OrderContext
    from workflows.suborder import SubOrderWorkflow


DECISION_OPTIONS = ["resend", "reassign", "drop", "cancel_order"]


class Fulfilment:
    def __init__(self, order: OrderContext) -> None:
        self.order = order
        self.subs: dict[str, SubOrderView] = {}
        self.handles: dict[str, workflow.ChildWorkflowHandle] = {}
        self.finished: dict[str, asyncio.Task] = {}
        self.resolved: set[str] = set()  # rejected sub-orders the expert has decided on
        self.dropped: set[int] = set()  # line numbers taken out of the order
        self.cancel_sent: set[str] = set()
        self.lines: dict[int, PricedLine] = {}
        self.interventions: list[SubOrderDecision] = []  # the expert's, on escalated sub-orders
        self.removed: set[int] = set()  # lines neither delivered nor invoiced (dropped, cancelled)

    # --- state for the order's query and validators ---------------------------------------------

    def views(self) -> list[SubOrderView]:
        return [view.model_copy(update={"timeline": []}) for view in self.subs.values()]

    def shipped(self) -> list[str]:
        done = (SubOrderStatus.SHIPPED, SubOrderStatus.DELIVERED)
        return [sid for sid, view in self.subs.items() if view.status in done]

    def changed(self, view: SubOrderView) -> None:
        current = self.subs.get(view.suborder_id)
        if current is not None and (current.status in CLOSED_SUBORDER or len(view.timeline) < len(current.timeline)):
            return  # the child's signals may overtake each other: its timeline only grows, so a shorter one is stale
        self.subs[view.suborder_id] = view

    # --- the phase ------------------------------------------------------------------------------

    async def run(self, validated: ValidatedOrder) -> list[PricedLine]:
        """Returns the delivered lines to invoice (empty when nothing was delivered)."""
        self.lines = {line.line_no: line for line in validated.lines}
        by_unit = validated.lines_by_unit()
        if self.order.lean:  # started together: one workflow task for all, not one each
            await asyncio.gather(
                *(self._start(unit, [line.line_no for line in lines]) for unit, lines in by_unit.items())
            )
        else:
            for unit, lines in by_unit.items():
                await self._start(unit, [line.line_no for line in lines])
        if self.order.v2:
            await self._follow_all()
        else:
            await self._follow_all_v1()
        await asyncio.gather(*self.finished.values())
        delivered = self._delivered()
        self.removed = set(self.lines) - set(delivered)
        if self.order.status in FINAL_STATUSES:
            return []
        if self.order.cancel_request is not None and delivered:
            self.order.record("system", "order.cancel_partial", "delivered lines stay on the order")
        elif self.order.cancel_request is not None:
            self.order.cancelled()
            return []
        return [self.lines[n] for n in delivered]

    def delivered_parts(self) -> dict[str, list[PricedLine]]:
        """The lines of each delivered sub-order (partial invoicing), without dropped ones."""
        return {
            sid: [self.lines[line.line_no] for line in view.lines if line.line_no in self.lines]
            for sid, view in self.subs.items()
            if view.status == SubOrderStatus.DELIVERED and all(line.line_no not in self.dropped for line in view.lines)
        }

    def _delivered(self) -> list[int]:
        return sorted(
            {
                line.line_no
                for view in self.subs.values()
                if view.status == SubOrderStatus.DELIVERED
                for line in view.lines
            }
            - self.dropped
        )

    async def _follow_all(self) -> None:
        while True:
            await workflow.wait_condition(self._has_work)
            if self.order.closing():
                self._settle_open_questions()
                if self._closing_cancel_due():
                    self._cancel_open(*self._why_closing())
                    continue
                return  # every sub-order has closed (that is the only other work while closing)
            if self.interventions:
                await self._intervene(self.interventions.pop(0))
                continue
            rejected = self._open_rejection()
            if rejected is not None:
                await self._decide(rejected)
                continue
            return  # all closed

    def _has_work(self) -> bool:
        if self.order.closing():
            return self._closing_cancel_due() or self._children_done()
        return bool(self.interventions) or self._open_rejection() is not None or self._all_closed()

    def _children_done(self) -> bool:
        return all(task.done() for task in self.finished.values())

    def _closing_cancel_due(self) -> bool:
        """An open sub-order that was not asked to cancel yet."""
        return any(sid not in self.cancel_sent and self.subs[sid].status not in CLOSED_SUBORDER for sid in self.handles)

    def _why_closing(self) -> tuple[str, str]:
        request = self.order.cancel_request
        if request is not None:
            return request.reason or "cancelled by the buyer", request.actor.id
        return self.order.rejection_reason or "order closed", "system"

    def _settle_open_questions(self) -> None:
        """Once the order takes no more decisions, nobody is asked about rejections any more, and
        queued interventions are dropped (the sub-orders they were about are withdrawn anyway)."""
        for sid, view in self.subs.items():
            if view.status == SubOrderStatus.REJECTED:
                self.resolved.add(sid)
        self.interventions.clear()

    async def withdraw(self, why: str) -> None:
        """Cancels every open sub-order at its unit (an operator ended the order); returns once the
        sub-orders have the cancel (the shipped ones go on: their goods are on the way)."""
        self._cancel_open(why, "system")
        sent = [task for key, task in self.finished.items() if key.endswith(".cancel")]
        await asyncio.gather(*sent, return_exceptions=True)

    async def _follow_all_v1(self) -> None:
        while True:
            await workflow.wait_condition(
                lambda: (
                    self._all_closed()
                    or self._open_rejection() is not None
                    or self._cancel_due()
                    or bool(self.interventions)
                )
            )
            if self.interventions and self.order.cancel_request is None:
                await self._intervene(self.interventions.pop(0))
                if self.order.status in FINAL_STATUSES:
                    self._cancel_open(self.order.rejection_reason or "order closed", "system")
                continue
            if self._cancel_due():
                request = self.order.cancel_request
                assert request is not None  # _cancel_due: a cancel was asked for
                self._cancel_open(request.reason or "cancelled by the buyer", request.actor.id)
                continue
            rejected = self._open_rejection()
            if rejected is not None and self.order.cancel_request is None:
                await self._decide(rejected)
                if self.order.status in FINAL_STATUSES:
                    self._cancel_open(self.order.rejection_reason or "order closed", "system")
                continue
            if self._all_closed():
                break
            # A pass that did nothing: here old code spun once a cancel was recorded (a rejection or
            # an intervention was left that nobody may decide any more) until the deadlock detector
            # failed the order. No command was ever issued on this path, so settling is replay-safe.
            self._settle_open_questions()

    def _all_closed(self) -> bool:
        return all(task.done() for task in self.finished.values()) and all(
            sid in self.resolved or view.status != SubOrderStatus.REJECTED for sid, view in self.subs.items()
        )

    def _open_rejection(self) -> SubOrderView | None:
        for sid, view in self.subs.items():
            if view.status == SubOrderStatus.REJECTED and sid not in self.resolved:
                return view
        return None

    def _cancel_due(self) -> bool:
        return self.order.cancel_request is not None and self._closing_cancel_due()

    def _cancel_open(self, reason: str, actor: str) -> None:
        for sid, handle in self.handles.items():
            if sid in self.cancel_sent or self.subs[sid].status in CLOSED_SUBORDER:
                continue
            self.cancel_sent.add(sid)
            request = SubOrderCancel(reason=reason, actor=SYSTEM.model_copy(update={"id": actor}))
            self.finished[f"{sid}.cancel"] = asyncio.create_task(self._send_cancel(handle, request))

    @staticmethod
    async def _send_cancel(handle: workflow.ChildWorkflowHandle, request: SubOrderCancel) -> None:
        try:
            await handle.signal(SubOrderWorkflow.cancel, request)
        except Exception:  # noqa: BLE001 - the sub-order closed meanwhile; its result tells the rest
            workflow.logger.info("sub-order %s closed before the cancel arrived", handle.id)

    async def _decide(self, rejected: SubOrderView) -> None:
        pending = PendingApproval(
            kind=ApprovalKind.SUBORDER_REJECTED,
            role="expert",
            since=workflow.now(),
            reason=f"{rejected.partner_id} rejected sub-order {rejected.suborder_id}: {rejected.reason}",
            suborder_id=rejected.suborder_id,
            options=DECISION_OPTIONS,
        )
        decision = await self.order.await_decision(OrderStatus.AWAITING_EXPERT_APPROVAL, pending)
        self.resolved.add(rejected.suborder_id)
        if decision is None:
            return
        assert isinstance(decision, SubOrderDecision)
        await self._apply(decision, rejected, pending.reason)

    def why_not_intervene(self, decision: SubOrderDecision, *, state_known: bool = True) -> str | None:
        """Why the expert cannot take `decision` on an open sub-order now (None: they can).
        `state_known` False: what the sub-order reported is not checked (orders of new code learn it
        from the record, in the update's handler: `refresh`)."""
        if self.order.closing():
            being = " and being cancelled" if self.order.cancel_request else ""
            return f"the order is {self.order.status.value}{being}"
        if decision.suborder_id is None:
            return "the order is not waiting for a sub-order decision"
        view = self.subs.get(decision.suborder_id)
        if view is None:
            return f"no sub-order {decision.suborder_id} on this order"
        if decision.action == "resend":
            return "resend is for rejected sub-orders; reassign a stuck one to another unit"
        if not state_known:
            return None
        if not view.escalated or view.status not in (SubOrderStatus.SENT, SubOrderStatus.ACCEPTED):
            return (
                f"sub-order {view.suborder_id} is {view.status.value}"
                f"{'' if view.escalated else ' and not escalated'}: nothing to decide"
            )
        return None

    async def refresh(self, suborder_id: str) -> None:
        """What the sub-order reported, from the record (it tells its order only of escalations;
        the record has every step, written before the unit got its answer)."""
        if suborder_id not in self.subs or self.subs[suborder_id].status in CLOSED_SUBORDER:
            return
        stored = await workflow.execute_local_activity_method(
            OrderActivities.suborder_state, suborder_id, **options.LOCAL
        )
        if stored is not None and stored.status not in CLOSED_SUBORDER:  # a closed one reports by its result
            known = self.subs[suborder_id]
            self.subs[suborder_id] = known.model_copy(
                update={"status": stored.status, "escalated": known.escalated or stored.escalated}
            )

    async def _intervene(self, decision: SubOrderDecision) -> None:
        """Withdraws a stuck sub-order from its unit, then applies the expert's decision."""
        assert decision.suborder_id is not None  # the validator (why_not_intervene) checked it
        if self.order.v2 and (problem := self.why_not_intervene(decision)):  # the sub-order moved meanwhile
            self.order.record("system", f"suborder.{decision.action}.dropped", f"{decision.suborder_id}: {problem}")
            return
        view = self.subs[decision.suborder_id]
        self.resolved.add(view.suborder_id)
        self.cancel_sent.add(view.suborder_id)
        request = SubOrderCancel(reason=f"withdrawn by {decision.actor.id}", actor=decision.actor)
        self.finished[f"{view.suborder_id}.cancel"] = asyncio.create_task(
            self._send_cancel(self.handles[view.suborder_id], request)
        )
        await self._apply(decision, view, f"sub-order {view.suborder_id} escalated")

    async def _apply(self, decision: SubOrderDecision, view: SubOrderView, why: str) -> None:
        line_nos = [line.line_no for line in view.lines]
        if decision.action == "cancel_order":
            self.order.reject(decision.actor.id, "order.rejected", f"rejected by {decision.actor.id} after {why}")
            return
        if decision.action == "drop":
            self.dropped.update(line_nos)
            self.order.record(decision.actor.id, "lines.dropped", f"lines {line_nos} removed from the order")
        else:
            unit = view.partner_id if decision.action == "resend" else decision.partner_id
            assert unit is not None  # the validator refuses a reassign without partner_id
            if self.order.v2:  # the decision's answer shows where the order went
                self.order.set_status(OrderStatus.IN_FULFILLMENT)
            await self._start(unit, line_nos)
        self.order.set_status(OrderStatus.IN_FULFILLMENT)

    async def _start(self, unit: str, line_nos: list[int]) -> None:
        order_id = self.order.placement.order_id
        attempt = 1 + sum(1 for view in self.subs.values() if view.partner_id == unit)
        sid = f"{order_id}-{unit}" + (f"-{attempt}" if attempt > 1 else "")
        policy = self.order.placement.policy
        lines = [
            SubOrderLine(
                line_no=n,
                sku=self.lines[n].sku,
                name=self.lines[n].name,
                quantity=self.lines[n].quantity,
                configuration=self.lines[n].configuration,
            )
            for n in line_nos
        ]
        assert self.order.validated is not None  # fulfilment follows validation
        placement = self.order.placement
        start = SubOrderStart(
            suborder_id=sid,
            order_id=order_id,
            partner_id=unit,
            customer_id=self.order.validated.customer_id,
            lines=lines,
            delivery_address=placement.delivery_address,
            delivery_contact=placement.delivery_contact or placement.buyer.id,
            accept_timeout=policy.partner_accept_timeout,
            ship_timeout=policy.partner_ship_timeout,
            deliver_timeout=policy.partner_deliver_timeout,
            attention_after=policy.attention_after,
            engine=names.CURRENT_ENGINE if self.order.lean else 0,
        )
        attributes = TypedSearchAttributes(
            [
                SearchAttributePair(names.ORDER_ID, order_id),
                SearchAttributePair(names.PARTNER_ID, unit),
                SearchAttributePair(names.CUSTOMER_ID, start.customer_id),
                SearchAttributePair(names.SUBORDER_STATUS, SubOrderStatus.SENT.value),
            ]
        )
        if self.order.v2:
            # an order that ends (also by an operator's terminate) asks its open sub-orders to cancel,
            # and they tell their units; the units see no prices, so the memo carries none either
            handle = await workflow.start_child_workflow(
                SubOrderWorkflow.run,
                start,
                id=names.suborder_workflow_id(sid),
                search_attributes=attributes,
                memo={names.MEMO_ORDER_ID: order_id},
                parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
            )
        else:
            handle = await workflow.start_child_workflow(
                SubOrderWorkflow.run,
                start,
                id=names.suborder_workflow_id(sid),
                search_attributes=attributes,
                memo={names.MEMO_ORDER_ID: order_id, names.MEMO_LINES: [li.model_dump(mode="json") for li in lines]},
            )
        # listed only once the child exists, so a partner told about it can always reach it
        self.subs[sid] = SubOrderView(
            suborder_id=sid,
            order_id=order_id,
            partner_id=unit,
            status=SubOrderStatus.SENT,
            lines=lines,
            delivery_address=start.delivery_address,
            delivery_contact=start.delivery_contact,
            sent_at=workflow.now(),
            updated_at=workflow.now(),
        )
        self.handles[sid] = handle
        self.order.record("system", "suborder.sent", f"{sid}: sent to {unit}")
        self.finished[sid] = asyncio.create_task(self._follow(sid, handle))

    async def _follow(self, sid: str, handle: workflow.ChildWorkflowHandle) -> None:
        try:
            self.subs[sid] = await handle
        except ChildWorkflowError as err:  # terminated by an operator: treat as rejected
            self.subs[sid] = self.subs[sid].model_copy(
                update={"status": SubOrderStatus.REJECTED, "reason": f"sub-order workflow ended: {err.cause or err}"}
            )
