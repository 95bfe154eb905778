"""Starting catalog work from outside a workflow, for the API's gateway and the CLI alike: a
publication at a future time (a CatalogPublication workflow), and the supplier sync schedules
that start CatalogSync runs. Both run on the catalog task queue.

The database side (marking a version scheduled, back to draft) is the catalog versions service's;
what Temporal is asked to do is here, once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from anyio import to_thread
from sqlalchemy import Engine
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
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from catalog.exchange import service as exchange
from catalog.versions import service as versions
from core import temporal_names as names
from models.catalog_versions import PublicationRequest, PublishResult, SyncRequest


class PublicationUnavailable(Exception):
    """Temporal could not take the scheduled publication (the version stays a draft)."""


class NoSchedule(LookupError):
    """The supplier has no sync schedule."""


# --- a publication at a future time --------------------------------------------------------------


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
    """Publishes now, or schedules the publication (needs `client`). Raises VersionError
    (StaleDraft for a draft copied from an older version, unless `force`)."""
    result = await to_thread.run_sync(versions.publish, engine, version_id, actor, activates_at, force)
    if result.status != "scheduled":
        return result
    request = PublicationRequest(version_id=version_id, activates_at=result.activates_at)
    try:
        if client is None:
            raise PublicationUnavailable("a publication at a future time needs Temporal")
        await client.start_workflow(
            names.CATALOG_PUBLICATION_WORKFLOW,
            request,
            id=names.publication_workflow_id(version_id),
            task_queue=task_queue,
        )
    except WorkflowAlreadyStartedError as exc:
        await to_thread.run_sync(versions.unschedule, engine, version_id, result.activates_at)
        raise versions.VersionConflict(
            f"the previous publication of version {version_id} is still being cancelled; try again"
        ) from exc
    except (RPCError, PublicationUnavailable) as exc:
        await to_thread.run_sync(versions.unschedule, engine, version_id, result.activates_at)
        raise PublicationUnavailable(f"the publication could not be scheduled: {exc}") from exc
    return result


async def unpublish(client: Client | None, engine: Engine, version_id: int) -> bool:
    """Cancels a scheduled publication: the version is a draft again at once, and the workflow is
    cancelled. False when the version was not scheduled."""
    changed = await to_thread.run_sync(versions.unschedule, engine, version_id, None)
    if client is not None:
        try:
            await client.get_workflow_handle(names.publication_workflow_id(version_id)).cancel()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
    return changed


# --- supplier sync schedules ---------------------------------------------------------------------


def sync_schedule(request: SyncRequest, every: timedelta, task_queue: str) -> Schedule:
    """The supplier's schedule: a CatalogSync run every `every`; a run still busy when the next is
    due makes that one skip (no two imports of one supplier's file at once)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            names.CATALOG_SYNC_WORKFLOW, request, id=names.sync_schedule_id(request.supplier), task_queue=task_queue
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def create_sync_schedule(
    client: Client, request: SyncRequest, every: timedelta, task_queue: str, *, replace: bool = False
) -> str:
    """Creates (or with `replace`, updates) the supplier's sync schedule; returns its id. Raises
    exchange.InvalidSchedule, and ScheduleAlreadyRunningError when one exists and `replace` is false."""
    exchange.check_schedule(request, every)
    schedule_id = names.sync_schedule_id(request.supplier)
    wanted = sync_schedule(request, every, task_queue)
    try:
        await client.create_schedule(schedule_id, wanted)
    except ScheduleAlreadyRunningError:
        if not replace:
            raise
        await client.get_schedule_handle(schedule_id).update(lambda _input: ScheduleUpdate(schedule=wanted))
    return schedule_id


async def trigger_sync_schedule(client: Client, supplier: str) -> str:
    """Starts the supplier's sync now; returns the schedule's id. Raises NoSchedule."""
    return await _on_schedule(client, supplier, "trigger")


async def delete_sync_schedule(client: Client, supplier: str) -> str:
    """Deletes the supplier's sync schedule; returns its id. Raises NoSchedule."""
    return await _on_schedule(client, supplier, "delete")


async def _on_schedule(client: Client, supplier: str, action: str) -> str:
    handle = client.get_schedule_handle(names.sync_schedule_id(supplier))
    try:
        await getattr(handle, action)()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise NoSchedule(f"no sync schedule for {supplier}") from err
        raise
    return handle.id
