"""Publishing from the API and the CLI: now (in the caller's transaction), or at a future time
through the CatalogPublication workflow; unpublishing cancels that workflow."""

from __future__ import annotations

from datetime import datetime

from anyio import to_thread
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from catalog import version_publishing, versions
from core.database import session_scope
from models.catalog_versions import PublicationRequest, PublishResult
from workflows.catalog_publication import CatalogPublicationWorkflow, publication_workflow_id


class PublicationUnavailable(Exception):
    """Temporal could not take the scheduled publication (the version stays a draft)."""


def _publish(
    engine: Engine, version_id: int, actor: str, activates_at: datetime | None, force: bool = False
) -> PublishResult:
    with session_scope(engine, write_lock=True) as session:
        return version_publishing.publish(session, version_id, actor, activates_at, force=force)


def _unschedule(engine: Engine, version_id: int, activates_at: datetime | None = None) -> bool:
    with session_scope(engine, write_lock=True) as session:
        return version_publishing.unschedule(session, version_id, activates_at)


async def publish(
    client: Client | None,
    engine: Engine,
    task_queue: str,
    version_id: int,
    actor: str,
    activates_at: datetime | None = None,
    *,
    force: bool = False,
) -> PublishResult:
    """Publishes now, or schedules the publication (needs `client`). Raises versions.VersionError
    (versions.StaleDraft for a draft copied from an older version, unless `force`)."""
    result = await to_thread.run_sync(_publish, engine, version_id, actor, activates_at, force)
    if result.status != "scheduled":
        return result
    request = PublicationRequest(version_id=version_id, activates_at=result.activates_at)
    try:
        if client is None:
            raise PublicationUnavailable("a publication at a future time needs Temporal")
        await client.start_workflow(
            CatalogPublicationWorkflow.run, request, id=publication_workflow_id(version_id), task_queue=task_queue
        )
    except WorkflowAlreadyStartedError as exc:
        await to_thread.run_sync(_unschedule, engine, version_id, result.activates_at)
        raise versions.VersionConflict(
            f"the previous publication of version {version_id} is still being cancelled; try again"
        ) from exc
    except (RPCError, PublicationUnavailable) as exc:
        await to_thread.run_sync(_unschedule, engine, version_id, result.activates_at)
        raise PublicationUnavailable(f"the publication could not be scheduled: {exc}") from exc
    return result


async def unpublish(client: Client | None, engine: Engine, version_id: int) -> bool:
    """Cancels a scheduled publication: the version is a draft again at once, and the workflow is
    cancelled. False when the version was not scheduled."""
    changed = await to_thread.run_sync(_unschedule, engine, version_id)
    if client is not None:
        try:
            await client.get_workflow_handle(publication_workflow_id(version_id)).cancel()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
    return changed
