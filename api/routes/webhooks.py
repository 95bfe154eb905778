"""Signed webhooks from delivery units' backends (partners.service): verified before the body is
read as JSON, each webhook id with one effect."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, ValidationError

from api.deps import EngineDep, GatewayDep
from api.problems import Problem
from models.suborders import EventType, SubOrderView
from partners import service as partners

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
    secrets = await run_in_threadpool(partners.webhook_secrets, engine, partner_id)
    body = await request.body()
    try:
        partners.verify_webhook(secrets, body, dict(request.headers))
    except (partners.WebhookVerificationError, ValueError) as exc:
        raise Problem(401, f"Webhook signature verification failed: {exc}") from exc
    webhook_id = request.headers["webhook-id"]
    if await run_in_threadpool(partners.already_received, engine, partner_id, webhook_id):
        return WebhookAck(status="duplicate")
    try:
        message = PartnerWebhook.model_validate_json(body)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise Problem(422, "Invalid webhook body", field=errors[0]["field"], errors=errors) from exc
    view = await partners.report_from_backend(
        gateway, engine, partner_id, webhook_id, message.type, message.suborder_id, message.data
    )
    return WebhookAck(status="processed", suborder=view)
