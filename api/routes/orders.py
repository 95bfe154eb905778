from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.deps import EngineDep, GatewayDep, SettingsDep
from api.gateway import may_see_order, new_order_id, request_fingerprint
from api.problems import Problem
from api.security import CurrentActor, require_role
from core.database import session_scope
from models.actors import Actor
from models.approvals import ApprovalDecision, SubOrderDecision
from models.orders import CancelRequest, OrderLineRequest, OrderPlacement, OrderStatus, OrderView
from orders.policy import order_policy
from partners.tables import DeliveryUnit

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


class OrderCreate(BaseModel):
    lines: list[OrderLineRequest] = Field(min_length=1, max_length=500)
    customer_reference: str | None = Field(default=None, max_length=100)
    delivery_address: str | None = Field(default=None, max_length=500)


class OrderAccepted(BaseModel):
    order_id: str
    status: OrderStatus
    location: str


class OrderSummary(BaseModel):
    order_id: str
    status: OrderStatus | None
    customer_id: str | None
    customer_reference: str | None = None
    buyer: str | None = None
    gross_total: str | None = None
    currency: str | None = None
    placed_at: object = None


class ApprovalBody(BaseModel):
    decision: Literal["approve", "reject"]
    comment: str = Field(default="", max_length=2000)


class CancelBody(BaseModel):
    reason: str = Field(default="", max_length=2000)


class SubOrderDecisionBody(BaseModel):
    action: Literal["resend", "reassign", "drop", "cancel_order"]
    partner_id: str | None = Field(default=None, description="delivery unit for action=reassign")
    comment: str = Field(default="", max_length=2000)


async def place(gateway, settings, actor: Actor, body: OrderCreate, idempotency_key: str | None) -> OrderAccepted:
    """Shared by the API and the order page."""
    require_role(actor, "buyer")
    if actor.customer_id is None:
        raise Problem(403, "Only a customer's buyers place orders")
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
    order_id, status = await gateway.place_order(placement, fingerprint)
    return OrderAccepted(order_id=order_id, status=status, location=f"/api/v1/orders/{order_id}")


@router.post(
    "",
    status_code=202,
    response_model=OrderAccepted,
    summary="Place a call-off order (validated, approved, fulfilled and invoiced asynchronously)",
    responses={202: {"description": "The order is durable in Temporal; follow Location for its status"}},
)
async def create_order(
    body: OrderCreate,
    response: Response,
    actor: CurrentActor,
    gateway: GatewayDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200, min_length=1)] = None,
) -> OrderAccepted:
    accepted = await place(gateway, settings, actor, body, idempotency_key)
    response.headers["Location"] = accepted.location
    return accepted


@router.get("", response_model=list[OrderSummary], summary="The caller's orders, newest first")
async def list_orders(
    actor: CurrentActor,
    gateway: GatewayDep,
    status: Annotated[OrderStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OrderSummary]:
    if actor.customer_id is None and not actor.is_seller_staff:
        raise Problem(403, "Delivery units see their sub-orders under /api/v1/suborders")
    rows = await gateway.list_orders(actor.customer_id, status.value if status else None, limit)
    return [OrderSummary(**row) for row in rows]


async def visible_order(gateway, actor: Actor, order_id: str) -> OrderView:
    view = await gateway.order(order_id)
    if not may_see_order(actor, view):
        raise Problem(404, f"order {order_id} not found")
    return view


@router.get("/{order_id}", response_model=OrderView, summary="The order's status document")
async def get_order(order_id: str, actor: CurrentActor, gateway: GatewayDep) -> OrderView:
    return await visible_order(gateway, actor, order_id)


@router.post(
    "/{order_id}/approval",
    response_model=OrderView,
    summary="Approve or reject, by the approver or expert the order waits for (409 otherwise)",
)
async def approve(order_id: str, body: ApprovalBody, actor: CurrentActor, gateway: GatewayDep) -> OrderView:
    await visible_order(gateway, actor, order_id)
    return await gateway.decide(order_id, ApprovalDecision(decision=body.decision, comment=body.comment, actor=actor))


@router.post("/{order_id}/cancel", response_model=OrderView, summary="Cancel before shipping, by the buyer")
async def cancel(order_id: str, actor: CurrentActor, gateway: GatewayDep, body: CancelBody | None = None) -> OrderView:
    await visible_order(gateway, actor, order_id)
    reason = (body.reason if body else "") or "cancelled by the buyer"
    return await gateway.cancel(order_id, CancelRequest(actor=actor, reason=reason))


def _unit_exists(engine, unit_id: str) -> bool:
    with session_scope(engine) as session:
        return session.get(DeliveryUnit, unit_id) is not None


@router.post(
    "/{order_id}/suborders/{suborder_id}/decision",
    response_model=OrderView,
    summary="The expert's decision on a rejected sub-order, or on an escalated one stuck at its unit",
)
async def decide_suborder(
    order_id: str,
    suborder_id: str,
    body: SubOrderDecisionBody,
    actor: CurrentActor,
    gateway: GatewayDep,
    engine: EngineDep,
) -> OrderView:
    await visible_order(gateway, actor, order_id)
    if body.action == "reassign" and not (
        body.partner_id and await run_in_threadpool(_unit_exists, engine, body.partner_id)
    ):
        raise Problem(422, "reassign needs the id of an existing delivery unit", field="partner_id")
    return await gateway.decide_suborder(
        order_id,
        SubOrderDecision(
            action=body.action, suborder_id=suborder_id, partner_id=body.partner_id, comment=body.comment, actor=actor
        ),
    )
