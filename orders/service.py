"""The order service: what the API, the pages and the activities do with orders. It places an
order (a durable workflow), lists and shows the caller's orders, takes approvals, cancellations
and the expert's sub-order decisions, and validates an order for its workflow. Who may do what is
decided here; the workflows (through `OrderWorkflows`) decide what the order's state allows."""

from anyio import to_thread
from sqlalchemy import Engine

from core.database import session_scope
from core.errors import Forbidden, Invalid, NotFound
from core.settings import Settings
from models.actors import Actor, require_role
from models.approvals import ApprovalDecision, SubOrderDecision
from models.orders import (
    ApprovalBody,
    CancelBody,
    CancelRequest,
    OrderAccepted,
    OrderCreate,
    OrderPlacement,
    OrderStatus,
    OrderSummary,
    OrderView,
    SubOrderDecisionBody,
    ValidatedOrder,
    ValidationRequest,
)
from orders import validation
from orders.ids import new_order_id, request_fingerprint
from orders.order_workflows import OrderWorkflows
from orders.policy import order_policy
from orders.visibility import may_see_order
from partners import units

OrderRejected = validation.OrderRejected


async def place(
    workflows: OrderWorkflows, settings: Settings, actor: Actor, body: OrderCreate, idempotency_key: str | None
) -> OrderAccepted:
    """Starts the order's workflow: durable once this returns. The same Idempotency-Key is the same
    order (another body with it is refused)."""
    require_role(actor, "buyer")
    if actor.customer_id is None:
        raise Forbidden("Only a customer's buyers place orders")
    order_id = new_order_id(actor.customer_id, idempotency_key)
    placement = OrderPlacement(
        order_id=order_id,
        seller_id=settings.seller_id,
        buyer=actor,
        lines=body.lines,
        customer_reference=body.customer_reference,
        delivery_address=body.delivery_address,
        policy=order_policy(settings),
    )
    fingerprint = request_fingerprint({"buyer": actor.id, **body.model_dump(mode="json")})
    order_id, status = await workflows.place_order(placement, fingerprint)
    return OrderAccepted(order_id=order_id, status=status, location=f"/api/v1/orders/{order_id}")


async def list_orders(
    workflows: OrderWorkflows, actor: Actor, status: OrderStatus | None, limit: int
) -> list[OrderSummary]:
    """The caller's customer's orders (the seller's staff: all), newest first."""
    if actor.customer_id is None and not actor.is_seller_staff:
        raise Forbidden("Delivery units see their sub-orders under /api/v1/suborders")
    rows = await workflows.list_orders(actor.customer_id, status.value if status else None, limit)
    return [OrderSummary(**row) for row in rows]


async def visible_order(workflows: OrderWorkflows, actor: Actor, order_id: str) -> OrderView:
    """The order's status document, if the caller may see it (else: not found, as if it did not exist)."""
    view = await workflows.order(order_id)
    if not may_see_order(actor, view):
        raise NotFound(f"order {order_id} not found")
    return view


async def approve(workflows: OrderWorkflows, actor: Actor, order_id: str, body: ApprovalBody) -> OrderView:
    """The approver's or expert's decision; the order refuses anyone it does not wait for."""
    await visible_order(workflows, actor, order_id)
    return await workflows.decide(order_id, ApprovalDecision(decision=body.decision, comment=body.comment, actor=actor))


async def cancel(workflows: OrderWorkflows, actor: Actor, order_id: str, body: CancelBody | None) -> OrderView:
    """The buyer cancels (the order refuses once something shipped)."""
    await visible_order(workflows, actor, order_id)
    reason = (body.reason if body else "") or "cancelled by the buyer"
    return await workflows.cancel(order_id, CancelRequest(actor=actor, reason=reason))


async def decide_suborder(
    workflows: OrderWorkflows,
    engine: Engine,
    actor: Actor,
    order_id: str,
    suborder_id: str,
    body: SubOrderDecisionBody,
) -> OrderView:
    """The expert's decision on a rejected sub-order, or on an escalated one stuck at its unit."""
    await visible_order(workflows, actor, order_id)
    if body.action == "reassign" and not (body.partner_id and await _unit_exists(engine, body.partner_id)):
        raise Invalid("reassign needs the id of an existing delivery unit", field="partner_id")
    return await workflows.decide_suborder(
        order_id,
        SubOrderDecision(
            action=body.action, suborder_id=suborder_id, partner_id=body.partner_id, comment=body.comment, actor=actor
        ),
    )


async def _unit_exists(engine: Engine, unit_id: str) -> bool:
    return await to_thread.run_sync(units.unit_exists, engine, unit_id)


def validate(engine: Engine, request: ValidationRequest) -> ValidatedOrder:
    """Checks the order against its customer's contract, assortment, rights and limits, and prices
    it; OrderRejected names the line and field at fault."""
    with session_scope(engine) as session:
        return validation.validate_order(session, request.placement, request.as_of)
