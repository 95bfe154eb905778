"""Customers and their catalog rules: price lists, role rules, role limits, part numbers and the
special assortment. Catalog managers edit; the seller's staff read every customer's, a customer's
users their own tree's (another customer's is 404). The rules: catalog/customer_rules.py,
catalog/price_lists.py, catalog/overview.py."""

import inspect
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Body, Path
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep
from api.problems import Problem
from api.security import CurrentActor, require_role
from core.database import session_scope
from customers import overview, price_lists, tree
from customers import rule_edits as rules
from customers.tree import customer_chain
from models.actors import Actor
from models.customer_rules import (
    CustomerDetail,
    CustomerSummary,
    PartNumberIn,
    PartNumberOut,
    PriceListIn,
    PriceListOut,
    Printable,
    RoleLimitIn,
    RoleLimitOut,
    RoleRule,
    SpecialItemIn,
    SpecialItemOut,
)

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])
MANAGER = "catalog_manager"
Key = Annotated[str, Path(min_length=1, max_length=64), Printable]
CUSTOMER = "/{customer_id}"


def _visible(session, actor: Actor) -> list[str] | None:
    """The customers the actor may read: the seller's staff all (None), a customer's users their
    customer, its parents and its subsidiaries."""
    if actor.is_seller_staff:
        return None
    if actor.customer_id is None:
        raise Problem(403, "Delivery units have no customers")
    return tree.customer_tree(session, actor.customer_id)


def _read(engine, actor: Actor, customer_id: str, fn, *, with_visible: bool = False, inherited: bool = True):
    """`fn(session, customer_id)` if the actor may read the customer (`with_visible`: and what the
    actor may see, as `visible`; not `inherited`: rows that do not pass down the tree, which a
    subsidiary's users do not read at its parents)."""
    with session_scope(engine) as session:
        visible = _visible(session, actor)
        if visible is not None and not inherited:
            parents = [c.id for c in customer_chain(session, actor.customer_id)][1:]
            visible = [c for c in visible if c not in parents]
        if visible is not None and customer_id not in visible:  # never tell whether it exists
            raise Problem(404, f"customer {customer_id} not found")
        if with_visible:
            fn = partial(fn, visible=visible)
        return fn(session, customer_id)


async def read(engine, actor: Actor, customer_id: str, fn, *, with_visible: bool = False, inherited: bool = True):
    return await run_in_threadpool(
        partial(_read, with_visible=with_visible, inherited=inherited), engine, actor, customer_id, fn
    )


async def write(engine, actor: Actor, fn, *args):
    """An edit by the actor (the audit trail records who made it)."""
    if not actor.is_seller_staff:
        raise Problem(403, "Catalog rules are edited by the seller's catalog managers")
    require_role(actor, MANAGER)
    return await run_in_threadpool(partial(fn, actor=actor.id), engine, *args)


def _list(engine, actor: Actor) -> list[CustomerSummary]:
    with session_scope(engine) as session:
        return overview.list_customers(session, _visible(session, actor))


@router.get(
    "",
    response_model=list[CustomerSummary],
    summary="The customers the caller may see (seller staff: all; a customer's users: their tree)",
)
async def list_customers(actor: CurrentActor, engine: EngineDep) -> list[CustomerSummary]:
    return await run_in_threadpool(_list, engine, actor)


@router.get(
    CUSTOMER,
    response_model=CustomerDetail,
    summary="One customer: parents, subsidiaries, the contract in force, its rules at a glance",
)
async def get_customer(customer_id: Key, actor: CurrentActor, engine: EngineDep) -> CustomerDetail:
    # a subsidiary's users see its parents, but not the parents' other subsidiaries (their siblings)
    return await read(engine, actor, customer_id, overview.customer_detail, with_visible=True)


# --- price lists, role rules and limits, part numbers and the special assortment --------------------


def _signature(*params: tuple[str, object]) -> inspect.Signature:
    return inspect.Signature(
        [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation) for name, annotation in params]
    )


