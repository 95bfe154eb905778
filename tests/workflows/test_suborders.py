"""Sub-orders: a delivery unit's progress events, their timeouts, and the expert's decision when a
unit rejects its part of the order."""

from datetime import timedelta
from decimal import Decimal

from core import temporal_names as names
from invoicing.issuing import get_invoice
from models.approvals import ApprovalDecision, ApprovalKind, SubOrderDecision
from models.invoices import PaymentIn
from models.orders import OrderStatus
from models.suborders import SubOrderStatus
from tests.workflows.helpers import (
    BUYER,
    CABLES,
    EXPERT,
    FINANCE,
    SWITCH,
    deliver,
    events,
    notifications,
    placement,
    refused,
    report,
    start,
    status,
    suborder,
    unit_actor,
    wait_for,
)
from workflows.order import OrderWorkflow
from workflows.suborder import SubOrderWorkflow


def in_fulfilment(count: int):
    return lambda v: v.status == OrderStatus.IN_FULFILLMENT and len(v.suborders) == count


def awaiting_suborder_decision(v) -> bool:
    return v.pending_approval is not None and v.pending_approval.kind == ApprovalKind.SUBORDER_REJECTED


async def suborder_view(client, suborder_id: str):
    return await client.get_workflow_handle_for(SubOrderWorkflow.run, names.suborder_workflow_id(suborder_id)).query(
        SubOrderWorkflow.view
    )


async def test_each_missed_deadline_escalates_and_the_suborder_still_completes(client, task_queue, time_env, engine):
    # POLICY: accept within 2 days, ship within 5, deliver within 10
    p = placement(SWITCH)
    handle = await start(client, task_queue, p)
    view = await wait_for(handle, in_fulfilment(1))
    sid = view.suborders[0].suborder_id

    await time_env.sleep(timedelta(days=3))
    view = await wait_for(handle, lambda v: "suborder.escalated" in events(v))
    assert suborder(view, "netpartner").escalated
    assert suborder(view, "netpartner").status == SubOrderStatus.SENT
    entry = next(e for e in view.timeline if e.event == "suborder.escalated")
    assert entry.detail == f"{sid}: netpartner did not report ACCEPTED within 2 days, 0:00:00"

    await report(client, sid, "netpartner", "accepted")
    await time_env.sleep(timedelta(days=6))
    view = await wait_for(handle, lambda v: events(v).count("suborder.escalated") == 2)
    assert "did not report SHIPPED" in [e for e in view.timeline if e.event == "suborder.escalated"][-1].detail

    await report(client, sid, "netpartner", "shipped", tracking="DHL-123")
    await time_env.sleep(timedelta(days=11))
    view = await wait_for(handle, lambda v: events(v).count("suborder.escalated") == 3)
    assert suborder(view, "netpartner").tracking == "DHL-123"

    await report(client, sid, "netpartner", "delivered")
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    assert suborder(view, "netpartner").status == SubOrderStatus.DELIVERED
    assert suborder(view, "netpartner").escalated
    assert view.invoices[0].net_total == Decimal("1450.00")
    escalations = [n for n in notifications(engine, p.order_id) if ".escalated." in n.key]
    assert len(escalations) == 3 and {n.role for n in escalations} == {"expert"}
    sub = await suborder_view(client, sid)
    assert [e.event for e in sub.timeline] == [
        "suborder.sent",
        "suborder.escalated",
        "suborder.accepted",
        "suborder.escalated",
        "suborder.shipped",
        "suborder.escalated",
        "suborder.delivered",
    ]


async def test_illegal_transition_is_refused(client, task_queue):
    handle = await start(client, task_queue, placement(CABLES))
    view = await wait_for(handle, in_fulfilment(1))
    sid = view.suborders[0].suborder_id
    message = await refused(report(client, sid, "central-warehouse", "shipped"), "Conflict")
    assert message == f"suborder.shipped is not possible: sub-order {sid} is SENT"
    await report(client, sid, "central-warehouse", "accepted")
    await refused(report(client, sid, "central-warehouse", "accepted"), "Conflict")  # a second, new accept
    assert (await suborder_view(client, sid)).status == SubOrderStatus.ACCEPTED


