"""The audit trail of customers' commercial terms (customers/audit.py, customers.service): who changed a contract's
terms or items, or a customer's price lists, role rules and limits, part numbers, special items,
quality rules or sub-assortment, and when. For the seller's staff who answer for prices: catalog
managers, experts and finance; customers and delivery units never see it."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep
from api.params import DB_INT_MAX
from api.routes.catalog_shared import PREFIX, TAG
from api.security import CurrentActor
from customers import service as customers
from models.catalog_changes import CatalogChangePage, Kind
from models.customer_rules import Printable

router = APIRouter(prefix=PREFIX, tags=[TAG])
Key = Annotated[str | None, Query(min_length=1, max_length=64), Printable]


@router.get(
    "/changes",
    response_model=CatalogChangePage,
    summary="Who changed which customer's commercial terms, when, and what (before and after), "
    "newest first; the next page with before_id",
)
async def list_changes(
    actor: CurrentActor,
    engine: EngineDep,
    customer_id: Key = None,
    contract_id: Key = None,
    kind: Annotated[Kind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=customers.MAX_CHANGES)] = 50,
    before_id: Annotated[int | None, Query(ge=1, le=DB_INT_MAX, description="only changes older than this id")] = None,
) -> CatalogChangePage:
    return await run_in_threadpool(
        partial(customers.changes, engine, actor),
        customer_id=customer_id,
        contract_id=contract_id,
        kind=kind,
        limit=limit,
        before_id=before_id,
    )
