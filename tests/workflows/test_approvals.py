"""Customer approval (order limit exceeded) and expert approval (items that need review)."""

from datetime import timedelta
from decimal import Decimal

from models.actors import Actor
from models.approvals import ApprovalDecision, ApprovalKind
from models.orders import OrderLineRequest, OrderStatus
from notifications.service import inbox
from tests.workflows.helpers import (
    ACME_AT_BUYER,
    APPROVER,
    BIG_SWITCHES,
    BUYER,
    CABLES,
    EXPERT,
    GLOBEX_APPROVER,
    INSTALL,
    events,
    notifications,
    placement,
    refused,
    start,
    status,
    suborder,
    wait_for,
)
from workflows.order import OrderWorkflow


def awaiting(kind: ApprovalKind):
    return lambda v: v.pending_approval is not None and v.pending_approval.kind == kind


def decision(actor: Actor, verdict: str = "approve", comment: str = "") -> ApprovalDecision:
    return ApprovalDecision(decision=verdict, comment=comment, actor=actor)


async def test_over_limit_order_waits_for_the_customers_approver_and_continues(client, task_queue):
    handle = await start(client, task_queue, placement(BIG_SWITCHES))
    view = await wait_for(handle, awaiting(ApprovalKind.CUSTOMER))
    assert view.status == OrderStatus.AWAITING_CUSTOMER_APPROVAL
    assert view.net_total == Decimal("5800.00")
    pending = view.pending_approval
    assert pending.role == "approver" and pending.customer_id == "acme"
    assert "5800.00" in pending.reason and "5000.00" in pending.reason
    assert view.suborders == []  # nothing goes to a delivery unit before the approval

    view = await handle.execute_update(OrderWorkflow.decide, decision(APPROVER, comment="budget ok"))
    assert [(a.kind, a.decision, a.actor) for a in view.approvals] == [
        (ApprovalKind.CUSTOMER, "approve", "approver@acme.example")
    ]

    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and v.suborders)
    assert view.pending_approval is None
    assert suborder(view, "netpartner").lines[0].quantity == 4
    assert "approval.approve" in events(view)


async def test_approver_rejects_the_order(client, task_queue):
    handle = await start(client, task_queue, placement(BIG_SWITCHES))
    await wait_for(handle, awaiting(ApprovalKind.CUSTOMER))
    await handle.execute_update(OrderWorkflow.decide, decision(APPROVER, "reject", "not in this year's budget"))
    result = await handle.result()
    assert result.status == OrderStatus.REJECTED
    assert result.rejection_reason == "rejected by approver@acme.example: not in this year's budget"
    assert result.suborders == [] and result.invoices == []
    assert events(result)[-1] == "order.rejected"


async def test_only_an_approver_of_the_customer_may_decide(client, task_queue):
    handle = await start(client, task_queue, placement(BIG_SWITCHES))
    await wait_for(handle, awaiting(ApprovalKind.CUSTOMER))
    for wrong in (BUYER, GLOBEX_APPROVER, EXPERT):
        message = await refused(handle.execute_update(OrderWorkflow.decide, decision(wrong)), "Conflict")
        assert wrong.id in message and "approver" in message
    view = await status(handle)
    assert view.status == OrderStatus.AWAITING_CUSTOMER_APPROVAL and view.approvals == []
    assert not any(e.startswith("approval.approve") for e in events(view))  # refusals leave no trace

    await handle.execute_update(OrderWorkflow.decide, decision(APPROVER))
    await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT)
    # decided already: a second decision is refused
    await refused(handle.execute_update(OrderWorkflow.decide, decision(APPROVER, "reject")), "Conflict")


async def test_an_approver_may_not_approve_an_own_order(client, task_queue):
    # approver@acme is a buyer too, with a limit of 50000.00: 35 switches (50750.00) exceed it
    big = OrderLineRequest(sku="SW-24-PRO", quantity=35, configuration={"hw_version": "B2", "sw_version": "7.2"})
    handle = await start(client, task_queue, placement(big, buyer=APPROVER))
    await wait_for(handle, awaiting(ApprovalKind.CUSTOMER))
    await refused(handle.execute_update(OrderWorkflow.decide, decision(APPROVER)), "Conflict")


async def test_parent_customers_approver_approves_a_subsidiarys_order(client, task_queue, engine):
    ups = OrderLineRequest(sku="PWR-UPS-AT", quantity=9)  # 9 x 589.00 = 5301.00 > 5000.00
    p = placement(ups, buyer=ACME_AT_BUYER)
    handle = await start(client, task_queue, p)
    view = await wait_for(handle, awaiting(ApprovalKind.CUSTOMER))
    assert view.pending_approval.customer_id == "acme-at"
    assert view.pending_approval.approver_customer_ids == ["acme-at", "acme"]
    # ACME Austria has no approver of its own: the parent's approvers, who may decide, are told
    await wait_for(handle, lambda _: len(notifications(engine, p.order_id)) >= 2)  # told after the wait shows
    assert {(n.role, n.customer_id) for n in notifications(engine, p.order_id)} == {
        ("approver", "acme-at"),
        ("approver", "acme"),
    }
    assert p.order_id in [n.order_id for n in inbox(engine, APPROVER)]
    await handle.execute_update(OrderWorkflow.decide, decision(APPROVER))
    await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT)