async def test_event_from_another_delivery_unit_is_refused(client, task_queue):
    handle = await start(client, task_queue, placement(CABLES))
    view = await wait_for(handle, in_fulfilment(1))
    sid = view.suborders[0].suborder_id
    message = await refused(
        report(client, sid, "central-warehouse", "accepted", actor=unit_actor("netpartner")), "NotFound"
    )
    assert message == "no such sub-order for this delivery unit"
    # the right unit, but another sub-order's id
    await refused(
        client.get_workflow_handle(names.suborder_workflow_id(sid)).execute_update(
            SubOrderWorkflow.report,
            {
                "type": "suborder.accepted",
                "suborder_id": "T-OTHER-central-warehouse",
                "event_id": "e-1",
                "actor": unit_actor("central-warehouse").model_dump(),
            },
        ),
        "NotFound",
    )
    sub = await suborder_view(client, sid)
    assert sub.status == SubOrderStatus.SENT and [e.event for e in sub.timeline] == ["suborder.sent"]


async def test_a_replayed_event_id_has_no_second_effect(client, task_queue):
    handle = await start(client, task_queue, placement(CABLES))
    view = await wait_for(handle, in_fulfilment(1))
    sid = view.suborders[0].suborder_id
    first = await report(client, sid, "central-warehouse", "accepted", event_id="wh-1")
    again = await report(client, sid, "central-warehouse", "accepted", event_id="wh-1")
    assert first.status == again.status == SubOrderStatus.ACCEPTED
    await report(client, sid, "central-warehouse", "shipped", event_id="wh-2", tracking="T-1")
    # a late replay of the accept is not refused, and does not move the sub-order back
    late = await report(client, sid, "central-warehouse", "accepted", event_id="wh-1")
    assert late.status == SubOrderStatus.SHIPPED
    sub = await suborder_view(client, sid)
    assert [e.event for e in sub.timeline] == ["suborder.sent", "suborder.accepted", "suborder.shipped"]
    view = await wait_for(handle, lambda v: suborder(v, "central-warehouse").status == SubOrderStatus.SHIPPED)
    assert events(view).count("suborder.accepted") == 1


async def rejected_switch(client, task_queue, *lines):
    """An order of a switch (netpartner) and cables (central warehouse) whose switch part
    netpartner rejects; returns the order's handle and the rejected sub-order id."""
    handle = await start(client, task_queue, placement(SWITCH, CABLES, *lines))
    view = await wait_for(handle, in_fulfilment(2))
    sid = suborder(view, "netpartner").suborder_id
    await report(client, sid, "netpartner", "rejected", reason="out of stock")
    view = await wait_for(handle, awaiting_suborder_decision)
    assert view.status == OrderStatus.AWAITING_EXPERT_APPROVAL
    pending = view.pending_approval
    assert pending.role == "expert" and pending.suborder_id == sid
    assert pending.reason == f"netpartner rejected sub-order {sid}: out of stock"
    assert pending.options == ["resend", "reassign", "drop", "cancel_order"]
    return handle, sid


async def test_expert_resends_a_rejected_suborder_to_the_same_unit(client, task_queue):
    handle, sid = await rejected_switch(client, task_queue)
    await refused(
        handle.execute_update(OrderWorkflow.decide_suborder, SubOrderDecision(action="resend", actor=BUYER)), "Conflict"
    )
    await handle.execute_update(
        OrderWorkflow.decide_suborder, SubOrderDecision(action="resend", comment="stock arrived", actor=EXPERT)
    )
    view = await wait_for(handle, in_fulfilment(3))
    resent = suborder(view, "netpartner")
    assert resent.suborder_id == f"{sid}-2" and resent.status == SubOrderStatus.SENT
    assert [line.sku for line in resent.lines] == ["SW-24-PRO"]
    assert view.approvals[-1].decision == "resend" and view.approvals[-1].kind == ApprovalKind.SUBORDER_REJECTED

    await deliver(client, resent.suborder_id, "netpartner")
    await deliver(client, suborder(view, "central-warehouse").suborder_id, "central-warehouse")
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    assert view.invoices[0].net_total == Decimal("1492.00")  # both lines delivered


async def test_expert_reassigns_a_rejected_suborder_to_another_unit(client, task_queue):
    handle, _sid = await rejected_switch(client, task_queue)
    await refused(
        handle.execute_update(OrderWorkflow.decide_suborder, SubOrderDecision(action="reassign", actor=EXPERT)),
        "Invalid",
    )  # reassign needs the unit
    await handle.execute_update(
        OrderWorkflow.decide_suborder, SubOrderDecision(action="reassign", partner_id="central-warehouse", actor=EXPERT)
    )
    view = await wait_for(handle, in_fulfilment(3))
    assert [s.suborder_id for s in view.suborders if s.partner_id == "central-warehouse"] == [
        f"{names.order_id_of(handle.id)}-central-warehouse",
        f"{names.order_id_of(handle.id)}-central-warehouse-2",
    ]
    reassigned = suborder(view, "central-warehouse")
    assert [line.line_no for line in reassigned.lines] == [1]
    for s in view.suborders:
        if s.status == SubOrderStatus.SENT:
            await deliver(client, s.suborder_id, s.partner_id)
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    assert view.invoices[0].net_total == Decimal("1492.00")


