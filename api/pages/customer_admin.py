"""The seller's administrators create customers and edit their name, place in the tree,
invoicing particulars and invoicing policy (customers/service.py `create_customer`,
`update_customer`, the API's checks); the customer pages (customers.py) show them. The dunning
schedule is shown, not edited here (the API and `order2cash admin customers` set it). Registered
before customers.py, so that /customers/new is not read as a customer's id."""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import deps
from api.pages.common import page, redirect, render
from api.pages.customers import _checked
from customers import service as customers
from models.actors import Actor, require_admin
from models.customers import CustomerIn, CustomerPatch

router = APIRouter()

FIELDS = ("name", "parent_id", "country", "vat_id", "invoice_email", "buyer_reference", "invoicing_policy")
ADDRESS = ("street", "postal_code", "city", "country")
POLICIES = {"per_order": "one invoice when the order is fully delivered", "per_delivery": "one per delivery"}


def _body(form, *, new: bool) -> dict:
    """The form as the API's body: an empty field is null (on an edit: cleared)."""

    def value(name: str) -> str | None:
        return str(form.get(name, "")).strip() or None

    body: dict[str, Any] = {name: value(name) for name in FIELDS}
    address = {name: value(f"address_{name}") for name in ADDRESS}
    if not new:
        if body["invoicing_policy"] is None:  # none chosen (a policy the form does not offer): kept
            del body["invoicing_policy"]
        return {**body, "address": address}
    given = {k: v for k, v in address.items() if v is not None}
    body = {k: v for k, v in body.items() if v is not None}
    return {**body, "customer_id": str(form.get("customer_id", "")).strip(), "address": given or None}


async def _parents(request: Request, actor: Actor, exclude: str | None = None) -> list:
    rows = await run_in_threadpool(customers.list_customers, deps.engine(request), actor)
    return [row for row in rows if row.customer_id != exclude]


@router.get("/customers/new")
@page()
async def new_customer_form(request: Request) -> Response:
    actor: Actor = request.state.actor
    require_admin(actor)
    parents = await _parents(request, actor)
    return render(request, "customer_form.html", {"c": None, "parents": parents, "policies": POLICIES})


@router.post("/customers/new")
@page(back="/customers/new")
async def create_customer(request: Request) -> Response:
    actor: Actor = request.state.actor
    body = CustomerIn.model_validate(_body(await request.form(), new=True))
    created = await run_in_threadpool(customers.create_customer, deps.engine(request), actor, body)
    return redirect(
        f"/customers/{quote(created.customer_id, safe='')}", ("ok", f"Customer {created.customer_id} created.")
    )


@router.get("/customers/{customer_id}/edit")
@page()
async def edit_customer_form(request: Request, customer_id: str) -> Response:
    actor: Actor = request.state.actor
    require_admin(actor)
    customer = await run_in_threadpool(customers.customer_detail, deps.engine(request), actor, _checked(customer_id))
    parents = await _parents(request, actor, exclude=customer_id)
    return render(request, "customer_form.html", {"c": customer, "parents": parents, "policies": POLICIES})


@router.post("/customers/{customer_id}/edit")
@page(back="/customers/{customer_id}/edit")
async def update_customer(request: Request, customer_id: str) -> Response:
    actor: Actor = request.state.actor
    patch = CustomerPatch.model_validate(_body(await request.form(), new=False))
    await run_in_threadpool(customers.update_customer, deps.engine(request), actor, _checked(customer_id), patch)
    return redirect(f"/customers/{quote(customer_id, safe='')}", ("ok", f"Customer {customer_id} saved."))
