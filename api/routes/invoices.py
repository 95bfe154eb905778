from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.deps import EngineDep, GatewayDep
from api.problems import Problem
from api.security import CurrentActor, require_role
from invoicing.issuing import get_invoice
from models.actors import Actor
from models.invoices import Invoice, PaymentIn, PaymentResult
from models.money import Money

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])


class PaymentBody(BaseModel):
    amount: Money = Field(gt=0, decimal_places=2)
    reference: str = Field(min_length=1, max_length=200, description="bank reference; one payment per reference")


async def visible_invoice(engine, actor: Actor, invoice_id: str) -> Invoice:
    invoice = await run_in_threadpool(get_invoice, engine, invoice_id)
    if invoice is None or not (actor.is_seller_staff or actor.customer_id == invoice.customer_id):
        raise Problem(404, f"invoice {invoice_id} not found")
    return invoice


@router.get("/{invoice_id}", response_model=Invoice, summary="An invoice with its lines and payments")
async def read_invoice(invoice_id: str, actor: CurrentActor, engine: EngineDep) -> Invoice:
    return await visible_invoice(engine, actor, invoice_id)


@router.post(
    "/{invoice_id}/payments",
    response_model=PaymentResult,
    summary="Record a payment (finance); the same reference twice counts once",
)
async def record_payment(
    invoice_id: str, body: PaymentBody, actor: CurrentActor, engine: EngineDep, gateway: GatewayDep
) -> PaymentResult:
    require_role(actor, "finance")
    invoice = await visible_invoice(engine, actor, invoice_id)
    if invoice.paid_total >= invoice.gross_total:
        raise Problem(409, f"invoice {invoice.number} is paid")
    return await gateway.record_payment(
        invoice.order_id,
        PaymentIn(invoice_id=invoice_id, amount=body.amount, reference=body.reference, actor=actor),
    )
