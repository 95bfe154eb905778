"""The API's one way into Temporal: start, update and query order and sub-order workflows,
schedule catalog publications and supplier sync schedules, and turn Temporal's errors into
problem details. Routes and pages both go through here."""

import hashlib
import json
import re
import secrets
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
from catalog import publication, sync
from core.settings import Settings
from models.actors import Actor
from models.catalog_versions import PublishResult, SyncRequest
from models.orders import OrderPlacement, OrderStatus, OrderView
from models.suborders import SubOrderView
from workflows import search
from workflows.order import OrderWorkflow
from workflows.suborder import SubOrderWorkflow

ORDER_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def order_workflow_id(order_id: str) -> str:
    return f"order-{order_id}"


def suborder_workflow_id(suborder_id: str) -> str:
    return f"suborder-{suborder_id}"


def new_order_id(customer_id: str, idempotency_key: str | None) -> str:
    """Same customer + same Idempotency-Key = same order id = same workflow id: one order."""
    if idempotency_key is None:
        raw = secrets.token_bytes(8)
    else:
        raw = hashlib.sha256(f"{customer_id}\x00{idempotency_key}".encode()).digest()[:8]
    number = int.from_bytes(raw, "big")
    chars = "".join(ORDER_ID_ALPHABET[(number >> (5 * i)) & 31] for i in range(12))
    return f"O-{chars}"


def _literal(value: str) -> str:
    """A visibility-query string literal; ids and statuses never need quoting characters."""
    if not re.fullmatch(r"[A-Za-z0-9_.@:-]{1,200}", value):
        raise Problem(422, f"invalid filter value {value!r}")
    return f"'{value}'"


