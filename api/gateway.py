"""The API's one way into Temporal: start, update and query order and sub-order workflows,
schedule catalog publications and supplier sync schedules, and turn Temporal's errors into
problem details. Routes and pages both go through here.

Workflows are addressed by the names in core/temporal_names.py, so the API process never imports
workflow code."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from temporalio.client import (
    Client,
    ScheduleAlreadyRunningError,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError, ServerError
from temporalio.service import RPCError, RPCStatusCode

from activities import order_starter
from api.problems import Problem
from core import temporal_names as names
from core.errors import Unavailable
from core.settings import Settings
from models.actors import Actor
from models.approvals import ApprovalDecision, SubOrderDecision
from models.catalog_versions import PublishResult, SyncRequest
from models.invoices import CreditNoteIssued, DunningPause, PaymentIn, PaymentResult
from models.orders import CancelRequest, OrderPlacement, OrderStatus, OrderView
from models.suborders import PartnerEvent, SubOrderView
from workflows import catalog_starter


def _problem_from_update(err: WorkflowUpdateFailedError) -> Problem | Unavailable:
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type == names.NOT_YET:
        return Unavailable(cause.message)
    if isinstance(cause, ApplicationError):
        status = {names.NOT_FOUND: 404, names.CONFLICT: 409, names.INVALID: 422}.get(cause.type or "", 409)
        return Problem(status, cause.message)
    return Problem(409, str(cause or err))


def _problem_from_rpc(err: RPCError, what: str) -> Problem | Unavailable:
    if err.status == RPCStatusCode.NOT_FOUND:
        # "already completed", "... closed", and an update "aborted by closing workflow" (it raced
        # the order's end): the order no longer takes it
        if any(word in err.message.lower() for word in ("completed", "closed", "closing")):
            return Problem(409, f"{what} is closed: {err.message}")
        return Problem(404, f"{what} not found")
    if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
        return _unavailable()
    return Problem(409 if err.status == RPCStatusCode.FAILED_PRECONDITION else 502, err.message)


def _aborted_by_task_failure(err: RPCError) -> bool:
    """The server's WorkflowNotReady: it aborted an update because the workflow task that took it
    failed (FAILED_PRECONDITION, "... due to unexpected workflow task failure.")."""
    details = err.grpc_status.details if err.grpc_status is not None else []
    return err.status == RPCStatusCode.FAILED_PRECONDITION and (
        any(d.type_url.endswith("WorkflowNotReadyFailure") for d in details) or "workflow task failure" in err.message
    )


def _unavailable() -> Unavailable:
    """Temporal or the workers are down for now: the client should retry (with the same
    Idempotency-Key), not give up (503 with Retry-After, api/problems.py)."""
    return Unavailable("The workflow service is unavailable, try again")


UPDATE_ATTEMPTS = 3  # an update the server aborted (its workflow task failed) is sent this often


class Gateway:
    def __init__(self, client: Client, settings: Settings):
        self.client = client
        self.settings = settings

    async def place_order(self, placement: OrderPlacement, fingerprint: str) -> tuple[str, OrderStatus]:
        """Starts the order's workflow (durable once this returns). Idempotent by workflow id."""
        try:
            handle = await order_starter.start_order(
                self.client, self.settings.temporal_task_queue, placement, fingerprint
            )
        except RPCError as err:
            raise _problem_from_rpc(err, "order") from err
        desc = await handle.describe()
        memo = await desc.memo()
        if memo.get(names.MEMO_FINGERPRINT) != fingerprint:
            raise Problem(422, "This Idempotency-Key was already used for a different order", field="Idempotency-Key")
        status = desc.typed_search_attributes.get(names.ORDER_STATUS) or OrderStatus.RECEIVED.value
        return placement.order_id, OrderStatus(status)

    async def running(self, order_id: str) -> bool:
        try:
            desc = await self.client.get_workflow_handle(names.order_workflow_id(order_id)).describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise _problem_from_rpc(err, f"order {order_id}") from err
        return desc.status == WorkflowExecutionStatus.RUNNING

    async def order(self, order_id: str) -> OrderView:
        try:
            handle = self.client.get_workflow_handle(names.order_workflow_id(order_id))
            return await handle.query(names.ORDER_VIEW, result_type=OrderView)
        except RPCError as err:
            raise _problem_from_rpc(err, f"order {order_id}") from err

    async def decide(self, order_id: str, decision: ApprovalDecision, update_id: str | None = None) -> OrderView:
        return await self._update_order(order_id, names.ORDER_DECIDE, decision, OrderView, update_id)

    async def decide_suborder(
        self, order_id: str, decision: SubOrderDecision, update_id: str | None = None
    ) -> OrderView:
        return await self._update_order(order_id, names.ORDER_DECIDE_SUBORDER, decision, OrderView, update_id)

    async def cancel(self, order_id: str, request: CancelRequest, update_id: str | None = None) -> OrderView:
        return await self._update_order(order_id, names.ORDER_CANCEL, request, OrderView, update_id)

    async def record_payment(self, order_id: str, payment: PaymentIn, update_id: str | None = None) -> PaymentResult:
        return await self._update_order(order_id, names.ORDER_RECORD_PAYMENT, payment, PaymentResult, update_id)

    async def retry_invoicing(self, order_id: str, actor: Actor, update_id: str | None = None) -> OrderView:
        return await self._update_order(order_id, names.ORDER_RETRY_INVOICING, actor, OrderView, update_id)

    async def pause_dunning(self, order_id: str, pause: DunningPause, paused: bool) -> OrderView:
        update = names.ORDER_PAUSE_DUNNING if paused else names.ORDER_RESUME_DUNNING
        return await self._update_order(order_id, update, pause, OrderView, None)

    async def credit_note_issued(self, order_id: str, issued: CreditNoteIssued) -> None:
        """Tells the order; an order that closed meanwhile needs nothing more (its invoice was
        settled), and one that misses the signal reads the credit note at its next dunning step."""
        try:
            await self.client.get_workflow_handle(names.order_workflow_id(order_id)).signal(
                names.ORDER_CREDIT_NOTE_ISSUED, issued
            )
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise _problem_from_rpc(err, f"order {order_id}") from err

    async def _update_order(
        self, order_id: str, update: str, arg: Any, result_type: type, update_id: str | None
    ) -> Any:
        """The update's answer. The same `update_id` again (a client's retry) gets the first answer
        while the order runs. Without an answer in time (no worker, Temporal down): 503."""
        handle = self.client.get_workflow_handle(names.order_workflow_id(order_id))
        return await self._execute_update(
            handle, update, arg, update_id and f"{update}:{update_id}", result_type, f"order {order_id}"
        )

    async def _execute_update(
        self, handle: WorkflowHandle, update: str, arg: Any, update_id: str | None, result_type: type, what: str
    ) -> Any:
        """Runs the update. The server aborts an update whose workflow task failed (seen: a sub-order
        completing in the task that took the update while its unit's message activity completed, so
        the completion was refused as an unhandled command). Such an update never happened: it is
        sent again, and answered 503 if it keeps being aborted."""
        for attempt in range(1, UPDATE_ATTEMPTS + 1):
            try:
                return await handle.execute_update(
                    update, arg, id=update_id, result_type=result_type, rpc_timeout=self.settings.api_update_timeout
                )
            except WorkflowUpdateFailedError as err:
                if not isinstance(err.cause, ServerError):
                    raise _problem_from_update(err) from err
                if attempt == UPDATE_ATTEMPTS:
                    raise _unavailable() from err
            except WorkflowUpdateRPCTimeoutOrCancelledError as err:
                raise _unavailable() from err
            except RPCError as err:
                if not _aborted_by_task_failure(err):
                    raise _problem_from_rpc(err, what) from err
                if attempt == UPDATE_ATTEMPTS:
                    raise _unavailable() from err
        raise AssertionError("unreachable")

    async def suborder(self, suborder_id: str) -> SubOrderView:
        try:
            handle = self.client.get_workflow_handle(names.suborder_workflow_id(suborder_id))
            return await handle.query(names.SUBORDER_VIEW, result_type=SubOrderView)
        except RPCError as err:
            raise _problem_from_rpc(err, f"sub-order {suborder_id}") from err

    async def report(self, event: PartnerEvent, update_id: str | None = None) -> SubOrderView:
        handle = self.client.get_workflow_handle(names.suborder_workflow_id(event.suborder_id))
        return await self._execute_update(
            handle, names.SUBORDER_REPORT, event, update_id, SubOrderView, f"sub-order {event.suborder_id}"
        )

    # --- catalog: publication at a future time, supplier sync schedules ---------------------------
    # What Temporal is asked to do is defined once in workflows/catalog_starter.py (the CLI uses it
    # too); the API's calls go through here, on the catalog task queue.

    async def publish_catalog_version(
        self, engine: Engine, version_id: int, actor_id: str, activates_at: datetime | None, *, force: bool = False
    ) -> PublishResult:
        """Publishes now, or at `activates_at` through a CatalogPublication workflow. Raises
        versions.VersionError; 503 when Temporal cannot take the publication (it stays a draft)."""
        try:
            return await catalog_starter.publish(
                self.client,
                engine,
                self.settings.temporal_catalog_task_queue,
                version_id,
                actor_id,
                activates_at,
                force=force,
            )
        except catalog_starter.PublicationUnavailable as exc:
            raise Problem(503, str(exc)) from exc

    async def unpublish_catalog_version(self, engine: Engine, version_id: int) -> bool:
        """Cancels a scheduled publication (its workflow, too). Raises versions.VersionError."""
        return await catalog_starter.unpublish(self.client, engine, version_id)

    async def create_sync_schedule(self, request: SyncRequest, every: timedelta, *, replace: bool) -> str:
        """Creates (with `replace`: changes) the supplier's sync schedule; returns its id. Raises
        sync.InvalidSchedule; 409 when one exists and `replace` is false."""
        try:
            return await catalog_starter.create_sync_schedule(
                self.client, request, every, self.settings.temporal_catalog_task_queue, replace=replace
            )
        except ScheduleAlreadyRunningError as exc:
            raise Problem(409, f"a sync schedule for {request.supplier} exists (replace=true to change it)") from exc

    async def trigger_sync_schedule(self, supplier: str) -> str:
        """Starts the supplier's sync now; returns the schedule's id. 404 when there is none."""
        try:
            return await catalog_starter.trigger_sync_schedule(self.client, supplier)
        except catalog_starter.NoSchedule as exc:
            raise Problem(404, str(exc)) from exc

    async def delete_sync_schedule(self, supplier: str) -> None:
        """404 when the supplier has no sync schedule."""
        try:
            await catalog_starter.delete_sync_schedule(self.client, supplier)
        except catalog_starter.NoSchedule as exc:
            raise Problem(404, str(exc)) from exc
