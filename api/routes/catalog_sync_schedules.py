"""Supplier sync schedules (catalog managers): a Temporal schedule per supplier pulls its catalog
from a URL into a new draft at an interval (catalog/exchange/sync.py); create, trigger now, delete. The
schedules are Temporal's, so every call goes through the gateway."""

from datetime import timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import GatewayDep
from api.routes.catalog_shared import PREFIX, TAG
from api.security import CurrentActor
from models.actors import require_catalog_manager
from models.catalog_versions import SyncRequest

router = APIRouter(prefix=PREFIX, tags=[TAG])


class SyncScheduleIn(SyncRequest):
    every: timedelta = Field(default=timedelta(days=1), description="seconds or ISO 8601, e.g. P1D")
    replace: bool = False


class SyncScheduleOut(BaseModel):
    schedule_id: str
    supplier: str
    every: timedelta


@router.post(
    "/sync-schedules",
    response_model=SyncScheduleOut,
    status_code=201,
    summary="Pull a supplier's catalog from a URL into a new draft at an interval (a Temporal schedule)",
)
async def create_sync_schedule(body: SyncScheduleIn, actor: CurrentActor, gateway: GatewayDep) -> SyncScheduleOut:
    require_catalog_manager(actor)
    sync_request = SyncRequest(**body.model_dump(exclude={"every", "replace"}))
    sid = await gateway.create_sync_schedule(sync_request, body.every, replace=body.replace)  # InvalidSchedule: 422
    return SyncScheduleOut(schedule_id=sid, supplier=body.supplier, every=body.every)


@router.post("/sync-schedules/{supplier}/trigger", status_code=202, summary="Run a supplier's sync now")
async def trigger_sync_schedule(supplier: str, actor: CurrentActor, gateway: GatewayDep) -> dict:
    require_catalog_manager(actor)
    return {"schedule_id": await gateway.trigger_sync_schedule(supplier), "triggered": True}


@router.delete("/sync-schedules/{supplier}", status_code=204, summary="Delete a supplier's sync schedule")
async def delete_sync_schedule(supplier: str, actor: CurrentActor, gateway: GatewayDep) -> None:
    require_catalog_manager(actor)
    await gateway.delete_sync_schedule(supplier)
