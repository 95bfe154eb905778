"""The invoicing service: invoices for the API, the pages and the order's activities. The order
workflow issues an order's invoice and books its payments (through the activities); finance
records a payment through the order, which decides whether it still takes one."""

from anyio import to_thread
from sqlalchemy import Engine

from core.errors import Conflict, NotFound
from invoicing import issuing
from models.actors import Actor, require_role
from models.invoices import Invoice, InvoiceRequest, PaymentBody, PaymentIn, PaymentResult
from orders.order_workflows import OrderWorkflows


def visible_invoice(engine: Engine, actor: Actor, invoice_id: str) -> Invoice:
    """The invoice if the caller may see it: its customer's people and the seller's staff."""
    invoice = issuing.get_invoice(engine, invoice_id)
    if invoice is None or not (actor.is_seller_staff or actor.customer_id == invoice.customer_id):
        raise NotFound(f"invoice {invoice_id} not found")
    return invoice


async def record_payment(
    workflows: OrderWorkflows,
    engine: Engine,
    actor: Actor,
    invoice_id: str,
    body: PaymentBody,
    idempotency_key: str | None = None,
) -> PaymentResult:
    """Finance books a payment; one per bank reference. The same reference again (a retry after a
    timeout) answers with the payment as booked, also once the invoice is paid. While the order's
    workflow runs, a retry goes to it as well: the booking may have happened in a workflow task
    that was lost (a worker or Temporal restart), and the order must still learn of it."""
    require_role(actor, "finance")
    invoice = await to_thread.run_sync(visible_invoice, engine, actor, invoice_id)
    booked = await to_thread.run_sync(issuing.booked_payment, engine, invoice_id, body.reference)
    if booked is not None and booked.payment is not None:
        if booked.payment.amount != body.amount:
            raise Conflict(
                f"reference {body.reference} was booked with {booked.payment.amount:.2f}, not {body.amount:.2f}",
                field="reference",
            )
        if not await workflows.running(invoice.order_id):
            return booked
    elif invoice.paid_total >= invoice.gross_total:
        raise Conflict(f"invoice {invoice.number} is paid")
    return await workflows.record_payment(
        invoice.order_id,
        PaymentIn(invoice_id=invoice_id, amount=body.amount, reference=body.reference, actor=actor),
        # the reference makes a payment one; the key makes the call one (Temporal answers a repeat)
        f"{actor.id}:{idempotency_key or body.reference}",
    )


def issue_invoice(engine: Engine, request: InvoiceRequest) -> Invoice:
    """Idempotent per order: a retry gets the invoice the first attempt wrote."""
    return issuing.issue_invoice(engine, request)


PaymentConflict = issuing.PaymentConflict


def book_payment(engine: Engine, payment: PaymentIn) -> PaymentResult:
    """Idempotent per (invoice, reference)."""
    return issuing.record_payment(engine, payment)
