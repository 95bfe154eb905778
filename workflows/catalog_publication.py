"""Publishing a catalog version at a future activation time.

`catalog-publication-{version}`: sleeps until `activates_at`, then publishes the version (the
activity materialises it into the live catalog). Cancelling the workflow before then is the
unpublish: the version goes back to draft. The API and the CLI start and cancel it
(catalog/versions/publishing.py marks the version scheduled first).
"""

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.catalog import CatalogActivities
    from core import temporal_names as names
    from models.catalog_versions import PublicationRequest, PublishResult
    from workflows import options


@workflow.defn(name=names.CATALOG_PUBLICATION_WORKFLOW)
class CatalogPublicationWorkflow:
    @workflow.init
    def __init__(self, request: PublicationRequest) -> None:
        self.status = "scheduled"

    @workflow.run
    async def run(self, request: PublicationRequest) -> PublishResult | None:
        try:
            delay = request.activates_at - workflow.now()
            if delay.total_seconds() > 0:
                await workflow.sleep(delay)
        except asyncio.CancelledError:
            self.status = "cancelled"
            await workflow.execute_activity_method(CatalogActivities.unschedule_catalog_version, request, **options.DB)
            raise
        result = await workflow.execute_activity_method(
            CatalogActivities.activate_catalog_version, request, **options.DB
        )
        self.status = "published" if result is not None else "not scheduled any more"
        return result

    @workflow.query(name=names.CATALOG_PUBLICATION_STATE)
    def state(self) -> str:
        return self.status
