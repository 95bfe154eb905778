"""Sub-orders for delivery units (partners.service): their list, one with its timeline, and the
portal's progress reports."""

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep, GatewayDep
from api.security import CurrentActor
from models.suborders import PortalEvent, SubOrderStatus, SubOrderSummary, SubOrderView
from partners import service as partners

router = APIRouter(prefix="/api/v1/suborders", tags=["sub-orders (delivery units)"])


@router.get("", response_model=list[SubOrderSummary], summary="The caller's delivery unit's sub-orders")
async def list_suborders(
    actor: CurrentActor,
    engine: EngineDep,
    status: Annotated[SubOrderStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SubOrderSummary]:
    return await run_in_threadpool(partners.list_suborders, engine, actor, status, limit)


@router.get("/{suborder_id}", response_model=SubOrderView, summary="One sub-order with its timeline")
async def get_suborder(suborder_id: str, actor: CurrentActor, gateway: GatewayDep, engine: EngineDep) -> SubOrderView:
    return await partners.visible_suborder(gateway, engine, actor, suborder_id)


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
    engine: EngineDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> SubOrderView:
    return await partners.report_from_portal(gateway, engine, actor, suborder_id, body, idempotency_key)
