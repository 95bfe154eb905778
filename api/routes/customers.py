"""Customers and their catalog rules: price lists, role rules, role limits, part numbers and the
special assortment. Seller administrators create customers and edit their particulars; catalog
managers edit the rules; the seller's staff read every customer's, a customer's users their own
tree's (another customer's is 404). Who may do what: customers/service.py; the
rules: customers/rule_edits.py, customers/price_lists.py, customers/overview.py."""

import inspect
from typing import Annotated, Any, cast
from urllib.parse import quote

from fastapi import APIRouter, Body, Path, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep
from api.security import CurrentActor
from customers import service as customers
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
from models.customers import CustomerIn, CustomerPatch

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])
Key = Annotated[str, Path(min_length=1, max_length=64), Printable]
CUSTOMER = "/{customer_id}"


@router.get(
    "",
    response_model=list[CustomerSummary],
    summary="The customers the caller may see (seller staff: all; a customer's users: their tree)",
)
async def list_customers(actor: CurrentActor, engine: EngineDep) -> list[CustomerSummary]:
    return await run_in_threadpool(customers.list_customers, engine, actor)


@router.get(
    CUSTOMER,
    response_model=CustomerDetail,
    summary="One customer: parents, subsidiaries, the contract in force, its rules at a glance",
)
async def get_customer(customer_id: Key, actor: CurrentActor, engine: EngineDep) -> CustomerDetail:
    return await run_in_threadpool(customers.customer_detail, engine, actor, customer_id)


@router.post(
    "",
    response_model=CustomerDetail,
    status_code=201,
    summary="Create a customer with its invoicing particulars (seller administrators); "
    "answers as GET shows it, with Location",
)
async def create_customer(
    body: CustomerIn, actor: CurrentActor, engine: EngineDep, response: Response
) -> CustomerDetail:
    created = await run_in_threadpool(customers.create_customer, engine, actor, body)
    response.headers["Location"] = f"{router.prefix}/{quote(created.customer_id, safe='')}"
    return created


@router.patch(
    CUSTOMER,
    response_model=CustomerDetail,
    summary="Change a customer (seller administrators): only the fields sent; null clears an optional one",
)
async def update_customer(
    customer_id: Key, body: CustomerPatch, actor: CurrentActor, engine: EngineDep
) -> CustomerDetail:
    return await run_in_threadpool(customers.update_customer, engine, actor, customer_id, body)


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
) -> None:
    """The routes of a kind of rule kept per key: GET `/{customer_id}/{path}` lists the customer's
    own rows, PUT `.../{key}` creates or replaces one (`model_in` in, `model_out` back), DELETE
    removes it (204). `fns`: the customers service's list, put and delete functions; the operations are named
    get_{path}, put_{path without its s} and delete_{path without its s} (e.g. get_part_numbers).

    FastAPI reads the parameters from the signature; the path parameter's name differs per kind
    (role, sku, price_list_id), so the endpoints are built with an explicit __signature__."""
    list_fn, put_fn, delete_fn = fns
    many = path.replace("-", "_")
    one = many.removesuffix("s")
    one_path = f"{CUSTOMER}/{path}/{{{key}}}"
    get_summary, put_summary, delete_summary = summaries

    async def get_all(*, customer_id, actor, engine):
        return await run_in_threadpool(list_fn, engine, actor, customer_id)

    async def put_one(*, customer_id, actor, engine, body, **keys):
        return await run_in_threadpool(put_fn, engine, actor, customer_id, keys[key], body)

    async def delete_one(*, customer_id, actor, engine, **keys) -> None:
        await run_in_threadpool(delete_fn, engine, actor, customer_id, keys[key])

    customer, who = ("customer_id", Key), (("actor", CurrentActor), ("engine", EngineDep))
    cast(Any, get_all).__signature__ = _signature(customer, *who)
    cast(Any, put_one).__signature__ = _signature(customer, (key, Key), ("body", model_in), *who)
    cast(Any, delete_one).__signature__ = _signature(customer, (key, Key), *who)
    router.add_api_route(
        f"{CUSTOMER}/{path}",
        get_all,
        methods=["GET"],
        name=f"get_{many}",
        response_model=list[model_out],  # type: ignore[valid-type]  # a model per kind of rule
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
    (customers.price_lists_of, customers.put_price_list, customers.delete_price_list),
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
    return await run_in_threadpool(customers.role_rules, engine, actor, customer_id)


@router.put(
    CUSTOMER + "/role-rules",
    response_model=list[RoleRule],
    summary="Replace the customer's whole rule set (catalog managers); [] removes its own rules, "
    "so it uses its parent's again",
)
async def put_role_rules(
    customer_id: Key, body: Annotated[list[RoleRule], Body()], actor: CurrentActor, engine: EngineDep
) -> list[RoleRule]:
    return await run_in_threadpool(customers.replace_role_rules, engine, actor, customer_id, body)


_keyed_rules(
    "role-limits",
    "role",
    RoleLimitIn,
    RoleLimitOut,
    (customers.role_limits, customers.put_role_limit, customers.delete_role_limit),
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
    (customers.part_numbers, customers.put_part_number, customers.delete_part_number),
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
    (customers.special_items, customers.put_special_item, customers.delete_special_item),
    (
        "The customer's special assortment: items at its own prices",
        "Add an item to the special assortment or change its price (catalog managers)",
        "Remove an item from the special assortment (catalog managers)",
    ),
)  # a parent's special prices are its own agreement: not read at it by its subsidiaries' users
