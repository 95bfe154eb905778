"""The seller's administrators and catalog managers create a framework contract: its header and its
items as lines `sku;price;agreed quantity;value cap` (contracts/service.py `create_contract`, the
API's checks). A refused form is shown again as it was sent, with the reason, so that a long item
list is not typed twice. Registered before contracts.py, so that /contracts/new is no contract id."""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from api import deps, problems
from api.pages.common import page, redirect, render
from contracts import service as contracts
from core.errors import DomainError, Forbidden, Invalid
from customers import service as customers
from models.actors import ADMIN, CATALOG_MANAGER, Actor
from models.contracts import ContractCreate

router = APIRouter()

HEADER = (
    "contract_id",
    "customer_id",
    "name",
    "currency",
    "valid_from",
    "valid_to",
    "payment_terms_days",
    "discount_days",
    "discount_percent",
    "tolerance_percent",
    "on_exceed",
    "value_cap",
)
ITEM_FIELDS = ("sku", "price", "agreed_quantity", "value_cap")
DEFAULTS = {"currency": "EUR", "payment_terms_days": "30", "tolerance_percent": "0", "on_exceed": "reject"}


def may_create(actor: Actor) -> bool:
    """Whether to offer the form (contracts.service decides for real)."""
    return actor.is_seller_staff and bool({ADMIN, CATALOG_MANAGER} & set(actor.roles))


def _require(actor: Actor) -> None:
    if not may_create(actor):
        raise Forbidden("Contracts are created by the seller's administrators and catalog managers")


def parse_items(text: str) -> list[dict[str, str]]:
    """One item a line, `sku;price[;agreed quantity[;value cap]]`; empty lines are skipped, an
    empty part is left out."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(";")]
        if len(parts) > len(ITEM_FIELDS):
            raise Invalid(f"text line {number}: give sku;price;agreed quantity;value cap, not {len(parts)} parts")
        items.append({name: value for name, value in zip(ITEM_FIELDS, parts, strict=False) if value})
    return items


def _where(loc: tuple, items: list[dict[str, str]]) -> str:
    """('items', 2, 'price') -> 'item line 3 (SW-24-PRO), price'; a header field as it is."""
    if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
        sku = items[loc[1]].get("sku", "") if loc[1] < len(items) else ""
        field = ", ".join(str(part) for part in loc[2:])
        return f"item line {loc[1] + 1}" + (f" ({sku})" if sku else "") + (f", {field}" if field else "")
    return ".".join(str(part) for part in loc)


def _message(exc: ValidationError | DomainError, items: list[dict[str, str]]) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{_where(tuple(e['loc']), items)}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        )
    detail = problems.from_domain(exc).detail
    if exc.field is None:
        return detail
    path = exc.field.replace("]", "").replace(".", "[").split("[")
    return f"{_where(tuple(int(p) if p.isdigit() else p for p in path), items)}: {detail}"


async def _form(request: Request, values: dict[str, Any], error: str | None = None, status: int = 200) -> Response:
    rows = await run_in_threadpool(customers.list_customers, deps.engine(request), request.state.actor)
    context = {"v": values, "customers": rows, "error": error}
    return render(request, "contract_form.html", context, status=status)


@router.get("/contracts/new")
@page()
async def new_contract_form(request: Request) -> Response:
    _require(request.state.actor)
    return await _form(request, {**DEFAULTS, "customer_id": request.query_params.get("customer_id", "")})


@router.post("/contracts/new")
@page(back="/contracts/new")
async def create_contract(request: Request) -> Response:
    actor: Actor = request.state.actor
    _require(actor)
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in (*HEADER, "items")}
    items: list[dict[str, str]] = []
    body = {name: values[name] for name in HEADER if values[name]}
    try:
        items = parse_items(values["items"])
        contract = ContractCreate.model_validate({**body, "items": items})
        created = await run_in_threadpool(contracts.create_contract, deps.engine(request), actor, contract)
    except ValidationError as exc:
        return await _form(request, values, _message(exc, items), status=422)
    except DomainError as exc:
        status = problems.status_of(exc)
        if status not in (409, 422):
            raise  # not the form's fault (403, ...): the page decorator shows it
        return await _form(request, values, _message(exc, items), status=status)
    return redirect(
        "/contracts/" + quote(created.contract_id, safe=""),
        ("ok", f"Contract {created.contract_id} created with {len(created.items)} items."),
    )
