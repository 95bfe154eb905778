"""The order's lifecycle cannot hang and cannot leave a final status.

Each test is one trigger a review found in the fulfilment loop of old code: once a cancel was
recorded, a rejection nobody may decide any more (or an expert's intervention queued after the
cancel) kept the loop's wait true while every branch skipped, so the workflow task spun until the
deadlock detector failed it for good; and after the expert rejected the order for one rejected
sub-order, the loop asked about another one and a resend brought the REJECTED order back to
fulfilment. Each test failed against that code (deadlock, or an order that came back) and passes
now."""

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from contracts.tables import BuyerSpend
from core.database import session_scope
from models.approvals import ApprovalKind, SubOrderDecision
from models.orders import CancelRequest, OrderStatus
from models.suborders import SubOrderStatus
from tests.workflows.helpers import (
    BUYER,
    CABLES,
    EXPERT,
    SWITCH,
    events,
    placement,
    refused,
    report,
    start,
    status,
    suborder,
    wait_for,
)
from workflows.order import OrderWorkflow

RESULT_WITHIN = 20  # seconds: a hung order never returns


def asking_about(sid: str):
    return lambda v: (
        v.pending_approval is not None
        and v.pending_approval.kind == ApprovalKind.SUBORDER_REJECTED
        and v.pending_approval.suborder_id == sid
    )


def spend_rows(engine, order_id: str) -> list[BuyerSpend]:
    with session_scope(engine) as session:
        return list(session.execute(select(BuyerSpend).where(col(BuyerSpend.order_id) == order_id)).scalars())


async def both_rejected(client, task_queue):
    """An order at two units that both reject; the expert is asked about the first."""
    p = placement(SWITCH, CABLES)
    handle = await start(client, task_queue, p)
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and len(v.suborders) == 2)
    first, second = suborder(view, "netpartner").suborder_id, suborder(view, "central-warehouse").suborder_id
    await report(client, first, "netpartner", "rejected", reason="out of stock")
    await wait_for(handle, asking_about(first))
    await report(client, second, "central-warehouse", "rejected", reason="no cables either")
    await wait_for(handle, lambda v: suborder(v, "central-warehouse").status == SubOrderStatus.REJECTED)
    return p, handle, first, second


async def test_two_units_reject_and_the_buyer_cancels_while_the_expert_decides_the_first(client, task_queue, engine):
    p, handle, _, _ = await both_rejected(client, task_queue)
    await handle.execute_update(OrderWorkflow.cancel, CancelRequest(actor=BUYER, reason="found it elsewhere"))
    result = await asyncio.wait_for(handle.result(), RESULT_WITHIN)
    assert result.status == OrderStatus.CANCELLED and result.pending_approval is None
    assert [e for e in events(result) if e.startswith("approval.")] == ["approval.requested"]  # not asked again
    assert result.contract_consumption.released and spend_rows(engine, p.order_id) == []


async def test_a_units_rejection_racing_the_buyers_cancel_ends_the_order(client, task_queue, engine):
    p = placement(SWITCH, CABLES)
    handle = await start(client, task_queue, p)
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and len(v.suborders) == 2)
    sid = suborder(view, "netpartner").suborder_id
    await report(client, suborder(view, "central-warehouse").suborder_id, "central-warehouse", "accepted")
    # the unit's rejection and the buyer's cancel arrive together: whichever the order sees first,
    # nobody is asked about the rejection any more
    await asyncio.gather(
        report(client, sid, "netpartner", "rejected", reason="out of stock"),
        handle.execute_update(OrderWorkflow.cancel, CancelRequest(actor=BUYER, reason="changed my mind")),
    )
    result = await asyncio.wait_for(handle.result(), RESULT_WITHIN)
    assert result.status == OrderStatus.CANCELLED
    assert {s.status for s in result.suborders} <= {SubOrderStatus.REJECTED, SubOrderStatus.CANCELLED}
    assert spend_rows(engine, p.order_id) == []


async def test_an_experts_decision_after_the_cancel_is_refused(client, task_queue, time_env):
    # POLICY: a unit must accept within 2 days, else the sub-order escalates to the expert
    handle = await start(client, task_queue, placement(SWITCH, CABLES))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and len(v.suborders) == 2)
    stuck = suborder(view, "netpartner").suborder_id
    await report(client, suborder(view, "central-warehouse").suborder_id, "central-warehouse", "accepted")
    await report(client, suborder(view, "central-warehouse").suborder_id, "central-warehouse", "shipped")
    await time_env.sleep(timedelta(days=3))
    await wait_for(handle, lambda v: suborder(v, "netpartner").escalated)
    # the cables shipped: the buyer cannot cancel; a rejection by the switch's unit is decided by the expert
    await refused(
        handle.execute_update(OrderWorkflow.cancel, CancelRequest(actor=BUYER, reason="too late")), "Conflict"
    )

    # an order without a shipped part: cancelled while the switch's sub-order is escalated
    handle = await start(client, task_queue, placement(SWITCH))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT and len(v.suborders) == 1)
    stuck = view.suborders[0].suborder_id
    await time_env.sleep(timedelta(days=3))
    await wait_for(handle, lambda v: v.suborders[0].escalated)
    await handle.execute_update(OrderWorkflow.cancel, CancelRequest(actor=BUYER, reason="no longer needed"))
    message = await refused(
        handle.execute_update(
            OrderWorkflow.decide_suborder,
            SubOrderDecision(action="reassign", suborder_id=stuck, partner_id="central-warehouse", actor=EXPERT),
        ),
        "Conflict",
    )
    assert "cancel" in message
    result = await asyncio.wait_for(handle.result(), RESULT_WITHIN)
    assert result.status == OrderStatus.CANCELLED
    assert [s.partner_id for s in result.suborders] == ["netpartner"]  # nothing was reassigned


async def test_rejecting_the_order_for_one_rejected_suborder_ends_it_for_good(client, task_queue, engine):
    p, handle, first, second = await both_rejected(client, task_queue)
    await handle.execute_update(
        OrderWorkflow.decide_suborder,
        SubOrderDecision(action="cancel_order", suborder_id=first, comment="both out of stock", actor=EXPERT),
    )
    result = await asyncio.wait_for(handle.result(), RESULT_WITHIN)
    assert result.status == OrderStatus.REJECTED and result.pending_approval is None
    assert result.invoices == [] and len(result.suborders) == 2  # no resend started
    assert [e for e in events(result) if e.startswith("approval.")] == ["approval.requested", "approval.cancel_order"]
    assert result.contract_consumption.released and spend_rows(engine, p.order_id) == []
    view = await status(handle)  # the record, too
    assert view.status == OrderStatus.REJECTED and suborder(view, "central-warehouse").suborder_id == second