def request_fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _problem_from_update(err: WorkflowUpdateFailedError) -> Problem:
    cause = err.cause
    if isinstance(cause, ApplicationError):
        status = {"NotFound": 404, "Conflict": 409, "Invalid": 422}.get(cause.type or "", 409)
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
        wf_id = order_workflow_id(placement.order_id)
        try:
            handle = await self.client.start_workflow(
                OrderWorkflow.run,
                placement,
                id=wf_id,
                task_queue=self.settings.temporal_task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(search.CUSTOMER_ID, placement.buyer.customer_id or ""),
                        SearchAttributePair(search.ORDER_STATUS, OrderStatus.RECEIVED.value),
                    ]
                ),
                memo={
                    "fingerprint": fingerprint,
                    "buyer": placement.buyer.id,
                    "customer_reference": placement.customer_reference,
                },
            )
        except WorkflowAlreadyStartedError:  # the order exists and has finished already
            handle = self.client.get_workflow_handle(wf_id)
        except RPCError as err:
            raise _problem_from_rpc(err, "order") from err
        desc = await handle.describe()
        memo = await desc.memo()
        if memo.get("fingerprint") != fingerprint:
            raise Problem(422, "This Idempotency-Key was already used for a different order", field="Idempotency-Key")
        status = desc.typed_search_attributes.get(search.ORDER_STATUS) or OrderStatus.RECEIVED.value
        return placement.order_id, OrderStatus(status)

    async def order(self, order_id: str) -> OrderView:
        try:
            return await self.client.get_workflow_handle(order_workflow_id(order_id)).query(OrderWorkflow.view)
        except RPCError as err:
            raise _problem_from_rpc(err, f"order {order_id}") from err

    async def update_order(self, order_id: str, update, arg) -> Any:
        handle = self.client.get_workflow_handle(order_workflow_id(order_id))
        try:
            return await handle.execute_update(update, arg)
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
        return await self._visible(
            "Order",
            {"CustomerId": customer_id, "OrderStatus": status},
            limit,
            lambda wf, memo: {
                "order_id": wf.id.removeprefix("order-"),
                "status": wf.typed_search_attributes.get(search.ORDER_STATUS),
                "customer_id": wf.typed_search_attributes.get(search.CUSTOMER_ID),
                "customer_reference": memo.get("customer_reference"),
                "buyer": memo.get("buyer"),
                "gross_total": memo.get("gross_total"),
                "currency": memo.get("currency"),
                "placed_at": wf.start_time,
                "running": wf.status == WorkflowExecutionStatus.RUNNING,
            },
        )

    async def suborder(self, suborder_id: str) -> SubOrderView:
        try:
            handle = self.client.get_workflow_handle(suborder_workflow_id(suborder_id))
            return await handle.query(SubOrderWorkflow.view)
        except RPCError as err:
            raise _problem_from_rpc(err, f"sub-order {suborder_id}") from err

    async def report(self, event, update_id: str | None = None) -> SubOrderView:
        handle = self.client.get_workflow_handle(suborder_workflow_id(event.suborder_id))
        try:
            return await handle.execute_update(SubOrderWorkflow.report, event, id=update_id)
        except WorkflowUpdateFailedError as err:
            raise _problem_from_update(err) from err
        except RPCError as err:
            raise _problem_from_rpc(err, f"sub-order {event.suborder_id}") from err

    async def list_suborders(self, partner_id: str | None, status: str | None, limit: int) -> list[dict]:
        return await self._visible(
            "SubOrder",
            {"PartnerId": partner_id, "SubOrderStatus": status},
            limit,
            lambda wf, memo: {
                "suborder_id": wf.id.removeprefix("suborder-"),
                "order_id": memo.get("order_id"),
                "partner_id": wf.typed_search_attributes.get(search.PARTNER_ID),
                "status": wf.typed_search_attributes.get(search.SUBORDER_STATUS),
                "lines": memo.get("lines", []),
                "sent_at": wf.start_time,
            },
        )

    # --- catalog: publication at a future time, supplier sync schedules ---------------------------
    # What Temporal is asked to do is defined once in catalog/publication.py and catalog/sync.py
    # (the CLI uses them too); the API's calls go through here.

    async def publish_catalog_version(
        self, engine: Engine, version_id: int, actor_id: str, activates_at: datetime | None, *, force: bool = False
    ) -> PublishResult:
        """Publishes now, or at `activates_at` through a CatalogPublication workflow. Raises
        versions.VersionError; 503 when Temporal cannot take the publication (it stays a draft)."""
        try:
            return await publication.publish(
                self.client, engine, self.settings.temporal_task_queue, version_id, actor_id, activates_at, force=force
            )
        except publication.PublicationUnavailable as exc:
            raise Problem(503, str(exc)) from exc

    async def unpublish_catalog_version(self, engine: Engine, version_id: int) -> bool:
        """Cancels a scheduled publication (its workflow, too). Raises versions.VersionError."""
        return await publication.unpublish(self.client, engine, version_id)

    async def create_sync_schedule(self, request: SyncRequest, every: timedelta, *, replace: bool) -> str:
        """Creates (with `replace`: changes) the supplier's sync schedule; returns its id. Raises
        sync.InvalidSchedule; 409 when one exists and `replace` is false."""
        try:
            return await sync.create_schedule(
                self.client, request, every, self.settings.temporal_task_queue, replace=replace
            )
        except ScheduleAlreadyRunningError as exc:
            raise Problem(409, f"a sync schedule for {request.supplier} exists (replace=true to change it)") from exc

    async def trigger_sync_schedule(self, supplier: str) -> str:
        """Starts the supplier's sync now; returns the schedule's id. 404 when there is none."""
        return await self._on_sync_schedule(supplier, "trigger")

    async def delete_sync_schedule(self, supplier: str) -> None:
        """404 when the supplier has no sync schedule."""
        await self._on_sync_schedule(supplier, "delete")

    async def _on_sync_schedule(self, supplier: str, action: str) -> str:
        handle = self.client.get_schedule_handle(sync.schedule_id(supplier))
        try:
            await getattr(handle, action)()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise Problem(404, f"no sync schedule for {supplier}") from err
            raise
        return handle.id


def may_see_order(actor: Actor, view: OrderView) -> bool:
    """Seller staff see every order; a customer's people see their customer's orders, and
    approvers the orders waiting for them; nobody else (delivery units use their sub-orders)."""
    if actor.is_seller_staff:
        return True
    if actor.customer_id is None:
        return False
    pending = view.pending_approval
    return actor.customer_id == view.customer_id or (
        pending is not None and actor.customer_id in pending.approver_customer_ids
    )
