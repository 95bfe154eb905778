"""Invoices (invoicing.service): read one, and finance records payments."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep, GatewayDep, SettingsDep
from api.security import CurrentActor
from invoicing import service as invoicing
from models.invoices import CreditNoteBody, Invoice, PauseBody, PaymentBody, PaymentResult
from models.orders import OrderView
from models.receivables import InvoiceListItem, InvoiceQuery

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])


def invoice_query(query: Annotated[InvoiceQuery, Query()]) -> InvoiceQuery:
    return query


@router.get(
    "",
    response_model=list[InvoiceListItem],
    summary="Invoices and credit notes (document_type 380, 381), newest first, a page at a time",
    responses={200: {"headers": {"Link": {"description": 'the next page: <...&cursor=...>; rel="next"'}}}},
)
async def list_invoices(
    request: Request,
    response: Response,
    actor: CurrentActor,
    engine: EngineDep,
    query: Annotated[InvoiceQuery, Depends(invoice_query)],
) -> list[InvoiceListItem]:
    """Filters: `customer_id`, `status` (open, paid, overdue: also an open invoice past its due
    date, collections, credited, blocked), `document_type`, `issued_from` / `issued_to` (dates,
    both included). A customer's people see their customer's documents only: another customer's
    id finds none (an empty list, as in the order list). `status=blocked` lists the documents
    validation refused (no number yet, with their findings count) to the seller's staff; the
    customer's people get an empty list. The next page's address is in the `Link` header (and
    its cursor in `X-Next-Cursor`)."""
    rows, next_cursor = await run_in_threadpool(invoicing.list_invoices, engine, actor, query)
    if next_cursor is not None:
        response.headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
        response.headers["X-Next-Cursor"] = next_cursor
    return rows


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


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


@router.post(
    "/{invoice_id}/credit-notes",
    response_model=Invoice,
    status_code=201,
    summary="Issue a credit note (type 381) on the invoice: returned or cancelled pieces, price corrections",
)
async def issue_credit_note(
    invoice_id: str,
    body: CreditNoteBody,
    actor: CurrentActor,
    engine: EngineDep,
    gateway: GatewayDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Invoice:
    seller = invoicing.seller(settings)
    return await invoicing.issue_credit_note(gateway, engine, seller, actor, invoice_id, body, idempotency_key)


@router.post(
    "/{invoice_id}/dunning/pause",
    response_model=OrderView,
    summary="Pause the invoice's dunning (the customer disputes it); the order shows it",
)
async def pause_dunning(
    invoice_id: str, body: PauseBody, actor: CurrentActor, engine: EngineDep, gateway: GatewayDep
) -> OrderView:
    return await invoicing.pause_dunning(gateway, engine, actor, invoice_id, body.reason, paused=True)


@router.post(
    "/{invoice_id}/dunning/resume",
    response_model=OrderView,
    summary="Resume the invoice's dunning; the levels move by the time it was paused",
)
async def resume_dunning(
    invoice_id: str, body: PauseBody, actor: CurrentActor, engine: EngineDep, gateway: GatewayDep
) -> OrderView:
    return await invoicing.pause_dunning(gateway, engine, actor, invoice_id, body.reason, paused=False)
