"""Invoices: the invoice page and recording a payment."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import deps
from api.pages.common import money, page, redirect, render
from invoicing import service as invoicing
from models.actors import Actor
from models.invoices import PaymentBody

router = APIRouter()


@router.get("/invoices/{invoice_id}")
@page()
async def invoice_page(request: Request, invoice_id: str) -> Response:
    actor: Actor = request.state.actor
    invoice = await run_in_threadpool(invoicing.visible_invoice, deps.engine(request), actor, invoice_id)
    delivery = await run_in_threadpool(invoicing.delivery_state, deps.engine(request), actor, invoice_id)
    open_amount = invoice.gross_total - invoice.paid_total
    return render(
        request,
        "invoice.html",
        {
            "invoice": invoice,
            "open_amount": open_amount,
            "delivery": delivery,
            "delivery_details": actor.is_seller_staff,  # they name the seller's mail server
            "may_pay": "finance" in actor.roles and actor.is_seller_staff and open_amount > 0,
        },
    )


@router.post("/invoices/{invoice_id}/payments")
@page(back="/invoices/{invoice_id}")
async def payment_submit(request: Request, invoice_id: str) -> Response:
    form = await request.form()
    amount = str(form.get("amount", "")).strip().replace(",", ".")
    body = PaymentBody(amount=amount, reference=str(form.get("reference", "")).strip())
    actor, engine = request.state.actor, deps.engine(request)
    result = await invoicing.record_payment(deps.gateway(request), engine, actor, invoice_id, body)
    invoice = await run_in_threadpool(invoicing.visible_invoice, engine, actor, invoice_id)
    text = (
        f"Payment {body.reference} recorded: {money(result.paid_total, invoice.currency)} paid in total."
        if result.added
        else f"Payment {body.reference} was already booked."
    )
    return redirect(f"/invoices/{invoice_id}", ("ok", text))
