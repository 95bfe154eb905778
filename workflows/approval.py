"""The order's approvals: what the customer's approvers or the seller's expert are asked, the wait
for their decision (reminder, escalation, timeout), and the rules behind the `decide` and
`decide_suborder` updates: who may decide and how a decision is recorded. An order waits for one
decision at a time; this holds it, and the decisions taken so far."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from core import temporal_names as names
    from models.actors import Actor
    from models.approvals import (
        ApprovalDecision,
        ApprovalKind,
        ApprovalRecord,
        PendingApproval,
        SubOrderDecision,
    )
    from models.orders import FINAL_STATUSES, OrderStatus
    from workflows.escalation import wait_escalating
    from workflows.order_context import OrderContext


class Approvals:
    def __init__(self, order: OrderContext) -> None:
        self.order = order
        self.pending: PendingApproval | None = None
        self.decision: ApprovalDecision | SubOrderDecision | None = None
        self.records: list[ApprovalRecord] = []

    # --- the waits ------------------------------------------------------------------------------

    async def granted(self, kind: ApprovalKind, reason: str | None = None) -> bool:
        """Waits for an approve/reject; the wait reminds, escalates and finally rejects. False: the
        order was rejected or cancelled (and is finished)."""
        v = self.order.validated
        assert v is not None
        if kind == ApprovalKind.CUSTOMER:
            status = OrderStatus.AWAITING_CUSTOMER_APPROVAL
            reason = "; ".join(v.approval_reasons) or (
                f"net total {v.net_total} {v.currency} exceeds the buyer's order limit {v.order_limit}"
            )
            pending = PendingApproval(
                kind=kind,
                role="approver",
                customer_id=v.customer_id,
                approver_customer_ids=v.approver_customer_ids,
                reason=reason,
                since=workflow.now(),
            )
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
            self.order.reject(
                decision.actor.id, "order.rejected", f"rejected by {decision.actor.id}: {decision.comment}".rstrip(": ")
            )
            return False
        return True

    async def await_decision(self, status: OrderStatus, pending: PendingApproval):
        """Parks the order on `pending` until someone decides. None: cancelled or timed out
        (and the order is then finished)."""
        order = self.order
        self.pending, self.decision = pending, None
        order.set_status(status)
        order.record("system", "approval.requested", pending.reason)
        await self._notify(pending, "request", f"Order {order.placement.order_id} awaits your decision")

        async def on_stage(stage: str) -> None:
            order.record("system", f"approval.{stage}", f"still waiting for the {pending.role}")
            if stage == "reminder":
                await self._notify(pending, stage, f"Reminder: order {order.placement.order_id} awaits your decision")
            else:  # escalation: the seller's experts chase it
                await self._notify(
                    PendingApproval(kind=pending.kind, role="expert", reason=pending.reason, since=pending.since),
                    stage,
                    f"Escalation: order {order.placement.order_id} waits for a {pending.role}",
                )

        decided = await wait_escalating(
            lambda: self.decision is not None or order.cancel_request is not None,
            order.placement.policy.approval,
            on_stage,
        )
        self.pending = None
        if order.cancelled():
            return None
        if not decided:
            order.reject(
                "system",
                "approval.timeout",
                f"no decision by an {pending.role} within {order.placement.policy.approval.timeout}",
            )
            return None
        return self.decision

    async def _notify(self, pending: PendingApproval, stage: str, subject: str) -> None:
        key = f"{pending.kind.value}.{stage}"
        if pending.role != "approver":
            await self.order.notify_role(pending.role, None, key, subject, pending.reason)
            return
        # everyone who may decide is told: the customer's approvers and those of its parents
        await self.order.notify_role("approver", pending.customer_id, key, subject, pending.reason)
        for customer in pending.approver_customer_ids:
            if customer != pending.customer_id:
                await self.order.notify_role("approver", customer, f"{key}.{customer}", subject, pending.reason)

    # --- the decide updates ---------------------------------------------------------------------

    def decide(self, decision: ApprovalDecision) -> None:
        """For a rejected sub-order: approve = resend to the same unit, reject = reject the order."""
        if self.pending is not None and self.pending.kind == ApprovalKind.SUBORDER_REJECTED:
            action = "resend" if decision.decision == "approve" else "cancel_order"
            self.decision = SubOrderDecision(action=action, comment=decision.comment, actor=decision.actor)
        else:
            self.decision = decision
        self._record(decision.decision, decision.comment, decision.actor)

    def decide_suborder(self, decision: SubOrderDecision) -> None:
        if self.pending is not None and self.pending.kind == ApprovalKind.SUBORDER_REJECTED:
            self.decision = decision
            self._record(decision.action, decision.comment, decision.actor)
        else:  # an escalated sub-order that its unit does not move
            self.order.queue_intervention(decision)
            self.order.record(
                decision.actor.id,
                f"suborder.{decision.action}",
                f"{decision.suborder_id}: {decision.comment}".rstrip(": "),
            )

    def decides_rejection(self, decision: SubOrderDecision) -> bool:
        """Whether `decision` answers the rejected sub-order the order waits for (else it is an
        intervention on an escalated one)."""
        pending = self.pending
        return (
            pending is not None
            and pending.kind == ApprovalKind.SUBORDER_REJECTED
            and decision.suborder_id in (None, pending.suborder_id)
        )

    def check_suborder_decision(self, decision: SubOrderDecision) -> None:
        """The validator of `decide_suborder`: raises the refusal."""
        self._check_open()
        if decision.action == "reassign" and not decision.partner_id:
            raise ApplicationError("reassign needs partner_id", type=names.INVALID)
        if self.decides_rejection(decision):
            self.check_may_decide(decision.actor)
            return
        if not ("expert" in decision.actor.roles and decision.actor.is_seller_staff):
            raise ApplicationError(
                f"sub-order decisions are the expert's, not {decision.actor.id}'s", type=names.CONFLICT
            )
        problem = self.order.why_not_intervene(decision)
        if problem:
            raise ApplicationError(problem, type=names.CONFLICT)

    def check_may_decide(self, actor: Actor) -> None:
        """Raises the refusal unless the order waits for a decision that `actor` may take."""
        self._check_open()
        pending = self.pending
        if pending is None or self.decision is not None:
            raise ApplicationError("the order is not waiting for an approval", type=names.CONFLICT)
        if pending.role == "approver":
            allowed = (
                "approver" in actor.roles
                and actor.customer_id in pending.approver_customer_ids
                and actor.id != self.order.placement.buyer.id
            )  # four eyes: not one's own order
        else:
            allowed = "expert" in actor.roles and actor.is_seller_staff
        if not allowed:
            raise ApplicationError(f"the order waits for a {pending.role}, not for {actor.id}", type=names.CONFLICT)

    def _check_open(self) -> None:
        """Once a cancel is recorded or the order is final, no decision is taken any more."""
        order = self.order
        if order.status in FINAL_STATUSES:
            raise ApplicationError(f"the order is {order.status.value}: no decision can be taken", type=names.CONFLICT)
        if order.cancel_request is not None:
            raise ApplicationError("the order is being cancelled: no decision can be taken", type=names.CONFLICT)

    def _record(self, decision: str, comment: str, actor: Actor) -> None:
        assert self.pending is not None
        self.records.append(
            ApprovalRecord(
                kind=self.pending.kind, decision=decision, comment=comment, actor=actor.id, at=workflow.now()
            )
        )
        self.order.record(actor.id, f"approval.{decision}", comment)
