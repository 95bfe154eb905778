from datetime import datetime

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.deps import EngineDep
from api.security import CurrentActor
from notifications.service import inbox

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


class NotificationOut(BaseModel):
    subject: str
    body: str
    order_id: str | None
    created_at: datetime


@router.get(
    "", response_model=list[NotificationOut], summary="Reminders, escalations and new sub-orders for the caller's roles"
)
async def my_notifications(actor: CurrentActor, engine: EngineDep) -> list[NotificationOut]:
    rows = await run_in_threadpool(inbox, engine, actor)
    return [NotificationOut(subject=r.subject, body=r.body, order_id=r.order_id, created_at=r.created_at) for r in rows]
