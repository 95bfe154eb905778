"""The audit trail of customers' commercial terms (catalog/audit.py): who changed a contract's
terms or items, or a customer's price lists, role rules and limits, part numbers, special items,
quality rules or sub-assortment, and when. For the seller's staff who answer for prices: catalog
managers, experts and finance; customers and delivery units never see it."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import EngineDep
from api.problems import Problem
from api.routes.catalog_shared import PREFIX, TAG, call
from api.security import CurrentActor, require_role
from customers import audit
from models.catalog_changes import CatalogChangePage, Kind
from models.customer_rules import Printable

router = APIRouter(prefix=PREFIX, tags=[TAG])
READERS = ("catalog_manager", "expert", "finance")
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
    limit: Annotated[int, Query(ge=1, le=audit.MAX_LIMIT)] = 50,
    before_id: Annotated[int | None, Query(ge=1, description="only changes older than this id")] = None,
) -> CatalogChangePage:
    if not actor.is_seller_staff:
        raise Problem(403, "The audit trail is for the seller's staff")
    require_role(actor, *READERS)
    return await call(
        engine,
        audit.changes,
        customer_id=customer_id,
        contract_id=contract_id,
        kind=kind,
        limit=limit,
        before_id=before_id,
    )
