"""Invoices: the invoice page and finance's forms on it (a payment, a credit note, pausing and
resuming dunning)."""

from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import deps
from api.pages.common import form_token, money, page, redirect, render
from invoicing import service as invoicing
from models.actors import Actor
from models.invoices import CreditLine, CreditNoteBody, PauseBody, PaymentBody

router = APIRouter()

CREDIT_NOTE = "381"
SETTLED = ("paid", "credited")


@router.get("/invoices/{invoice_id}")
@page()
async def invoice_page(request: Request, invoice_id: str) -> Response:
    actor: Actor = request.state.actor
    invoice = await run_in_threadpool(invoicing.visible_invoice, deps.engine(request), actor, invoice_id)
    delivery = await run_in_threadpool(invoicing.delivery_state, deps.engine(request), actor, invoice_id)
    is_invoice = invoice.document_type != CREDIT_NOTE
    settled = invoice.status in SETTLED  # also by a cash discount: less than the gross total paid
    open_amount = (
        Decimal("0.00")
        if settled or not is_invoice
        else invoice.gross_total - invoice.paid_total - invoice.credited_total
    )
    finance = "finance" in actor.roles and actor.is_seller_staff
    return render(
        request,
        "invoice.html",
        {
            "invoice": invoice,
            "is_invoice": is_invoice,
            "open_amount": open_amount,
            "delivery": delivery,
            "delivery_details": actor.is_seller_staff,  # they name the seller's mail server
            "may_pay": finance and is_invoice and open_amount > 0,
            "may_credit": finance and is_invoice and invoice.status != "credited",
            # the order takes the pause or refuses it (e.g. one paid meanwhile)
            "may_pause": finance and is_invoice and open_amount > 0,
            "form_token": form_token(),
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


@router.post("/invoices/{invoice_id}/credit-notes")
@page(back="/invoices/{invoice_id}")
async def credit_note_submit(request: Request, invoice_id: str) -> Response:
    form = await request.form()
    pieces = str(form.get("quantity", "")).strip()
    reduction = str(form.get("price_reduction", "")).strip().replace(",", ".")
    line = CreditLine.model_validate(
        {"line_no": str(form.get("line_no", "")), "quantity": pieces or None, "price_reduction": reduction or None}
    )
    body = CreditNoteBody(lines=[line], reason=str(form.get("reason", "")).strip())
    # the form's token as the key: the same form sent twice issues one credit note
    key = str(form.get("form_token", "")) or None
    seller = invoicing.seller(deps.settings(request))
    note = await invoicing.issue_credit_note(
        deps.gateway(request), deps.engine(request), seller, request.state.actor, invoice_id, body, key
    )
    text = f"Credit note {note.number} issued: {money(note.gross_total, note.currency)}."
    return redirect(f"/invoices/{invoice_id}", ("ok", text))


@router.post("/invoices/{invoice_id}/dunning")
@page(back="/invoices/{invoice_id}")
async def dunning_submit(request: Request, invoice_id: str) -> Response:
    form = await request.form()
    paused = str(form.get("action", "")) == "pause"
    body = PauseBody(reason=str(form.get("reason", "")).strip())
    await invoicing.pause_dunning(
        deps.gateway(request), deps.engine(request), request.state.actor, invoice_id, body.reason, paused
    )
    text = "Dunning paused." if paused else "Dunning resumed."
    return redirect(f"/invoices/{invoice_id}", ("ok", text))
