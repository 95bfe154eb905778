"""A worker on a fresh task queue for each workflow test, and no workflow left running after it."""

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from core import temporal_names as names
from core.settings import Settings
from tests.workflows.helpers import RECORD, STARTED
from worker import orders_worker
from workflows.order import OrderWorkflow


async def _end(client: Client, orders: list[WorkflowHandle]) -> None:
    """Terminates what the test left running, sub-orders included (the test server does not apply
    the parent close policy), so that its history is saved and replayed with the closed ones."""
    handles = []
    for order in orders:
        handles.append(order)
        try:
            view = await order.query(OrderWorkflow.view)
        except Exception:  # noqa: BLE001 - an order that never ran a task has nothing to query
            continue
        handles += [client.get_workflow_handle(names.suborder_workflow_id(s.suborder_id)) for s in view.suborders]
    for handle in handles:
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            try:
                await handle.terminate(reason="test finished")
            except RPCError as err:  # it completed between the look and the terminate (seen in CI)
                if err.status != RPCStatusCode.NOT_FOUND:
                    raise


@pytest.fixture
async def client(time_env, engine, task_queue) -> Client:
    """The test's time-skipping server's client with a worker running; afterwards every order the
    test started (and its sub-orders) is terminated if still running."""
    STARTED.clear()
    RECORD[:] = [engine]
    async with orders_worker(
        time_env.client, engine, Settings(temporal_task_queue=task_queue, webhook_allow_internal_targets=True)
    ):
        yield time_env.client
        await _end(time_env.client, list(STARTED))
    STARTED.clear()
