"""Building blocks for workflow tests: placements, actors and the partner's side of a sub-order."""

import uuid
from datetime import timedelta

from sqlalchemy import Engine, select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError

from core import temporal_names as names
from core.database import session_scope
from models.actors import Actor
from models.orders import OrderLineRequest, OrderPlacement, OrderView
from models.policy import EscalationPolicy, OrderPolicy
from models.suborders import PartnerEvent, SubOrderView
from notifications.tables import NotificationRow
from orders import record
from workflows.order import OrderWorkflow
from workflows.suborder import SubOrderWorkflow

BUYER = Actor(id="buyer@acme.example", roles=["buyer"], customer_id="acme")
APPROVER = Actor(id="approver@acme.example", roles=["approver", "buyer"], customer_id="acme")
GLOBEX_BUYER = Actor(id="buyer@globex.example", roles=["buyer"], customer_id="globex")
EXPERT = Actor(id="expert@seller.example", roles=["expert"])
FINANCE = Actor(id="finance@seller.example", roles=["finance"])
GLOBEX_APPROVER = Actor(id="approver@globex.example", roles=["approver", "buyer"], customer_id="globex")
ACME_AT_BUYER = Actor(id="buyer@acme-at.example", roles=["buyer"], customer_id="acme-at")

POLICY = OrderPolicy(
    approval=EscalationPolicy(
        reminder_after=timedelta(hours=1), escalation_after=timedelta(hours=4), timeout=timedelta(days=1)
    ),
    partner_accept_timeout=timedelta(days=2),
    partner_ship_timeout=timedelta(days=5),
    partner_deliver_timeout=timedelta(days=10),
    dunning_interval=timedelta(days=14),
)

SWITCH = OrderLineRequest(sku="SW-24-PRO", quantity=1, configuration={"hw_version": "B2", "sw_version": "8.0"})
CABLES = OrderLineRequest(sku="CBL-CAT6-5M", quantity=10)
INSTALL = OrderLineRequest(sku="SVC-INSTALL-ONSITE", quantity=1)
# 4 x 1450.00 = 5800.00 net: over buyer@acme's order limit of 5000.00
BIG_SWITCHES = OrderLineRequest(sku="SW-24-PRO", quantity=4, configuration={"hw_version": "B2", "sw_version": "8.0"})

# Every order a test starts, so the `client` fixture can end what a test leaves running: a
# workflow left without a worker blocks the shared time-skipping server's clock.
STARTED: list[WorkflowHandle] = []
# The database the test's worker writes the order record to (set by the `client` fixture).
RECORD: list[Engine] = []


def placement(*lines: OrderLineRequest, buyer: Actor = BUYER, policy: OrderPolicy = POLICY) -> OrderPlacement:
    return OrderPlacement(
        order_id=f"T-{uuid.uuid4().hex[:10].upper()}", seller_id="seller", buyer=buyer, lines=list(lines), policy=policy
    )


async def start(client: Client, task_queue: str, p: OrderPlacement) -> WorkflowHandle:
    """Starts the order the way the API does: CustomerId and OrderStatus are set at start.

    Returns a plain handle, not the time-skipping one `start_workflow` gives: that one's `result()`
    lets the test server skip time freely until the result is in, and the server then jumps its
    clock to the next timer of any workflow (seen: 2 days, 10 years), past what the test checks.
    Tests move the clock explicitly with `time_env.sleep(...)`."""
    await client.start_workflow(
        OrderWorkflow.run,
        p.model_copy(update={"engine": names.CURRENT_ENGINE}),
        id=names.order_workflow_id(p.order_id),
        task_queue=task_queue,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(names.CUSTOMER_ID, p.buyer.customer_id or ""),
                SearchAttributePair(names.ORDER_STATUS, "RECEIVED"),
            ]
        ),
    )
    handle = client.get_workflow_handle_for(OrderWorkflow.run, names.order_workflow_id(p.order_id))
    STARTED.append(handle)
    return handle


def unit_actor(unit: str) -> Actor:
    return Actor(id=f"ops@{unit}", roles=["fulfilment"], delivery_unit_id=unit)


async def report(
    client: Client,
    suborder_id: str,
    unit: str,
    event: str,
    *,
    event_id: str | None = None,
    actor: Actor | None = None,
    **data,
) -> SubOrderView:
    handle = client.get_workflow_handle(names.suborder_workflow_id(suborder_id))
    return await handle.execute_update(
        SubOrderWorkflow.report,
        PartnerEvent(
            type=f"suborder.{event}",
            suborder_id=suborder_id,
            event_id=event_id or uuid.uuid4().hex,
            data=data,
            actor=actor or unit_actor(unit),
        ),
    )


async def deliver(client: Client, suborder_id: str, unit: str) -> None:
    for event in ("accepted", "shipped", "delivered"):
        await report(client, suborder_id, unit, event)


async def status(handle: WorkflowHandle) -> OrderView:
    """The order as its record shows it, once the record holds what the workflow has reached
    (what the API serves); the workflow's own document for an order without a record."""
    import asyncio

    live = await handle.query(OrderWorkflow.view)
    if not RECORD:
        return live
    for _ in range(200):
        with session_scope(RECORD[0]) as session:
            stored = record.order_view(session, live.order_id)
        if stored is not None and stored.revision >= live.revision:
            return stored
        await asyncio.sleep(0.02)
        live = await handle.query(OrderWorkflow.view)
    raise AssertionError(f"the record of {live.order_id} stays behind its workflow (revision {live.revision})")


def suborder(view: OrderView, unit: str) -> SubOrderView:
    """The latest sub-order of the order at this delivery unit."""
    found = [s for s in view.suborders if s.partner_id == unit]
    assert found, f"no sub-order at {unit}: {[s.suborder_id for s in view.suborders]}"
    return found[-1]


def events(view: OrderView | SubOrderView) -> list[str]:
    return [entry.event for entry in view.timeline]


async def refused(call, error_type: str) -> str:
    """Awaits an update that its validator must refuse; returns the refusal's message."""
    try:
        await call
    except WorkflowUpdateFailedError as err:
        assert isinstance(err.cause, ApplicationError), err.cause
        assert err.cause.type == error_type, (err.cause.type, err.cause.message)
        return err.cause.message
    raise AssertionError(f"the update was accepted, expected a refusal of type {error_type}")


def notifications(engine: Engine, order_id: str) -> list[NotificationRow]:
    with session_scope(engine) as session:
        return list(
            session.execute(
                select(NotificationRow).where(NotificationRow.order_id == order_id).order_by(NotificationRow.created_at)
            ).scalars()
        )


async def wait_for(handle: WorkflowHandle, predicate, env=None, attempts: int = 200) -> OrderView:
    """Polls the order's query until `predicate(view)` holds (progress is asynchronous)."""
    import asyncio

    for _ in range(attempts):
        view = await status(handle)
        if predicate(view):
            return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not reached; last status {view.status}, timeline {view.timeline}")
