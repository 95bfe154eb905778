"""The invoicing service: invoices for the API, the pages and the order's activities. The order
workflow issues an order's invoice and books its payments (through the activities); finance
records a payment through the order, which decides whether it still takes one."""

import uuid
from datetime import date
from typing import Literal

from anyio import to_thread
from sqlalchemy import Engine

from core.calendar import utc_today
from core.database import session_scope
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.settings import Settings
from invoicing import collection, credit_notes, delivery, issuing, receivables
from invoicing.seller import seller_account, seller_party
from invoicing.tables import CREDITED, PAID
from models.actors import Actor, require_role, require_seller
from models.invoices import (
    CreditNoteBody,
    CreditNoteIssued,
    DeliveryOutcome,
    DunningPause,
    Invoice,
    InvoiceCheck,
    InvoiceRequest,
    InvoiceState,
    IssueResult,
    PaymentBody,
    PaymentIn,
    PaymentResult,
)
from models.receivables import BlockedInvoiceView, Dso, InvoiceListItem, InvoiceQuery, OpenItems
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
    elif invoice.status in (PAID, CREDITED):
        raise Conflict(f"invoice {invoice.number} is {invoice.status}")
    return await workflows.record_payment(
        invoice.order_id,
        PaymentIn(
            invoice_id=invoice_id,
            amount=body.amount,
            reference=body.reference,
            actor=actor,
            received_on=body.value_date,
        ),
        # the reference makes a payment one; the key makes the call one (Temporal answers a repeat)
        f"{actor.id}:{idempotency_key or body.reference}",
    )


def issue_invoice(engine: Engine, request: InvoiceRequest) -> Invoice:
    """Idempotent per order: a retry gets the invoice the first attempt wrote."""
    return issuing.issue_invoice(engine, request)


Seller = issuing.Seller


def seller(settings: Settings) -> issuing.Seller:
    """The seller as configured (SELLER_*): who issues, and the account payments go to."""
    return issuing.Seller(seller_party(settings), seller_account(settings))


def issue_document(engine: Engine, seller: issuing.Seller, request: InvoiceRequest) -> IssueResult:
    """An e-invoice or credit note, checked before it is issued; idempotent per issue key."""
    return issuing.issue_document(engine, seller, request)


def check_invoice(engine: Engine, check: InvoiceCheck) -> InvoiceState:
    return collection.check_invoice(engine, check)


def set_dunning_paused(engine: Engine, invoice_id: str, paused: bool) -> None:
    collection.set_dunning_paused(engine, invoice_id, paused)


PaymentConflict = issuing.PaymentConflict


# --- credit notes, dunning, blocked invoices: finance on an order's invoice ------------------------

FINANCE_ONLY = "The finance views are for the seller's finance staff"


async def issue_credit_note(
    workflows: OrderWorkflows,
    engine: Engine,
    seller: issuing.Seller,
    actor: Actor,
    invoice_id: str,
    body: CreditNoteBody,
    idempotency_key: str | None = None,
) -> Invoice:
    """A credit note on the invoice (returns, cancelled lines, price corrections): checked as an
    e-invoice, issued (the same Idempotency-Key again answers the same credit note), and the
    order is told, so that it asks for less. Two credit notes issued at once on the same line may
    together credit more than the line (a rare race, left for finance to notice)."""
    require_seller(actor, "finance", "Credit notes are issued by the seller's finance staff")
    invoice = await to_thread.run_sync(visible_invoice, engine, actor, invoice_id)
    key = f"{invoice_id}/credit/{idempotency_key or uuid.uuid4().hex}"
    issued = await to_thread.run_sync(issuing.issued_under, engine, invoice.seller_id, key)
    if issued is not None:  # a retry: the credit note as issued
        return issued
    earlier = [
        note
        for summary in invoice.credit_notes
        if (note := await to_thread.run_sync(issuing.get_invoice, engine, summary.invoice_id)) is not None
    ]
    try:
        request = credit_notes.credit_request(invoice, earlier, body, utc_today(), key)
    except credit_notes.CreditRefused as err:
        raise Invalid(str(err), field=err.field) from err
    result = await to_thread.run_sync(issuing.issue_document, engine, seller, request)
    if result.invoice is None:
        raise Invalid(
            "the credit note breaks the e-invoice rules: "
            + "; ".join(f"{f.rule_id}: {f.text}" for f in result.findings[:5]),
            field="lines",
        )
    note = result.invoice
    after = await to_thread.run_sync(issuing.get_invoice, engine, invoice_id)
    if await workflows.running(invoice.order_id):
        await workflows.credit_note_issued(
            invoice.order_id,
            CreditNoteIssued(
                invoice_id=invoice_id,
                credit_note=note,
                credited_total=after.credited_total if after else note.gross_total,
                actor=actor.id,
                reason=body.reason,
            ),
        )
    return note