def _keyed_rules(
    path: str,
    key: str,
    model_in: type,
    model_out: type,
    fns: tuple,
    summaries: tuple[str, str, str],
    *,
    inherited: bool = True,
) -> None:
    """The routes of a kind of rule kept per key: GET `/{customer_id}/{path}` lists the customer's
    own rows, PUT `.../{key}` creates or replaces one (`model_in` in, `model_out` back), DELETE
    removes it (204). `fns`: the catalog's list, put and delete functions; the operations are named
    get_{path}, put_{path without its s} and delete_{path without its s} (e.g. get_part_numbers).

    FastAPI reads the parameters from the signature; the path parameter's name differs per kind
    (role, sku, price_list_id), so the endpoints are built with an explicit __signature__."""
    list_fn, put_fn, delete_fn = fns
    many = path.replace("-", "_")
    one = many.removesuffix("s")
    one_path = f"{CUSTOMER}/{path}/{{{key}}}"
    get_summary, put_summary, delete_summary = summaries

    async def get_all(*, customer_id, actor, engine):
        return await read(engine, actor, customer_id, list_fn, inherited=inherited)

    async def put_one(*, customer_id, actor, engine, body, **keys):
        return await write(engine, actor, put_fn, customer_id, keys[key], body)

    async def delete_one(*, customer_id, actor, engine, **keys) -> None:
        await write(engine, actor, delete_fn, customer_id, keys[key])

    customer, who = ("customer_id", Key), (("actor", CurrentActor), ("engine", EngineDep))
    get_all.__signature__ = _signature(customer, *who)
    put_one.__signature__ = _signature(customer, (key, Key), ("body", model_in), *who)
    delete_one.__signature__ = _signature(customer, (key, Key), *who)
    router.add_api_route(
        f"{CUSTOMER}/{path}",
        get_all,
        methods=["GET"],
        name=f"get_{many}",
        response_model=list[model_out],
        summary=get_summary,
    )
    router.add_api_route(
        one_path, put_one, methods=["PUT"], name=f"put_{one}", response_model=model_out, summary=put_summary
    )
    router.add_api_route(
        one_path, delete_one, methods=["DELETE"], name=f"delete_{one}", status_code=204, summary=delete_summary
    )


_keyed_rules(
    "price-lists",
    "price_list_id",
    PriceListIn,
    PriceListOut,
    (price_lists.price_lists, price_lists.put_price_list, price_lists.delete_price_list),
    (
        "The customer's own price lists with their entries (none: it uses its parent's)",
        "Create or replace a price list with all its entries (catalog managers)",
        "Delete a price list (catalog managers)",
    ),
)


@router.get(
    CUSTOMER + "/role-rules",
    response_model=list[RoleRule],
    summary="The customer's own role rules (none: it uses its parent's)",
)
async def get_role_rules(customer_id: Key, actor: CurrentActor, engine: EngineDep) -> list[RoleRule]:
    return await read(engine, actor, customer_id, rules.role_rules)


@router.put(
    CUSTOMER + "/role-rules",
    response_model=list[RoleRule],
    summary="Replace the customer's whole rule set (catalog managers); [] removes its own rules, "
    "so it uses its parent's again",
)
async def put_role_rules(
    customer_id: Key, body: Annotated[list[RoleRule], Body()], actor: CurrentActor, engine: EngineDep
) -> list[RoleRule]:
    return await write(engine, actor, rules.replace_role_rules, customer_id, body)


_keyed_rules(
    "role-limits",
    "role",
    RoleLimitIn,
    RoleLimitOut,
    (rules.role_limits, rules.put_role_limit, rules.delete_role_limit),
    (
        "The customer's own role limits (none: it uses its parent's)",
        "Set a role's limits per order and per month (catalog managers)",
        "Remove a role's limits (catalog managers)",
    ),
)
_keyed_rules(
    "part-numbers",
    "sku",
    PartNumberIn,
    PartNumberOut,
    (rules.part_numbers, rules.put_part_number, rules.delete_part_number),
    (
        "The customer's own part numbers (its parents' apply per item where it has none)",
        "Set the customer's part number for an item (catalog managers)",
        "Remove the customer's part number for an item (catalog managers)",
    ),
)
_keyed_rules(
    "special-items",
    "sku",
    SpecialItemIn,
    SpecialItemOut,
    (rules.special_items, rules.put_special_item, rules.delete_special_item),
    (
        "The customer's special assortment: items at its own prices",
        "Add an item to the special assortment or change its price (catalog managers)",
        "Remove an item from the special assortment (catalog managers)",
    ),
    inherited=False,
)  # a parent's special prices are its own agreement, not its subsidiaries'
