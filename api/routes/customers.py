"""Customers and their catalog rules: price lists, role rules, role limits, part numbers and the
special assortment. Catalog managers edit; the seller's staff read every customer's, a customer's
users their own tree's (another customer's is 404). The rules: catalog/customer_rules.py,
catalog/price_list_admin.py, catalog/customer_overview.py."""
from typing import Annotated

from fastapi import APIRouter, Body, Path
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep
from api.problems import Problem
from api.security import CurrentActor, require_role
from catalog import customer_overview, price_list_admin
from catalog import customer_rules as rules
from database import session_scope
from models.actors import Actor
from models.customer_rules import (
    CustomerDetail, CustomerSummary, PartNumberIn, PartNumberOut, PriceListIn, PriceListOut, RoleLimitIn,
    RoleLimitOut, RoleRule, SpecialItemIn, SpecialItemOut,
)

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])
MANAGER = "catalog_manager"
Key = Annotated[str, Path(min_length=1, max_length=64)]
CUSTOMER = "/{customer_id}"


def _visible(session, actor: Actor) -> list[str] | None:
    """The customers the actor may read: the seller's staff all (None), a customer's users their
    customer, its parents and its subsidiaries."""
    if actor.is_seller_staff:
        return None
    if actor.customer_id is None:
        raise Problem(403, "Delivery units have no customers")
    return customer_overview.customer_tree(session, actor.customer_id)


def _problems(fn, *args):
    """Runs a catalog function, turning its errors into problem details."""
    try:
        return fn(*args)
    except rules.CustomerNotFound as exc:
        raise Problem(404, f"customer {exc} not found") from exc
    except rules.RuleNotFound as exc:
        raise Problem(404, str(exc)) from exc
    except rules.RuleConflict as exc:
        raise Problem(409, str(exc), field=exc.field) from exc
    except rules.InvalidRule as exc:
        raise Problem(422, str(exc), field=exc.field) from exc


def _read(engine, actor: Actor, customer_id: str, fn):
    with session_scope(engine) as session:
        visible = _visible(session, actor)
        if visible is not None and customer_id not in visible:  # never tell whether it exists
            raise Problem(404, f"customer {customer_id} not found")
        return _problems(fn, session, customer_id)


async def read(engine, actor: Actor, customer_id: str, fn):
    return await run_in_threadpool(_read, engine, actor, customer_id, fn)


async def write(engine, actor: Actor, fn, *args):
    if not actor.is_seller_staff:
        raise Problem(403, "Catalog rules are edited by the seller's catalog managers")
    require_role(actor, MANAGER)
    return await run_in_threadpool(_problems, fn, engine, *args)


def _list(engine, actor: Actor) -> list[CustomerSummary]:
    with session_scope(engine) as session:
        return customer_overview.list_customers(session, _visible(session, actor))


@router.get("", response_model=list[CustomerSummary],
            summary="The customers the caller may see (seller staff: all; a customer's users: their tree)")
async def list_customers(actor: CurrentActor, engine: EngineDep) -> list[CustomerSummary]:
    return await run_in_threadpool(_list, engine, actor)


@router.get(CUSTOMER, response_model=CustomerDetail,
            summary="One customer: parents, subsidiaries, the contract in force, its rules at a glance")
async def get_customer(customer_id: Key, actor: CurrentActor, engine: EngineDep) -> CustomerDetail:
    return await read(engine, actor, customer_id, customer_overview.customer_detail)


# --- price lists ----------------------------------------------------------------------------------

@router.get(CUSTOMER + "/price-lists", response_model=list[PriceListOut],
            summary="The customer's own price lists with their entries (none: it uses its parent's)")
async def get_price_lists(customer_id: Key, actor: CurrentActor, engine: EngineDep) -> list[PriceListOut]:
    return await read(engine, actor, customer_id, price_list_admin.price_lists)


@router.put(CUSTOMER + "/price-lists/{price_list_id}", response_model=PriceListOut,
            summary="Create or replace a price list with all its entries (catalog managers)")
async def put_price_list(customer_id: Key, price_list_id: Key, body: PriceListIn, actor: CurrentActor,
                         engine: EngineDep) -> PriceListOut:
    return await write(engine, actor, price_list_admin.put_price_list, customer_id, price_list_id, body)


@router.delete(CUSTOMER + "/price-lists/{price_list_id}", status_code=204,
               summary="Delete a price list (catalog managers)")
