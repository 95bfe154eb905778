"""The order reconciliation's activity: compares the open orders of the record with their
workflows in Temporal (orders/reconciliation.py holds what is done about each)."""

from anyio import to_thread
from sqlalchemy import Engine
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities import order_starter
from core import temporal_names as names
from models.orders import ReconciliationReport, ReconciliationRequest
from orders import service as orders

# a workflow that ended so without closing its order's record: it ran no code to close it
ENDED_UNSETTLED = {
    WorkflowExecutionStatus.TERMINATED: "the order's workflow was terminated by an operator",
    WorkflowExecutionStatus.TIMED_OUT: "the order's workflow timed out",
    WorkflowExecutionStatus.FAILED: "the order's workflow failed",
    WorkflowExecutionStatus.CANCELED: "the order's workflow was cancelled by an operator",
}


class ReconciliationActivities:
    def __init__(self, engine: Engine, client: Client, task_queue: str) -> None:
        self.engine = engine
        self.client = client
        self.task_queue = task_queue

    @activity.defn
    async def reconcile_orders(self, request: ReconciliationRequest) -> ReconciliationReport:
        """Idempotent: a retried run finds the orders it settled closed, and started ones running."""
        report = ReconciliationReport()
        batches = await to_thread.run_sync(orders.open_orders, self.engine, request.grace)
        while (batch := await to_thread.run_sync(next, batches, None)) is not None:
            for order in batch:
                activity.heartbeat(order.order_id)
                report.checked += 1
                await self._reconcile(order, report)
        if report.started or report.closed:
            activity.logger.info("reconciled orders: started %s, closed %s", report.started, report.closed)
        return report

    async def _reconcile(self, order: orders.OpenOrder, report: ReconciliationReport) -> None:
        handle = self.client.get_workflow_handle(names.order_workflow_id(order.order_id))
        try:
            status = (await handle.describe()).status
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            if order.revision == 0:  # recorded, but the API stopped before starting it
                placement = orders.placement_of(order)
                await order_starter.start_order(self.client, self.task_queue, placement, order.fingerprint)
                report.started.append(order.order_id)
                return
            gone = "the order's workflow ended without closing the order, and its history is gone"
            if await to_thread.run_sync(orders.close_abandoned, self.engine, order.order_id, gone):
                report.closed.append(order.order_id)
            return
        why = ENDED_UNSETTLED.get(status) if status is not None else None
        if why is None:  # running (it closes the order itself), or completed
            return
        if await to_thread.run_sync(orders.close_abandoned, self.engine, order.order_id, why):
            report.closed.append(order.order_id)