async def test_expert_drops_the_rejected_lines_and_the_invoice_covers_the_rest(client, task_queue, engine):
    handle, _sid = await rejected_switch(client, task_queue)
    await handle.execute_update(
        OrderWorkflow.decide_suborder, SubOrderDecision(action="drop", comment="customer agreed", actor=EXPERT)
    )
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and "lines.dropped" in events(v))
    assert len(view.suborders) == 2  # nothing resent
    await deliver(client, suborder(view, "central-warehouse").suborder_id, "central-warehouse")
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    summary = view.invoices[0]
    assert (summary.net_total, summary.vat_total, summary.gross_total) == (
        Decimal("42.00"),
        Decimal("7.98"),
        Decimal("49.98"),
    )
    invoice = get_invoice(engine, summary.invoice_id)
    assert [(line.line_no, line.sku) for line in invoice.lines] == [(2, "CBL-CAT6-5M")]
    await handle.execute_update(
        OrderWorkflow.record_payment,
        PaymentIn(invoice_id=summary.invoice_id, amount=Decimal("49.98"), reference="BANK-DROP", actor=FINANCE),
    )
    assert (await handle.result()).status == OrderStatus.PAID


async def test_dropping_the_only_lines_cancels_the_order(client, task_queue):
    handle = await start(client, task_queue, placement(SWITCH))
    view = await wait_for(handle, in_fulfilment(1))
    await report(client, view.suborders[0].suborder_id, "netpartner", "rejected")
    view = await wait_for(handle, awaiting_suborder_decision)
    assert view.pending_approval.reason.endswith(": no reason given")
    await handle.execute_update(OrderWorkflow.decide_suborder, SubOrderDecision(action="drop", actor=EXPERT))
    result = await handle.result()
    assert result.status == OrderStatus.CANCELLED and result.invoices == []
    assert result.timeline[-1].detail == "no line was delivered"


async def test_expert_cancels_the_order_and_open_suborders_are_cancelled(client, task_queue, engine):
    handle, sid = await rejected_switch(client, task_queue)
    await handle.execute_update(
        OrderWorkflow.decide_suborder, SubOrderDecision(action="cancel_order", comment="no alternative", actor=EXPERT)
    )
    result = await handle.result()
    assert result.status == OrderStatus.REJECTED
    assert (
        result.rejection_reason
        == f"rejected by expert@seller.example after netpartner rejected sub-order {sid}: out of stock"
    )
    assert {s.partner_id: s.status for s in result.suborders} == {
        "netpartner": SubOrderStatus.REJECTED,
        "central-warehouse": SubOrderStatus.CANCELLED,
    }
    assert result.invoices == []
    cables = suborder(result, "central-warehouse").suborder_id
    # the unit is told its sub-order is cancelled
    assert any(
        n.key == f"{cables}.cancelled" and n.delivery_unit_id == "central-warehouse"
        for n in notifications(engine, result.order_id)
    )


async def test_no_expert_decision_in_time_rejects_the_order(client, task_queue, time_env):
    handle, _sid = await rejected_switch(client, task_queue)
    await time_env.sleep(timedelta(days=1, hours=1))  # POLICY: the approval timeout is 1 day
    await wait_for(handle, lambda v: v.status == OrderStatus.REJECTED)
    result = await handle.result()
    stages = [e for e in events(result) if e.startswith("approval.")]
    assert stages == ["approval.requested", "approval.reminder", "approval.escalation", "approval.timeout"]
    assert suborder(result, "central-warehouse").status == SubOrderStatus.CANCELLED
    assert result.rejection_reason == "no decision by an expert within 1 day, 0:00:00"


async def test_decide_approve_resends_a_rejected_suborder(client, task_queue):
    handle, sid = await rejected_switch(client, task_queue)
    await handle.execute_update(OrderWorkflow.decide, ApprovalDecision(decision="approve", actor=EXPERT))
    view = await wait_for(handle, in_fulfilment(3))
    assert suborder(view, "netpartner").suborder_id == f"{sid}-2"
    assert view.approvals[-1].decision == "approve"


async def test_decide_reject_rejects_the_order(client, task_queue):
    handle, _sid = await rejected_switch(client, task_queue)
    await handle.execute_update(OrderWorkflow.decide, ApprovalDecision(decision="reject", comment="no", actor=EXPERT))
    result = await handle.result()
    assert result.status == OrderStatus.REJECTED
    assert suborder(result, "central-warehouse").status == SubOrderStatus.CANCELLED