async def delete_price_list(customer_id: Key, price_list_id: Key, actor: CurrentActor, engine: EngineDep) -> None:
    await write(engine, actor, price_list_admin.delete_price_list, customer_id, price_list_id)


# --- role rules and limits ------------------------------------------------------------------------

@router.get(CUSTOMER + "/role-rules", response_model=list[RoleRule],
            summary="The customer's own role rules (none: it uses its parent's)")
async def get_role_rules(customer_id: Key, actor: CurrentActor, engine: EngineDep) -> list[RoleRule]:
    return await read(engine, actor, customer_id, rules.role_rules)


@router.put(CUSTOMER + "/role-rules", response_model=list[RoleRule],
            summary="Replace the customer's whole rule set (catalog managers); [] removes its own rules, "
                    "so it uses its parent's again")
async def put_role_rules(customer_id: Key, body: Annotated[list[RoleRule], Body()], actor: CurrentActor,
                         engine: EngineDep) -> list[RoleRule]:
    return await write(engine, actor, rules.replace_role_rules, customer_id, body)


@router.get(CUSTOMER + "/role-limits", response_model=list[RoleLimitOut],
            summary="The customer's own role limits (none: it uses its parent's)")
async def get_role_limits(customer_id: Key, actor: CurrentActor, engine: EngineDep) -> list[RoleLimitOut]:
    return await read(engine, actor, customer_id, rules.role_limits)


@router.put(CUSTOMER + "/role-limits/{role}", response_model=RoleLimitOut,
            summary="Set a role's limits per order and per month (catalog managers)")
async def put_role_limit(customer_id: Key, role: Key, body: RoleLimitIn, actor: CurrentActor,
                         engine: EngineDep) -> RoleLimitOut:
    return await write(engine, actor, rules.put_role_limit, customer_id, role, body)


@router.delete(CUSTOMER + "/role-limits/{role}", status_code=204,
               summary="Remove a role's limits (catalog managers)")
async def delete_role_limit(customer_id: Key, role: Key, actor: CurrentActor, engine: EngineDep) -> None:
    await write(engine, actor, rules.delete_role_limit, customer_id, role)


# --- part numbers and the special assortment -------------------------------------------------------

@router.get(CUSTOMER + "/part-numbers", response_model=list[PartNumberOut],
            summary="The customer's own part numbers (its parents' apply per item where it has none)")
async def get_part_numbers(customer_id: Key, actor: CurrentActor, engine: EngineDep) -> list[PartNumberOut]:
    return await read(engine, actor, customer_id, rules.part_numbers)


@router.put(CUSTOMER + "/part-numbers/{sku}", response_model=PartNumberOut,
            summary="Set the customer's part number for an item (catalog managers)")
async def put_part_number(customer_id: Key, sku: Key, body: PartNumberIn, actor: CurrentActor,
                          engine: EngineDep) -> PartNumberOut:
    return await write(engine, actor, rules.put_part_number, customer_id, sku, body)


@router.delete(CUSTOMER + "/part-numbers/{sku}", status_code=204,
               summary="Remove the customer's part number for an item (catalog managers)")
async def delete_part_number(customer_id: Key, sku: Key, actor: CurrentActor, engine: EngineDep) -> None:
    await write(engine, actor, rules.delete_part_number, customer_id, sku)


@router.get(CUSTOMER + "/special-items", response_model=list[SpecialItemOut],
            summary="The customer's special assortment: items at its own prices")
async def get_special_items(customer_id: Key, actor: CurrentActor, engine: EngineDep) -> list[SpecialItemOut]:
    return await read(engine, actor, customer_id, rules.special_items)


@router.put(CUSTOMER + "/special-items/{sku}", response_model=SpecialItemOut,
            summary="Add an item to the special assortment or change its price (catalog managers)")
async def put_special_item(customer_id: Key, sku: Key, body: SpecialItemIn, actor: CurrentActor,
                           engine: EngineDep) -> SpecialItemOut:
    return await write(engine, actor, rules.put_special_item, customer_id, sku, body)


@router.delete(CUSTOMER + "/special-items/{sku}", status_code=204,
               summary="Remove an item from the special assortment (catalog managers)")
async def delete_special_item(customer_id: Key, sku: Key, actor: CurrentActor, engine: EngineDep) -> None:
    await write(engine, actor, rules.delete_special_item, customer_id, sku)
