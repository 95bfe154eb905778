"""A worker on a fresh task queue for each workflow test, and no workflow left running after it."""

import asyncio

import pytest
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

from core import temporal_names as names
from core.settings import Settings
from tests.workflows.helpers import RECORD, STARTED
from worker import orders_worker
from workflows.order import OrderWorkflow


async def _busy(handle: WorkflowHandle) -> bool:
    """Whether the workflow has a task in flight (an activity or a workflow task a worker took)."""
    raw = (await handle.describe()).raw_description
    return raw.workflow_execution_info.status == WorkflowExecutionStatus.RUNNING.value and (
        raw.HasField("pending_workflow_task")
        or any(a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED for a in raw.pending_activities)
    )


async def _end(client: Client, orders: list[WorkflowHandle]) -> None:
    """Terminates what is still running, once nothing of it is in flight. The test server keeps
    its clock locked for an activity that was in flight when its workflow was terminated (until
    the activity's 30 s timeout), and it does not apply the parent close policy: sub-orders are
    terminated one by one."""
    handles = []
    for order in orders:
        handles.append(order)
        # also a closed order's sub-orders: cancelled with it, they may still be telling their
        # units, and one left with a task but no worker stops the test server's clock for good
        try:
            view = await order.query(OrderWorkflow.view)
        except Exception:  # noqa: BLE001 - an order that never ran a task has nothing to query
            continue
        handles += [client.get_workflow_handle(names.suborder_workflow_id(s.suborder_id)) for s in view.suborders]
    for _ in range(600):  # up to 30 s: an activity terminated in flight holds the clock for its timeout
        if not [h for h in handles if await _busy(h)]:
            break
        await asyncio.sleep(0.05)
    for handle in handles:
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate(reason="test finished")


@pytest.fixture
async def client(time_env, engine, task_queue) -> Client:
    """The time-skipping server's client with a worker running; afterwards every order the test
    started (and its sub-orders) is terminated if still running: a workflow whose timer fires
    with no worker left to run it would stop the shared server's clock for all later tests."""
    STARTED.clear()
    RECORD[:] = [engine]
    async with orders_worker(time_env.client, engine, Settings(temporal_task_queue=task_queue)):
        yield time_env.client
        await _end(time_env.client, list(STARTED))
    STARTED.clear()
