"""Finance's views of the receivables (invoicing.service): open items with aging, days sales
outstanding, invoices blocked by validation. The seller's finance staff only (403 otherwise).
Unmatched payments of bank statements live beside these, in api/routes/bank_statements.py."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep
from api.security import CurrentActor
from invoicing import service as invoicing
from models.receivables import BlockedInvoiceView, Dso, OpenItems

router = APIRouter(prefix="/api/v1/finance", tags=["finance"])

CustomerId = Annotated[str | None, Query(max_length=64, description="one customer only")]
AsOf = Annotated[date | None, Query(description="the day the figures are for (default: today, UTC)")]


@router.get(
    "/open-items",
    response_model=OpenItems,
    summary="Open invoices per customer and currency, aged 0-30, 31-60, 61-90, >90 days since the invoice date",
)
async def open_items(
    actor: CurrentActor, engine: EngineDep, customer_id: CustomerId = None, as_of: AsOf = None
) -> OpenItems:
    """Open amounts are what still settles each invoice on `as_of`: less credit notes, less the cash
    discount while its window is open, less payments. `overdue` is the part past its due date."""
    return await run_in_threadpool(invoicing.open_items, engine, actor, customer_id, as_of)


@router.get("/dso", response_model=Dso, summary="Days sales outstanding per currency")
async def days_sales_outstanding(
    actor: CurrentActor,
    engine: EngineDep,
    days: Annotated[int, Query(ge=1, le=3660, description="the period in days, ending on as_of")] = 90,
    as_of: AsOf = None,
) -> Dso:
    """Open receivables on `as_of` / invoiced in the `days` days up to it (invoices less credit
    notes) x `days`; `dso` is null for a currency with nothing invoiced in the period."""
    return await run_in_threadpool(invoicing.days_sales_outstanding, engine, actor, days, as_of)


@router.get(
    "/blocked-invoices",
    response_model=list[BlockedInvoiceView],
    summary="Documents validation refused (never sent, no number taken), with the rule ids and texts",
)
async def blocked_invoices(
    actor: CurrentActor, engine: EngineDep, customer_id: CustomerId = None
) -> list[BlockedInvoiceView]:
    return await run_in_threadpool(invoicing.blocked_invoices, engine, actor, customer_id)
