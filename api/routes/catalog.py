"""The catalog for customers and the seller's staff (catalog.service): the caller's assortment at
its prices, one item, and checking a configuration."""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep
from api.params import Offset
from api.security import CurrentActor
from catalog import service as catalog
from models.catalog import CatalogItem, CatalogPage, ConfigurationCheck, ConfigurationCheckRequest

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])

SkuPath = Annotated[str, Path(min_length=1, max_length=64)]


@router.get(
    "/items",
    response_model=CatalogPage,
    summary="The caller's assortment with the caller's prices, part numbers and ordering rights",
)
async def list_items(
    actor: CurrentActor,
    engine: EngineDep,
    q: Annotated[
        str | None, Query(max_length=100, description="search in SKU, name, description, your part number")
    ] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> CatalogPage:
    return await run_in_threadpool(catalog.catalog_page, engine, actor, q, category, limit, offset)


@router.get(
    "/items/{sku}",
    response_model=CatalogItem,
    summary="One item of the caller's assortment: price, price breaks, part number, configuration "
    "options, constraints and surcharges",
)
async def get_item(sku: SkuPath, actor: CurrentActor, engine: EngineDep) -> CatalogItem:
    return await run_in_threadpool(catalog.item, engine, actor, sku)


@router.post(
    "/items/{sku}/configurations/check",
    response_model=ConfigurationCheck,
    summary="Check one configuration of an item and price it for the caller (nothing is ordered)",
    responses={
        404: {"description": "The item is not in the caller's assortment"},
        422: {"description": "The body is malformed (e.g. quantity not a positive whole number)"},
    },
)
async def check_configuration(
    sku: SkuPath, body: ConfigurationCheckRequest, actor: CurrentActor, engine: EngineDep
) -> ConfigurationCheck:
    """`valid` is false, with `problems` naming the field (`configuration.<option>`, `configuration`,
    `quantity`), when the configuration cannot be delivered (a missing or unknown option or value, a
    broken constraint) or the quantity is below the item's minimum. Prices are net, per unit, in
    `currency`; `line_total` = `unit_price` x `quantity`, rounded to the cent."""
    return await run_in_threadpool(catalog.check_configuration, engine, actor, sku, body)
