from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, ValidationError

from api.deps import EngineDep, GatewayDep
from api.problems import Problem
from models.actors import Actor
from models.suborders import EventType, PartnerEvent, SubOrderView
from partners import webhooks

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


class PartnerWebhook(BaseModel):
    type: EventType
    suborder_id: str = Field(min_length=1, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict)


class WebhookAck(BaseModel):
    status: str  # "processed" or "duplicate"
    suborder: SubOrderView | None = None


@router.post(
    "/partners/{partner_id}",
    response_model=WebhookAck,
    summary="A delivery unit's backend reports progress (Standard Webhooks signature)",
    responses={401: {"description": "bad signature or stale timestamp"}},
)
async def partner_webhook(partner_id: str, request: Request, gateway: GatewayDep, engine: EngineDep) -> WebhookAck:
    secret = await run_in_threadpool(webhooks.unit_secret, engine, partner_id)
    if secret is None:
        raise Problem(404, f"unknown delivery unit {partner_id}", field="partner_id")
    body = await request.body()
    try:
        webhooks.verify(secret, body, dict(request.headers))
    except (webhooks.WebhookVerificationError, ValueError) as exc:
        raise Problem(401, f"Webhook signature verification failed: {exc}") from exc
    webhook_id = request.headers["webhook-id"]
    if await run_in_threadpool(webhooks.already_received, engine, partner_id, webhook_id):
        return WebhookAck(status="duplicate")
    try:
        message = PartnerWebhook.model_validate_json(body)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise Problem(422, "Invalid webhook body", field=errors[0]["field"], errors=errors) from exc
    event = PartnerEvent(
        type=message.type,
        suborder_id=message.suborder_id,
        event_id=webhook_id,
        data=message.data,
        actor=Actor(id=f"partner:{partner_id}", delivery_unit_id=partner_id),
    )
    # the update id makes concurrent deliveries of one webhook a single update in Temporal
    view = await gateway.report(event, update_id=f"webhook:{partner_id}:{webhook_id}")
    await run_in_threadpool(webhooks.remember, engine, partner_id, webhook_id, message.suborder_id, message.type)
    return WebhookAck(status="processed", suborder=view)