async def test_unanswered_approval_reminds_escalates_and_finally_rejects(client, task_queue, time_env, engine):
    # POLICY: reminder after 1 h, escalation after 4 h, timeout after 1 day
    p = placement(BIG_SWITCHES)
    handle = await start(client, task_queue, p)
    await wait_for(handle, awaiting(ApprovalKind.CUSTOMER))
    await wait_for(handle, lambda _: notifications(engine, p.order_id))  # told after the wait shows
    sent = notifications(engine, p.order_id)
    assert [(n.role, n.customer_id) for n in sent] == [("approver", "acme")]
    assert ".customer.request." in sent[0].key

    await time_env.sleep(timedelta(hours=2))
    view = await wait_for(handle, lambda v: "approval.reminder" in events(v))
    assert "approval.escalation" not in events(view)
    assert view.status == OrderStatus.AWAITING_CUSTOMER_APPROVAL
    reminders = [n for n in notifications(engine, p.order_id) if ".customer.reminder." in n.key]
    assert [(n.role, n.customer_id) for n in reminders] == [("approver", "acme")]
    assert reminders[0].subject.startswith("Reminder: order")

    await time_env.sleep(timedelta(hours=3))
    view = await wait_for(handle, lambda v: "approval.escalation" in events(v))
    assert view.status == OrderStatus.AWAITING_CUSTOMER_APPROVAL
    escalations = [n for n in notifications(engine, p.order_id) if ".customer.escalation." in n.key]
    assert [(n.role, n.customer_id) for n in escalations] == [("expert", None)]  # the seller chases it

    await time_env.sleep(timedelta(hours=20))  # past the final timeout, 1 day after the request
    result = await handle.result()
    assert result.status == OrderStatus.REJECTED
    assert events(result)[-4:] == ["approval.requested", "approval.reminder", "approval.escalation", "approval.timeout"]
    assert result.rejection_reason == "no decision by an approver within 1 day, 0:00:00"
    # every mark counts from the request (the activities in between take a moment of real time)
    requested, reminded, escalated, timed_out = (entry.at for entry in result.timeline[-4:])
    assert timedelta(hours=1) <= reminded - requested < timedelta(hours=2)
    assert timedelta(hours=4) <= escalated - requested < timedelta(hours=5)
    assert timedelta(days=1) <= timed_out - requested < timedelta(days=1, hours=1)
    assert result.pending_approval is None
    assert len(notifications(engine, p.order_id)) == 3  # request, reminder, escalation


async def test_expert_approves_an_item_that_needs_review(client, task_queue):
    handle = await start(client, task_queue, placement(INSTALL))
    view = await wait_for(handle, awaiting(ApprovalKind.EXPERT))
    assert view.status == OrderStatus.AWAITING_EXPERT_APPROVAL
    assert view.pending_approval.role == "expert"
    assert "SVC-INSTALL-ONSITE" in view.pending_approval.reason
    for wrong in (BUYER, APPROVER):
        await refused(handle.execute_update(OrderWorkflow.decide, decision(wrong)), "Conflict")
    # a customer's user who claims the expert role is still not the seller's expert
    fake = Actor(id="buyer@acme.example", roles=["expert"], customer_id="acme")
    await refused(handle.execute_update(OrderWorkflow.decide, decision(fake)), "Conflict")

    await handle.execute_update(OrderWorkflow.decide, decision(EXPERT, comment="site survey done"))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and v.suborders)
    assert suborder(view, "installco").lines[0].sku == "SVC-INSTALL-ONSITE"
    assert [(a.kind, a.actor) for a in view.approvals] == [(ApprovalKind.EXPERT, "expert@seller.example")]


async def test_expert_rejects_an_item_that_needs_review(client, task_queue):
    handle = await start(client, task_queue, placement(INSTALL, CABLES))
    await wait_for(handle, awaiting(ApprovalKind.EXPERT))
    await handle.execute_update(OrderWorkflow.decide, decision(EXPERT, "reject", "site not ready"))
    result = await handle.result()
    assert result.status == OrderStatus.REJECTED
    assert result.rejection_reason == "rejected by expert@seller.example: site not ready"
    assert result.suborders == []


async def test_customer_then_expert_approval(client, task_queue):
    handle = await start(client, task_queue, placement(BIG_SWITCHES, INSTALL))
    await wait_for(handle, awaiting(ApprovalKind.CUSTOMER))
    # the expert is not asked before the customer has approved
    await refused(handle.execute_update(OrderWorkflow.decide, decision(EXPERT)), "Conflict")
    await handle.execute_update(OrderWorkflow.decide, decision(APPROVER))

    view = await wait_for(handle, awaiting(ApprovalKind.EXPERT))
    assert view.status == OrderStatus.AWAITING_EXPERT_APPROVAL
    await refused(handle.execute_update(OrderWorkflow.decide, decision(APPROVER)), "Conflict")
    await handle.execute_update(OrderWorkflow.decide, decision(EXPERT))

    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and len(v.suborders) == 2)
    assert [(a.kind, a.decision) for a in view.approvals] == [
        (ApprovalKind.CUSTOMER, "approve"),
        (ApprovalKind.EXPERT, "approve"),
    ]
    assert {s.partner_id for s in view.suborders} == {"netpartner", "installco"}
    assert events(view).count("approval.requested") == 2