async def retry_invoicing(workflows: OrderWorkflows, actor: Actor, order_id: str, key: str | None = None):
    """Finance fixed what blocked the order's invoice: the order checks it again."""
    require_seller(actor, "finance", "Blocked invoices are for the seller's finance staff")
    return await workflows.retry_invoicing(order_id, actor, key)


async def pause_dunning(
    workflows: OrderWorkflows, engine: Engine, actor: Actor, invoice_id: str, reason: str, paused: bool
):
    """Pauses (a dispute) or resumes the invoice's dunning, through its order."""
    require_seller(actor, "finance", "Dunning is the seller's finance staff's")
    invoice = await to_thread.run_sync(visible_invoice, engine, actor, invoice_id)
    pause = DunningPause(invoice_id=invoice_id, actor=actor, reason=reason)
    if not await workflows.running(invoice.order_id):
        raise Conflict(f"invoice {invoice.number} is {invoice.status}: nothing to pause or resume")
    return await workflows.pause_dunning(invoice.order_id, pause, paused)


def book_payment(engine: Engine, payment: PaymentIn) -> PaymentResult:
    """Idempotent per (invoice, reference)."""
    return issuing.record_payment(engine, payment)


# --- finance views: the invoice list, open items, DSO, blocked invoices (invoicing/receivables.py) --


def _listable_customers(actor: Actor) -> list[str] | None:
    """Whose documents the caller lists: a customer's people their customer's, the seller's staff
    all (None). Another customer's id in the filter then finds nothing, as in the order list."""
    if actor.is_seller_staff:
        return None
    if actor.customer_id is None:
        raise Forbidden("Invoices are for the customer's people and the seller's staff")
    return [actor.customer_id]


def list_invoices(engine: Engine, actor: Actor, query: InvoiceQuery) -> tuple[list[InvoiceListItem], str | None]:
    """One page of the caller's invoices and credit notes, newest first, and the next page's
    cursor. Blocked documents (status=blocked) are the seller staff's alone: a customer's people
    get an empty list."""
    customers = _listable_customers(actor)
    if query.status == receivables.BLOCKED and not actor.is_seller_staff:
        return [], None
    try:
        with session_scope(engine) as session:
            return receivables.list_invoices(session, query, customers, utc_today())
    except ValueError as exc:
        raise Invalid(str(exc), field="cursor") from exc


def open_items(engine: Engine, actor: Actor, customer_id: str | None = None, as_of: date | None = None) -> OpenItems:
    """Open items per customer with aging buckets (seller finance)."""
    require_seller(actor, "finance", FINANCE_ONLY)
    with session_scope(engine) as session:
        return receivables.open_items(session, as_of or utc_today(), customer_id)


def days_sales_outstanding(
    engine: Engine, actor: Actor, days: int = receivables.DSO_DAYS, as_of: date | None = None
) -> Dso:
    """DSO per currency over the last `days` days (seller finance)."""
    require_seller(actor, "finance", FINANCE_ONLY)
    try:
        with session_scope(engine) as session:
            return receivables.days_sales_outstanding(session, as_of or utc_today(), days)
    except ValueError as exc:
        raise Invalid(str(exc), field="as_of") from exc


def blocked_invoices(engine: Engine, actor: Actor, customer_id: str | None = None) -> list[BlockedInvoiceView]:
    """Documents validation refused, with their findings (seller finance)."""
    require_seller(actor, "finance", FINANCE_ONLY)
    with session_scope(engine) as session:
        return receivables.blocked_invoices(session, customer_id)


# --- delivery: e-mail, the customer's webhook, downloads (invoicing/delivery.py) --------------------

DocumentFile = delivery.DocumentFile
DeliveryState = delivery.DeliveryState
PostWebhook = delivery.PostWebhook
WebhookAnswer = delivery.WebhookAnswer


def document_file(engine: Engine, actor: Actor, invoice_id: str, kind: Literal["xml", "pdf"]) -> DocumentFile:
    """The invoice's CII XML or ZUGFeRD PDF for whoever may see the invoice (`visible_invoice`)."""
    visible_invoice(engine, actor, invoice_id)
    return delivery.document_file(engine, invoice_id, kind)


def delivery_state(engine: Engine, actor: Actor, invoice_id: str) -> DeliveryState:
    """Whether the invoice has documents to download and how it went out, per channel, for whoever
    may see the invoice."""
    visible_invoice(engine, actor, invoice_id)
    return delivery.delivery_state(engine, invoice_id)


def deliver_invoice(
    engine: Engine, settings: Settings, invoice_id: str, post_webhook: PostWebhook
) -> list[DeliveryOutcome]:
    """Sends the document by e-mail and to the customer's webhook, each once (for the activity)."""
    return delivery.deliver(engine, settings, invoice_id, post_webhook)