async def test_suborder_decision_only_when_a_suborder_was_rejected(client, task_queue):
    handle = await start(client, task_queue, placement(CABLES))
    await wait_for(handle, in_fulfilment(1))
    message = await refused(
        handle.execute_update(OrderWorkflow.decide_suborder, SubOrderDecision(action="resend", actor=EXPERT)),
        "Conflict",
    )
    assert "not waiting" in message
    assert (await status(handle)).approvals == []


async def test_expert_reassigns_a_stuck_suborder_after_its_escalation(client, task_queue, time_env):
    handle = await start(client, task_queue, placement(CABLES))
    view = await wait_for(handle, in_fulfilment(1))
    stuck = view.suborders[0].suborder_id
    # not escalated yet: nothing for the expert to decide
    message = await refused(
        handle.execute_update(
            OrderWorkflow.decide_suborder,
            SubOrderDecision(action="reassign", suborder_id=stuck, partner_id="netpartner", actor=EXPERT),
        ),
        "Conflict",
    )
    assert "not escalated" in message

    await time_env.sleep(timedelta(days=3))  # the warehouse does not accept within 2 days
    await wait_for(handle, lambda v: suborder(v, "central-warehouse").escalated)
    await refused(
        handle.execute_update(
            OrderWorkflow.decide_suborder,
            SubOrderDecision(action="reassign", suborder_id=stuck, partner_id="netpartner", actor=BUYER),
        ),
        "Conflict",
    )
    await handle.execute_update(
        OrderWorkflow.decide_suborder,
        SubOrderDecision(
            action="reassign", suborder_id=stuck, partner_id="netpartner", comment="warehouse silent", actor=EXPERT
        ),
    )
    view = await wait_for(handle, lambda v: len(v.suborders) == 2 and v.suborders[0].status == SubOrderStatus.CANCELLED)
    new = suborder(view, "netpartner")
    assert new.status == SubOrderStatus.SENT and [li.sku for li in new.lines] == ["CBL-CAT6-5M"]
    assert (await suborder_view(client, stuck)).reason == "withdrawn by expert@seller.example"
    await deliver(client, new.suborder_id, "netpartner")
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    assert view.invoices[0].net_total == Decimal("42.00")
    assert "suborder.reassign" in events(view)


async def test_expert_drops_a_stuck_suborder_and_the_order_goes_on_without_it(client, task_queue, time_env):
    handle = await start(client, task_queue, placement(SWITCH, CABLES))
    view = await wait_for(handle, in_fulfilment(2))
    await deliver(client, suborder(view, "central-warehouse").suborder_id, "central-warehouse")
    await time_env.sleep(timedelta(days=3))  # NetPartner stays silent
    view = await wait_for(handle, lambda v: suborder(v, "netpartner").escalated)
    await handle.execute_update(
        OrderWorkflow.decide_suborder,
        SubOrderDecision(action="drop", suborder_id=suborder(view, "netpartner").suborder_id, actor=EXPERT),
    )
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    assert suborder(view, "netpartner").status == SubOrderStatus.CANCELLED
    assert view.invoices[0].net_total == Decimal("42.00")


async def test_signals_from_a_suborder_that_overtake_each_other_leave_the_newest_state(client, task_queue):
    # the child signals its order fire-and-forget; the server may deliver two of them out of order
    from models.suborders import SubOrderChanged

    handle = await start(client, task_queue, placement(CABLES))
    view = await wait_for(handle, in_fulfilment(1))
    sid = view.suborders[0].suborder_id
    await report(client, sid, "central-warehouse", "accepted")
    await report(client, sid, "central-warehouse", "shipped", tracking="DHL-1")
    await wait_for(handle, lambda v: suborder(v, "central-warehouse").status == SubOrderStatus.SHIPPED)
    sub = await suborder_view(client, sid)
    accepted = sub.model_copy(
        update={"status": SubOrderStatus.ACCEPTED, "tracking": None, "timeline": sub.timeline[:-1]}
    )
    await handle.signal(OrderWorkflow.suborder_changed, SubOrderChanged(view=accepted, entry=sub.timeline[-2]))
    await handle.query(OrderWorkflow.view)  # the signal is handled once a query sees it
    view = await status(handle)  # the record: what the sub-order wrote, in the order it happened
    assert suborder(view, "central-warehouse").status == SubOrderStatus.SHIPPED
    assert events(view).count("suborder.accepted") == 1
    times = [e.at for e in view.timeline]
    assert times == sorted(times)
