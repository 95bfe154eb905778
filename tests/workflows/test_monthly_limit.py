"""The buyer's monthly limit: accepted orders count towards the month, cancelled ones stop counting."""

import asyncio

from temporalio.client import WorkflowExecutionStatus

from models.actors import Actor
from models.orders import CancelRequest, OrderLineRequest, OrderStatus
from tests.workflows.helpers import placement, start, wait_for
from workflows.order import OrderWorkflow


async def closed(handle) -> None:
    for _ in range(200):
        if (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} did not complete")


# demo: 1,000.00 per order (own), 3,000.00 a month (technician role); 200 cables = 780.00 net
TECH = Actor(id="tech@acme.example", roles=["buyer", "technician"], customer_id="acme")
CABLES_200 = OrderLineRequest(sku="CBL-CAT6-5M", quantity=200)


async def test_the_month_fills_up_then_approval_is_needed_and_a_cancel_frees_it(client, task_queue):
    placed = []
    for _ in range(3):
        handle = await start(client, task_queue, placement(CABLES_200, buyer=TECH))
        view = await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT)
        assert str(view.net_total) == "780.00"
        placed.append(handle)
    fourth = await start(client, task_queue, placement(CABLES_200, buyer=TECH))
    view = await wait_for(fourth, lambda v: v.status == OrderStatus.AWAITING_CUSTOMER_APPROVAL)
    assert "month" in view.pending_approval.reason
    # an order waiting for approval counts too; cancelling two gives their 780.00 each back
    for handle in (placed[0], fourth):
        await handle.execute_update(OrderWorkflow.cancel, CancelRequest(actor=TECH, reason="duplicate"))
        await wait_for(handle, lambda v: v.status == OrderStatus.CANCELLED)
        await closed(handle)  # the spend is released after the status is set, before the run ends
    fifth = await start(client, task_queue, placement(CABLES_200, buyer=TECH))
    await wait_for(fifth, lambda v: v.status == OrderStatus.IN_FULFILLMENT)
