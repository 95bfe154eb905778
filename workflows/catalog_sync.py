"""Pulling a supplier's catalog into a new draft (started by the supplier's Temporal schedule,
catalog/exchange/sync.py), and telling the catalog managers what changed."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.catalog import CatalogActivities
    from activities.notifications import NotificationActivities
    from core import temporal_names as names
    from models.catalog_versions import SyncJob, SyncRequest, SyncResult
    from models.notifications import Notification
    from workflows import options

SYNC_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=10,
)


@workflow.defn(name=names.CATALOG_SYNC_WORKFLOW)
class CatalogSyncWorkflow:
    @workflow.run
    async def run(self, request: SyncRequest) -> SyncResult:
        info = workflow.info()
        result = await workflow.execute_activity_method(
            CatalogActivities.sync_catalog,
            SyncJob(request=request, key=f"{info.workflow_id}/{info.run_id}"),
            start_to_close_timeout=timedelta(hours=2),
            heartbeat_timeout=timedelta(minutes=5),
            retry_policy=SYNC_RETRY,
        )
        body = result.summary
        if result.diff is not None and result.version_id is not None:
            c = result.diff.counts
            body += (
                f"\nReview and publish draft {result.version_id}: {c.added} added, {c.removed} removed, "
                f"{c.price_changes} price changes, {c.text_changes} text changes."
            )
        if result.report is not None and result.report.failed:
            body += "\nItems with errors: " + "; ".join(
                f"{e.sku or '?'}: {e.message}" for e in result.report.errors[:10]
            )
        await workflow.execute_activity_method(
            NotificationActivities.notify,
            Notification(
                key=f"catalog-sync-{info.run_id}",
                role="catalog_manager",
                subject=f"Catalog sync {request.supplier}: "
                + (f"draft {result.version_id}" if result.version_id is not None else "no changes"),
                body=body,
            ),
            **options.NOTIFY,
        )
        return result
