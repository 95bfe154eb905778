"""What a happy-path order's history carries (the lean course, core/temporal_names.py ENGINE_LEAN).

History size is throughput: every event is written, read and replayed. bench/orders_e2e.py reports
the size under load; this test pins the parts of it that must not creep back: no patch markers
for orders of current code, one timer per workflow (cancelled at its end), sub-orders started in one
workflow task, one record save per change that people can see. (The total depends on how the
server batches workflow tasks: 102 to 111 events seen for order and sub-orders.)"""

import asyncio
from collections import Counter
from decimal import Decimal

from temporalio.api.enums.v1 import EventType

from core import temporal_names as names
from core.settings import Settings
from models.invoices import PaymentIn
from models.orders import OrderStatus
from tests.workflows.helpers import CABLES, FINANCE, SWITCH, deliver, notifications, placement, start, wait_for
from worker import orders_worker
from workflows.order import OrderWorkflow


async def test_a_happy_path_order_with_two_units_keeps_a_lean_history(time_env, engine, task_queue):
    client = time_env.client
    async with orders_worker(client, engine, Settings(temporal_task_queue=task_queue)):
        handle = await start(client, task_queue, placement(SWITCH, CABLES))
        view = await wait_for(handle, lambda v: len(v.suborders) == 2)
        # the units answer once told (a unit answering first withdraws its message, which would
        # change the history this test counts)
        for _ in range(200):
            if sum(n.key.endswith(".created") for n in notifications(engine, view.order_id)) == 2:
                break
            await asyncio.sleep(0.02)
        for sub in view.suborders:
            await deliver(client, sub.suborder_id, sub.partner_id)
        view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
        await handle.execute_update(
            OrderWorkflow.record_payment,
            PaymentIn(
                invoice_id=view.invoices[0].invoice_id, amount=Decimal("1775.48"), reference="BANK-1", actor=FINANCE
            ),
        )
        assert (await handle.result()).status == OrderStatus.PAID

    histories = {handle.id: await handle.fetch_history()}
    for sub in view.suborders:
        wf_id = names.suborder_workflow_id(sub.suborder_id)
        histories[wf_id] = await client.get_workflow_handle(wf_id).fetch_history()
    kinds = {wf_id: Counter(EventType.Name(e.event_type) for e in h.events) for wf_id, h in histories.items()}
    order = kinds[handle.id]

    for wf_id, counts in kinds.items():
        assert counts["EVENT_TYPE_TIMER_STARTED"] == 1, wf_id  # the due date; one deadline timer per sub-order
        assert counts["EVENT_TYPE_TIMER_CANCELED"] == 1, wf_id  # at the end, not at every stage
        markers = [
            e.marker_recorded_event_attributes.marker_name
            for e in histories[wf_id].events
            if e.HasField("marker_recorded_event_attributes")
        ]
        assert "core_patch" not in markers, wf_id
    # both sub-orders are started in the workflow task that accepts the order
    initiated = [
        e.event_id
        for e in histories[handle.id].events
        if e.HasField("start_child_workflow_execution_initiated_event_attributes")
    ]
    assert len(initiated) == 2 and initiated[1] == initiated[0] + 1
    # local activities: accept, invoice, sending it, payment, and a save for each of accepted,
    # sub-orders sent (two when the server reports their starts in two tasks), invoiced, paid
    assert order["EVENT_TYPE_MARKER_RECORDED"] <= 10
