"""Cancellation by the customer's buyer: possible until a delivery unit has shipped."""

from models.approvals import ApprovalKind
from models.orders import CancelRequest, OrderStatus
from models.suborders import SubOrderStatus
from tests.workflows.helpers import (
    APPROVER,
    BIG_SWITCHES,
    BUYER,
    CABLES,
    GLOBEX_BUYER,
    SWITCH,
    events,
    notifications,
    placement,
    refused,
    report,
    start,
    status,
    suborder,
    wait_for,
)
from workflows.order import OrderWorkflow


async def test_cancel_while_awaiting_approval(client, task_queue):
    handle = await start(client, task_queue, placement(BIG_SWITCHES))
    await wait_for(handle, lambda v: v.pending_approval is not None)
    await handle.execute_update(OrderWorkflow.cancel, CancelRequest(actor=BUYER, reason="ordered twice"))
    result = await handle.result()
    assert result.status == OrderStatus.CANCELLED
    assert result.pending_approval is None and result.suborders == []
    assert events(result)[-2:] == ["order.cancel_requested", "order.cancelled"]
    assert result.timeline[-1].actor == "buyer@acme.example" and result.timeline[-1].detail == "ordered twice"


async def test_cancel_during_fulfilment_before_shipping(client, task_queue, engine):
    handle = await start(client, task_queue, placement(SWITCH, CABLES))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and len(v.suborders) == 2)
    await report(client, suborder(view, "netpartner").suborder_id, "netpartner", "accepted")
    await wait_for(handle, lambda v: suborder(v, "netpartner").status == SubOrderStatus.ACCEPTED)

    # another buyer of the same customer may cancel too
    colleague = APPROVER
    await handle.execute_update(OrderWorkflow.cancel, CancelRequest(actor=colleague, reason="project stopped"))
    result = await handle.result()
    assert result.status == OrderStatus.CANCELLED
    assert [s.status for s in result.suborders] == [SubOrderStatus.CANCELLED, SubOrderStatus.CANCELLED]
    assert {s.reason for s in result.suborders} == {"project stopped"}
    assert result.invoices == []
    assert events(result)[-1] == "order.cancelled"
    keys = {n.key for n in notifications(engine, result.order_id)}
    assert {f"{s.suborder_id}.cancelled" for s in result.suborders} <= keys  # both units are told


async def test_cancel_while_the_expert_decides_on_a_rejected_suborder(client, task_queue):
    handle = await start(client, task_queue, placement(SWITCH, CABLES))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and len(v.suborders) == 2)
    await report(client, suborder(view, "netpartner").suborder_id, "netpartner", "rejected", reason="discontinued")
    await wait_for(handle, lambda v: v.pending_approval is not None)
    await handle.execute_update(OrderWorkflow.cancel, CancelRequest(actor=BUYER, reason="not needed"))
    result = await handle.result()
    assert result.status == OrderStatus.CANCELLED and result.pending_approval is None
    assert {s.partner_id: s.status for s in result.suborders} == {
        "netpartner": SubOrderStatus.REJECTED,
        "central-warehouse": SubOrderStatus.CANCELLED,
    }


async def test_cancel_refused_after_a_suborder_shipped(client, task_queue):
    handle = await start(client, task_queue, placement(SWITCH, CABLES))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and len(v.suborders) == 2)
    sid = suborder(view, "netpartner").suborder_id
    await report(client, sid, "netpartner", "accepted")
    await report(client, sid, "netpartner", "shipped")
    await wait_for(handle, lambda v: suborder(v, "netpartner").status == SubOrderStatus.SHIPPED)
    message = await refused(handle.execute_update(OrderWorkflow.cancel, CancelRequest(actor=BUYER)), "Conflict")
    assert sid in message and "shipped" in message
    view = await status(handle)
    assert view.status == OrderStatus.IN_FULFILLMENT and "order.cancel_requested" not in events(view)
    assert suborder(view, "central-warehouse").status == SubOrderStatus.SENT


async def test_cancel_refused_for_a_buyer_of_another_customer(client, task_queue):
    handle = await start(client, task_queue, placement(BIG_SWITCHES))
    await wait_for(
        handle, lambda v: v.pending_approval is not None and v.pending_approval.kind == ApprovalKind.CUSTOMER
    )
    message = await refused(handle.execute_update(OrderWorkflow.cancel, CancelRequest(actor=GLOBEX_BUYER)), "Conflict")
    assert message == "only the customer's buyers may cancel this order"
    view = await status(handle)
    assert view.status == OrderStatus.AWAITING_CUSTOMER_APPROVAL and "order.cancel_requested" not in events(view)
