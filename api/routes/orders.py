"""Orders: place, list, read, approve, cancel, and the expert's sub-order decisions (orders.service)."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from api.deps import EngineDep, GatewayDep, SettingsDep
from api.security import CurrentActor
from models.orders import (
    ApprovalBody,
    CancelBody,
    OrderAccepted,
    OrderCreate,
    OrderStatus,
    OrderSummary,
    OrderView,
    SubOrderDecisionBody,
)
from orders import service as orders

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


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
    accepted = await orders.place(gateway, settings, actor, body, idempotency_key)
    response.headers["Location"] = accepted.location
    return accepted


@router.get("", response_model=list[OrderSummary], summary="The caller's orders, newest first")
async def list_orders(
    actor: CurrentActor,
    gateway: GatewayDep,
    status: Annotated[OrderStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OrderSummary]:
    return await orders.list_orders(gateway, actor, status, limit)


@router.get("/{order_id}", response_model=OrderView, summary="The order's status document")
async def get_order(order_id: str, actor: CurrentActor, gateway: GatewayDep) -> OrderView:
    return await orders.visible_order(gateway, actor, order_id)


@router.post(
    "/{order_id}/approval",
    response_model=OrderView,
    summary="Approve or reject, by the approver or expert the order waits for (409 otherwise)",
)
async def approve(order_id: str, body: ApprovalBody, actor: CurrentActor, gateway: GatewayDep) -> OrderView:
    return await orders.approve(gateway, actor, order_id, body)


@router.post("/{order_id}/cancel", response_model=OrderView, summary="Cancel before shipping, by the buyer")
async def cancel(order_id: str, actor: CurrentActor, gateway: GatewayDep, body: CancelBody | None = None) -> OrderView:
    return await orders.cancel(gateway, actor, order_id, body)


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
    return await orders.decide_suborder(gateway, engine, actor, order_id, suborder_id, body)
