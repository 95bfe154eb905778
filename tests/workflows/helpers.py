"""Building blocks for workflow tests: placements, actors and the partner's side of a sub-order."""
import uuid
from datetime import timedelta

from temporalio.client import Client, WorkflowHandle

from models.actors import Actor
from models.orders import OrderLineRequest, OrderPlacement, OrderView
from models.policy import EscalationPolicy, OrderPolicy
from models.suborders import PartnerEvent
from workflows.order import OrderWorkflow
from workflows.suborder import SubOrderWorkflow

BUYER = Actor(id="buyer@acme.example", roles=["buyer"], customer_id="acme")
APPROVER = Actor(id="approver@acme.example", roles=["approver", "buyer"], customer_id="acme")
GLOBEX_BUYER = Actor(id="buyer@globex.example", roles=["buyer"], customer_id="globex")
EXPERT = Actor(id="expert@seller.example", roles=["expert"])
FINANCE = Actor(id="finance@seller.example", roles=["finance"])

POLICY = OrderPolicy(
    approval=EscalationPolicy(reminder_after=timedelta(hours=1), escalation_after=timedelta(hours=4),
                              timeout=timedelta(days=1)),
    partner_accept_timeout=timedelta(days=2), partner_ship_timeout=timedelta(days=5),
    partner_deliver_timeout=timedelta(days=10), dunning_interval=timedelta(days=14),
)

SWITCH = OrderLineRequest(sku="SW-24-PRO", quantity=1, configuration={"hw_version": "B2", "sw_version": "8.0"})
CABLES = OrderLineRequest(sku="CBL-CAT6-5M", quantity=10)
INSTALL = OrderLineRequest(sku="SVC-INSTALL-ONSITE", quantity=1)


def placement(*lines: OrderLineRequest, buyer: Actor = BUYER, policy: OrderPolicy = POLICY) -> OrderPlacement:
    return OrderPlacement(order_id=f"T-{uuid.uuid4().hex[:10].upper()}", seller_id="seller", buyer=buyer,
                          lines=list(lines), policy=policy)


async def start(client: Client, task_queue: str, p: OrderPlacement) -> WorkflowHandle:
    return await client.start_workflow(OrderWorkflow.run, p, id=f"order-{p.order_id}", task_queue=task_queue)


def unit_actor(unit: str) -> Actor:
    return Actor(id=f"ops@{unit}", roles=["fulfilment"], delivery_unit_id=unit)


async def report(client: Client, suborder_id: str, unit: str, event: str, **data) -> None:
    handle = client.get_workflow_handle(f"suborder-{suborder_id}")
    await handle.execute_update(SubOrderWorkflow.report, PartnerEvent(
        type=f"suborder.{event}", suborder_id=suborder_id, event_id=uuid.uuid4().hex, data=data,
        actor=unit_actor(unit)))


async def deliver(client: Client, suborder_id: str, unit: str) -> None:
    for event in ("accepted", "shipped", "delivered"):
        await report(client, suborder_id, unit, event)


async def status(handle: WorkflowHandle) -> OrderView:
    return await handle.query(OrderWorkflow.view)


async def wait_for(handle: WorkflowHandle, predicate, env=None, attempts: int = 200) -> OrderView:
    """Polls the order's query until `predicate(view)` holds (progress is asynchronous)."""
    import asyncio
    for _ in range(attempts):
        view = await status(handle)
        if predicate(view):
            return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not reached; last status {view.status}, timeline {view.timeline}")
