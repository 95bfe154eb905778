"""The API's one way into Temporal: start, update and query order and sub-order workflows,
schedule catalog publications and supplier sync schedules, and turn Temporal's errors into
problem details. Routes and pages both go through here.

Workflows are addressed by the names in core/temporal_names.py, so the API process never imports
workflow code."""

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from temporalio.client import (
    Client,
    ScheduleAlreadyRunningError,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.problems import Problem
from core import temporal_names as names
from core.settings import Settings
from models.approvals import ApprovalDecision, SubOrderDecision
from models.catalog_versions import PublishResult, SyncRequest
from models.invoices import PaymentIn, PaymentResult
from models.orders import CancelRequest, OrderPlacement, OrderStatus, OrderView
from models.suborders import PartnerEvent, SubOrderView
from workflows import catalog_starter


def _literal(value: str) -> str:
    """A visibility-query string literal; ids and statuses never need quoting characters."""
    if not re.fullmatch(r"[A-Za-z0-9_.@:-]{1,200}", value):
        raise Problem(422, f"invalid filter value {value!r}")
    return f"'{value}'"


def _problem_from_update(err: WorkflowUpdateFailedError) -> Problem:
    cause = err.cause
    if isinstance(cause, ApplicationError):
        status = {names.NOT_FOUND: 404, names.CONFLICT: 409, names.INVALID: 422}.get(cause.type or "", 409)
        return Problem(status, cause.message)
    return Problem(409, str(cause or err))


def _problem_from_rpc(err: RPCError, what: str) -> Problem:
    if err.status == RPCStatusCode.NOT_FOUND:
        if "completed" in err.message or "closed" in err.message.lower():
            return Problem(409, f"{what} is closed: {err.message}")
        return Problem(404, f"{what} not found")
    if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return Problem(503, "The workflow service is unavailable, try again")
    return Problem(409 if err.status == RPCStatusCode.FAILED_PRECONDITION else 502, err.message)


class Gateway:
    def __init__(self, client: Client, settings: Settings):
        self.client = client
        self.settings = settings

    async def place_order(self, placement: OrderPlacement, fingerprint: str) -> tuple[str, OrderStatus]:
        """Starts the order's workflow (durable once this returns). Idempotent by workflow id."""
        wf_id = names.order_workflow_id(placement.order_id)
        try:
            handle = await self.client.start_workflow(
                names.ORDER_WORKFLOW,
                placement,
                id=wf_id,
                task_queue=self.settings.temporal_task_queue,
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
            handle = self.client.get_workflow_handle(wf_id)
        except RPCError as err:
            raise _problem_from_rpc(err, "order") from err
        desc = await handle.describe()
        memo = await desc.memo()
        if memo.get(names.MEMO_FINGERPRINT) != fingerprint:
            raise Problem(422, "This Idempotency-Key was already used for a different order", field="Idempotency-Key")
        status = desc.typed_search_attributes.get(names.ORDER_STATUS) or OrderStatus.RECEIVED.value
        return placement.order_id, OrderStatus(status)

    async def order(self, order_id: str) -> OrderView:
        try:
            handle = self.client.get_workflow_handle(names.order_workflow_id(order_id))
            return await handle.query(names.ORDER_VIEW, result_type=OrderView)
        except RPCError as err:
            raise _problem_from_rpc(err, f"order {order_id}") from err

    async def decide(self, order_id: str, decision: ApprovalDecision) -> OrderView:
        return await self._update_order(order_id, names.ORDER_DECIDE, decision, OrderView)

    async def decide_suborder(self, order_id: str, decision: SubOrderDecision) -> OrderView:
        return await self._update_order(order_id, names.ORDER_DECIDE_SUBORDER, decision, OrderView)

    async def cancel(self, order_id: str, request: CancelRequest) -> OrderView:
        return await self._update_order(order_id, names.ORDER_CANCEL, request, OrderView)

    async def record_payment(self, order_id: str, payment: PaymentIn) -> PaymentResult:
        return await self._update_order(order_id, names.ORDER_RECORD_PAYMENT, payment, PaymentResult)

    async def _update_order(self, order_id: str, update: str, arg: Any, result_type: type) -> Any:
        handle = self.client.get_workflow_handle(names.order_workflow_id(order_id))
        try:
            return await handle.execute_update(update, arg, result_type=result_type)
        except WorkflowUpdateFailedError as err:
            raise _problem_from_update(err) from err
        except RPCError as err:
            raise _problem_from_rpc(err, f"order {order_id}") from err

    async def _visible(self, workflow_type: str, filters: dict, limit: int, row) -> list[dict]:
        """Runs from Temporal's visibility store (no worker involved), filtered by search attributes."""
        query = f"WorkflowType = '{workflow_type}'" + "".join(
            f" AND {name} = {_literal(value)}" for name, value in filters.items() if value
        )
        return [row(wf, await wf.memo()) async for wf in self.client.list_workflows(query, limit=limit)]

    async def list_orders(self, customer_id: str | None, status: str | None, limit: int) -> list[dict]:
        filters = {names.CUSTOMER_ID.name: customer_id, names.ORDER_STATUS.name: status}
        return await self._visible(
            names.ORDER_WORKFLOW,
            filters,
            limit,
            lambda wf, memo: {
                "order_id": names.order_id_of(wf.id),
                "status": wf.typed_search_attributes.get(names.ORDER_STATUS),
                "customer_id": wf.typed_search_attributes.get(names.CUSTOMER_ID),
                "customer_reference": memo.get(names.MEMO_CUSTOMER_REFERENCE),
                "buyer": memo.get(names.MEMO_BUYER),
                "gross_total": memo.get(names.MEMO_GROSS_TOTAL),
                "currency": memo.get(names.MEMO_CURRENCY),
                "placed_at": wf.start_time,
                "running": wf.status == WorkflowExecutionStatus.RUNNING,
            },
        )

    async def suborder(self, suborder_id: str) -> SubOrderView:
        try:
            handle = self.client.get_workflow_handle(names.suborder_workflow_id(suborder_id))
            return await handle.query(names.SUBORDER_VIEW, result_type=SubOrderView)
        except RPCError as err:
            raise _problem_from_rpc(err, f"sub-order {suborder_id}") from err

    async def report(self, event: PartnerEvent, update_id: str | None = None) -> SubOrderView:
        handle = self.client.get_workflow_handle(names.suborder_workflow_id(event.suborder_id))
        try:
            return await handle.execute_update(names.SUBORDER_REPORT, event, id=update_id, result_type=SubOrderView)
        except WorkflowUpdateFailedError as err:
            raise _problem_from_update(err) from err
        except RPCError as err:
            raise _problem_from_rpc(err, f"sub-order {event.suborder_id}") from err

    async def list_suborders(self, partner_id: str | None, status: str | None, limit: int) -> list[dict]:
        filters = {names.PARTNER_ID.name: partner_id, names.SUBORDER_STATUS.name: status}
        return await self._visible(
            names.SUBORDER_WORKFLOW,
            filters,
            limit,
            lambda wf, memo: {
                "suborder_id": names.suborder_id_of(wf.id),
                "order_id": memo.get(names.MEMO_ORDER_ID),
                "partner_id": wf.typed_search_attributes.get(names.PARTNER_ID),
                "status": wf.typed_search_attributes.get(names.SUBORDER_STATUS),
                "lines": memo.get(names.MEMO_LINES, []),
                "sent_at": wf.start_time,
            },
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
