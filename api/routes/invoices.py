"""Invoices (invoicing.service): read one, and finance records payments."""

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep, GatewayDep
from api.security import CurrentActor
from invoicing import service as invoicing
from models.invoices import Invoice, PaymentBody, PaymentResult

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])


@router.get("/{invoice_id}", response_model=Invoice, summary="An invoice with its lines and payments")
async def read_invoice(invoice_id: str, actor: CurrentActor, engine: EngineDep) -> Invoice:
    return await run_in_threadpool(invoicing.visible_invoice, engine, actor, invoice_id)


@router.post(
    "/{invoice_id}/payments",
    response_model=PaymentResult,
    summary="Record a payment (finance); the same reference again answers with the payment as booked",
)
async def record_payment(
    invoice_id: str,
    body: PaymentBody,
    actor: CurrentActor,
    engine: EngineDep,
    gateway: GatewayDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)] = None,
) -> PaymentResult:
    return await invoicing.record_payment(gateway, engine, actor, invoice_id, body, idempotency_key)
