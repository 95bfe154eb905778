import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field

from api.deps import GatewayDep
from api.problems import Problem
from api.security import CurrentActor, require_role
from models.actors import Actor
from models.suborders import EventType, PartnerEvent, SubOrderLine, SubOrderStatus, SubOrderView

router = APIRouter(prefix="/api/v1/suborders", tags=["sub-orders (delivery units)"])


class SubOrderSummary(BaseModel):
    suborder_id: str
    order_id: str | None
    partner_id: str | None
    status: SubOrderStatus | None
    lines: list[SubOrderLine]
    sent_at: object = None


class PortalEvent(BaseModel):
    type: EventType
    data: dict[str, Any] = Field(default_factory=dict, description="tracking (shipped), reason (rejected), note")


def _unit_scope(actor: Actor) -> str | None:
    """A delivery unit's people see their unit's sub-orders; the seller's staff see all."""
    if actor.delivery_unit_id is not None:
        return actor.delivery_unit_id
    if actor.is_seller_staff:
        return None
    raise Problem(403, "Sub-orders are for delivery units and the seller's staff")


@router.get("", response_model=list[SubOrderSummary], summary="The caller's delivery unit's sub-orders")
async def list_suborders(
    actor: CurrentActor,
    gateway: GatewayDep,
    status: Annotated[SubOrderStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SubOrderSummary]:
    rows = await gateway.list_suborders(_unit_scope(actor), status.value if status else None, limit)
    return [SubOrderSummary(**row) for row in rows]


async def visible_suborder(gateway, actor: Actor, suborder_id: str) -> SubOrderView:
    unit = _unit_scope(actor)
    view = await gateway.suborder(suborder_id)
    if unit is not None and view.partner_id != unit:
        raise Problem(404, f"sub-order {suborder_id} not found")
    return view


@router.get("/{suborder_id}", response_model=SubOrderView, summary="One sub-order with its timeline")
async def get_suborder(suborder_id: str, actor: CurrentActor, gateway: GatewayDep) -> SubOrderView:
    return await visible_suborder(gateway, actor, suborder_id)


@router.post(
    "/{suborder_id}/events",
    response_model=SubOrderView,
    summary="Report progress from the partner portal (same effect as the signed webhook)",
)
async def report_event(
    suborder_id: str,
    body: PortalEvent,
    actor: CurrentActor,
    gateway: GatewayDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> SubOrderView:
    require_role(actor, "fulfilment")
    await visible_suborder(gateway, actor, suborder_id)
    event_id = f"portal:{idempotency_key or uuid.uuid4().hex}"
    return await gateway.report(
        PartnerEvent(type=body.type, suborder_id=suborder_id, event_id=event_id, data=body.data, actor=actor),
        update_id=event_id,
    )
