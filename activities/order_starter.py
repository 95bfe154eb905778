"""Starting an order's workflow from outside a workflow, for the API's gateway and the order
reconciliation's activity alike (so both start it the same way), and the reconciliation's
schedule. In the activities layer so that activity may use it; the gateway sits above.

The workflow id is the order's; an order whose workflow runs or ran already is not started twice
(USE_EXISTING while it runs, REJECT_DUPLICATE after). Orders are started with the current course
(core/temporal_names.py CURRENT_ENGINE).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    WorkflowHandle,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from core import temporal_names as names
from models.orders import OrderPlacement, OrderStatus, ReconciliationRequest


async def start_order(client: Client, task_queue: str, placement: OrderPlacement, fingerprint: str) -> WorkflowHandle:
    """Starts the order's workflow, or finds the one that runs or ran (durable once this returns).
    Raises RPCError when Temporal cannot take it."""
    wf_id = names.order_workflow_id(placement.order_id)
    try:
        return await client.start_workflow(
            names.ORDER_WORKFLOW,
            placement.model_copy(update={"engine": names.CURRENT_ENGINE}),
            id=wf_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(names.CUSTOMER_ID, placement.buyer.customer_id or ""),
                    SearchAttributePair(names.ORDER_STATUS, OrderStatus.RECEIVED.value),
                ]
            ),
            memo={
                names.MEMO_FINGERPRINT: fingerprint,
                names.MEMO_BUYER: placement.buyer.id,
                names.MEMO_CUSTOMER_REFERENCE: placement.customer_reference,
            },
        )
    except WorkflowAlreadyStartedError:  # the order exists and has finished already
        return client.get_workflow_handle(wf_id)


async def schedule_reconciliation(client: Client, task_queue: str, every: timedelta, grace: timedelta) -> str:
    """Creates or updates the schedule that runs the order reconciliation every `every` (a run still
    busy when the next is due makes that one skip). Returns the schedule's id."""
    wanted = Schedule(
        action=ScheduleActionStartWorkflow(
            names.RECONCILIATION_WORKFLOW,
            ReconciliationRequest(grace=grace),
            id=names.RECONCILIATION_SCHEDULE_ID,
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(names.RECONCILIATION_SCHEDULE_ID, wanted)
    except ScheduleAlreadyRunningError:
        await client.get_schedule_handle(names.RECONCILIATION_SCHEDULE_ID).update(
            lambda _input: ScheduleUpdate(schedule=wanted)
        )
    return names.RECONCILIATION_SCHEDULE_ID


async def unschedule_reconciliation(client: Client) -> bool:
    """Deletes the reconciliation's schedule (RECONCILIATION_EVERY=0). False: there was none."""
    try:
        await client.get_schedule_handle(names.RECONCILIATION_SCHEDULE_ID).delete()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True
