"""Receivables: the invoice list (customers' people and the seller's staff) and finance's overview
(open items with aging, DSO, blocked invoices), through the same service calls as the API."""

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from api import deps
from api.pages.common import page, render, validation_message
from api.problems import Problem
from invoicing import service as invoicing
from models.actors import Actor
from models.receivables import InvoiceQuery

router = APIRouter()

PAGE_SIZE = 50
STATUSES = ("open", "overdue", "paid", "collections", "credited", "blocked")
DOCUMENT_TYPES = {"380": "Invoice", "381": "Credit note"}


def _day(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Problem(422, f"{name}: not a date (YYYY-MM-DD)", field=name) from None


@router.get("/invoices")
@page()
async def invoices_page(
    request: Request,
    status: str | None = None,
    document_type: str | None = None,
    customer_id: str | None = None,
    issued_from: str | None = None,
    issued_to: str | None = None,
    cursor: str | None = None,
) -> Response:
    actor: Actor = request.state.actor
    filters = {
        name: value
        for name, value in (
            ("status", status),
            ("document_type", document_type),
            ("customer_id", customer_id),
            ("issued_from", issued_from),
            ("issued_to", issued_to),
        )
        if value
    }
    try:
        query = InvoiceQuery.model_validate(
            {
                **filters,
                "issued_from": _day("issued_from", issued_from),
                "issued_to": _day("issued_to", issued_to),
                "cursor": cursor or None,
                "limit": PAGE_SIZE,
            }
        )
    except ValidationError as exc:
        raise Problem(422, validation_message(exc)) from exc
    rows, next_cursor = await run_in_threadpool(invoicing.list_invoices, deps.engine(request), actor, query)
    return render(
        request,
        "invoices.html",
        {
            "rows": rows,
            "filters": filters,
            "statuses": STATUSES if actor.is_seller_staff else STATUSES[:-1],
            "document_types": DOCUMENT_TYPES,
            "next": f"/invoices?{urlencode({**filters, 'cursor': next_cursor})}" if next_cursor else None,
        },
    )


@router.get("/finance")
@page()
async def finance_page(request: Request, as_of: str | None = None, days: str | None = None) -> Response:
    actor: Actor = request.state.actor
    engine = deps.engine(request)
    day = _day("as_of", as_of)
    try:
        period = int(days) if days else 90
    except ValueError:
        raise Problem(422, "days: not a whole number", field="days") from None
    if not 1 <= period <= 3660:
        raise Problem(422, "days: between 1 and 3660", field="days")
    items = await run_in_threadpool(invoicing.open_items, engine, actor, None, day)
    dso = await run_in_threadpool(invoicing.days_sales_outstanding, engine, actor, period, day)
    blocked = await run_in_threadpool(invoicing.blocked_invoices, engine, actor)
    return render(
        request,
        "finance.html",
        {
            "items": items,
            "dso": dso,
            "blocked": blocked,
        },
    )
