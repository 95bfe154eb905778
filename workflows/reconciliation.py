"""The order reconciliation, run by a schedule (activities/order_starter.py): one activity that
settles orders whose workflow ended without closing them (an operator terminated it) and starts
the workflow of requests recorded but never started (activities/reconciliation.py)."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.reconciliation import ReconciliationActivities
    from core import temporal_names as names
    from models.orders import ReconciliationReport, ReconciliationRequest


@workflow.defn(name=names.RECONCILIATION_WORKFLOW)
class OrderReconciliationWorkflow:
    @workflow.run
    async def run(self, request: ReconciliationRequest) -> ReconciliationReport:
        return await workflow.execute_activity_method(
            ReconciliationActivities.reconcile_orders,
            request,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(minutes=1),
            # the next scheduled run tries again anyway
            retry_policy=RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=5)),
        )
