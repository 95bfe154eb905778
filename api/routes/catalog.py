from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep
from api.problems import Problem
from api.security import CurrentActor
from catalog.assortment import NoValidContract, effective_contract, entries
from catalog.tables import Item
from catalog.views import customer_catalog, seller_catalog, to_catalog_item
from database import session_scope
from models.actors import Actor
from models.catalog import CatalogItem, CatalogPage

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


def catalog_page(engine, actor: Actor, q, category, limit, offset) -> CatalogPage:
    """One page of the actor's catalog: a customer's assortment at contract prices, the seller's staff
    the whole catalog at list prices; delivery units have none. Shared by the API and the web pages."""
    with session_scope(engine) as session:
        if actor.customer_id is not None:
            try:
                return customer_catalog(session, actor.customer_id, date.today(), q=q, category=category,
                                        limit=limit, offset=offset)
            except NoValidContract as exc:
                raise Problem(409, f"No catalog: {exc}") from exc
        if actor.is_seller_staff:
            return seller_catalog(session, q=q, category=category, limit=limit, offset=offset)
        raise Problem(403, "Delivery units have no catalog")


@router.get("/items", response_model=CatalogPage,
            summary="The caller's assortment with the caller's contract prices")
async def list_items(
    actor: CurrentActor, engine: EngineDep,
    q: Annotated[str | None, Query(max_length=100, description="search in SKU, name, description")] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CatalogPage:
    return await run_in_threadpool(catalog_page, engine, actor, q, category, limit, offset)


def _item(engine, actor: Actor, sku: str) -> CatalogItem:
    with session_scope(engine) as session:
        if actor.customer_id is not None:
            try:
                contract = effective_contract(session, actor.customer_id, date.today())
            except NoValidContract as exc:
                raise Problem(409, f"No catalog: {exc}") from exc
            entry = entries(session, actor.customer_id, contract, [sku]).get(sku)
            if entry is not None:
                return to_catalog_item(entry.item, entry.price, entry.source)
        elif actor.is_seller_staff and (item := session.get(Item, sku)) is not None:
            return to_catalog_item(item, item.list_price, "list")
    raise Problem(404, f"{sku} is not in your assortment", field="sku")


@router.get("/items/{sku}", response_model=CatalogItem,
            summary="One item of the caller's assortment, with its configuration options and constraints")
async def get_item(sku: str, actor: CurrentActor, engine: EngineDep) -> CatalogItem:
    return await run_in_threadpool(_item, engine, actor, sku)
