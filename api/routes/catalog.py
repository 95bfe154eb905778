from datetime import date, datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from accounts.tables import User
from api.deps import EngineDep
from api.problems import Problem
from api.security import CurrentActor
from catalog import pricing
from catalog.assortment import Entry, entries
from catalog.configuration import check
from catalog.rights import rights_for
from catalog.tables import Item
from catalog.views import STAFF, customer_catalog, entry_item, seller_catalog, to_catalog_item
from contracts.in_force import NoValidContract
from core.database import session_scope
from models.actors import Actor
from models.catalog import (
    CatalogItem,
    CatalogPage,
    CheckProblem,
    ConfigSurcharge,
    ConfigurationCheck,
    ConfigurationCheckRequest,
)
from models.money import round_money


def utc_today() -> date:
    """The day in UTC, the calendar order validation uses (workflow.now() is UTC)."""
    return datetime.now(timezone.utc).date()


router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])

SkuPath = Annotated[str, Path(min_length=1, max_length=64)]


def _roles(session, actor: Actor) -> list[str]:
    """The caller's roles as they are now (rights decide what is shown), else as in the token."""
    user = session.get(User, actor.id)
    return list(user.roles) if user is not None else list(actor.roles)


def catalog_page(engine, actor: Actor, q, category, limit, offset) -> CatalogPage:
    """One page of the actor's catalog: what a customer's user may see of the customer's assortment,
    at the customer's prices, each item marked orderable or not (role rules); the seller's staff
    the whole catalog at list prices; delivery units have none. Shared by the API and the web pages."""
    with session_scope(engine) as session:
        if actor.customer_id is not None:
            try:
                return customer_catalog(
                    session,
                    actor.customer_id,
                    utc_today(),
                    q=q,
                    category=category,
                    limit=limit,
                    offset=offset,
                    roles=_roles(session, actor),
                )
            except NoValidContract as exc:
                raise Problem(409, f"No catalog: {exc}") from exc
        if actor.is_seller_staff:
            return seller_catalog(session, q=q, category=category, limit=limit, offset=offset)
        raise Problem(403, "Delivery units have no catalog")


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
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CatalogPage:
    return await run_in_threadpool(catalog_page, engine, actor, q, category, limit, offset)


def _customer_entry(session, actor: Actor, sku: str) -> tuple[Entry, pricing.PriceContext]:
    """The item of the caller's assortment, if the caller may see it; else 404."""
    try:
        ctx = pricing.context(session, actor.customer_id, utc_today())
    except NoValidContract as exc:
        raise Problem(409, f"No catalog: {exc}") from exc
    rights = rights_for(session, ctx.chain_ids, _roles(session, actor))
    entry = entries(session, actor.customer_id, ctx.contract, [sku], rights=rights, ctx=ctx).get(sku)
    if entry is None or not entry.decision.may_see:
        raise Problem(404, f"{sku} is not in your assortment", field="sku")
    return entry, ctx


def _item(engine, actor: Actor, sku: str) -> CatalogItem:
    with session_scope(engine) as session:
        if actor.customer_id is not None:
            entry, ctx = _customer_entry(session, actor, sku)
            return entry_item(entry, ctx.currency)
        if actor.is_seller_staff and (item := session.get(Item, sku)) is not None and item.active:
            return to_catalog_item(item, item.list_price, pricing.LIST, decision=STAFF)
    raise Problem(404, f"{sku} is not in your assortment", field="sku")


@router.get(
    "/items/{sku}",
    response_model=CatalogItem,
    summary="One item of the caller's assortment: price, price breaks, part number, configuration "
    "options, constraints and surcharges",
)
async def get_item(sku: SkuPath, actor: CurrentActor, engine: EngineDep) -> CatalogItem:
    return await run_in_threadpool(_item, engine, actor, sku)


def _check(engine, actor: Actor, sku: str, body: ConfigurationCheckRequest) -> ConfigurationCheck:
    with session_scope(engine) as session:
        if actor.customer_id is not None:
            entry, ctx = _customer_entry(session, actor, sku)
            item, currency, decision = entry.item, ctx.currency, entry.decision
            quote = pricing.decide(entry.sources, body.quantity)
            minimum = entry.min_quantity
        elif actor.is_seller_staff and (item := session.get(Item, sku)) is not None and item.active:
            currency, decision, minimum = item.currency, STAFF, 1
            quote = pricing.Quote(item.list_price, pricing.LIST)
        else:
            raise Problem(404, f"{sku} is not in your assortment", field="sku")
    problems, surcharges = check(item, body.configuration)
    found = [CheckProblem(field=p.field, message=p.message) for p in problems]
    if quote is None:
        found.append(CheckProblem(field="quantity", message=f"{sku} is sold from {minimum} pieces"))
    # a configuration that cannot be delivered has no price (its base price is still shown)
    unit_price = None if quote is None or problems else pricing.with_surcharges(quote.unit_price, surcharges)
    return ConfigurationCheck(
        sku=sku,
        valid=not found,
        problems=found,
        quantity=body.quantity,
        base_price=None if quote is None else quote.unit_price,
        surcharges=[ConfigSurcharge(when=s.when, amount=s.amount, message=s.message) for s in surcharges],
        unit_price=unit_price,
        line_total=None if unit_price is None else round_money(unit_price * body.quantity),
        currency=currency,
        price_source=None if quote is None else quote.source,
        orderable=decision.may_order,
        not_orderable_reason=None if decision.may_order else decision.reason,
    )


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
    if actor.customer_id is None and not actor.is_seller_staff:
        raise Problem(403, "Delivery units have no catalog")
    return await run_in_threadpool(_check, engine, actor, sku, body)
