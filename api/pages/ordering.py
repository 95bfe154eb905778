"""Ordering: the catalog page with its order form, the orders list, the order page and the forms
on it (approval, cancellation, decision on a rejected sub-order, finance's check of a blocked
invoice)."""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from api import deps, problems
from api.pages.common import form_token, page, redirect, render, status_filter, validation_message
from api.params import Offset
from api.problems import Problem
from catalog import service as catalog
from core.errors import DomainError
from invoicing import service as invoicing
from models.actors import Actor
from models.approvals import ApprovalKind
from models.orders import (
    FINAL_STATUSES,
    ApprovalBody,
    CancelBody,
    OrderCreate,
    OrderLineRequest,
    OrderQuery,
    OrderStatus,
    OrderView,
    SubOrderDecisionBody,
)
from models.suborders import SubOrderStatus
from orders import service as orders
from partners import service as partners

router = APIRouter()

CATALOG_PAGE_SIZE = 50
CATEGORY_SCAN_LIMIT = 200  # the categories offered in the filter come from this many items
DECISION_LABELS = {
    "resend": "Send again to the same delivery unit",
    "reassign": "Reassign to another delivery unit",
    "drop": "Drop these lines from the order",
    "cancel_order": "Cancel the whole order",
}


# --- catalog and ordering ---------------------------------------------------------------------


def _catalog(engine, actor: Actor, q: str | None, category: str | None, offset: int):
    """(items page, all categories) as the catalog API computes them for this actor."""
    found = catalog.catalog_page(engine, actor, q, category, CATALOG_PAGE_SIZE, offset)
    everything = catalog.catalog_page(engine, actor, None, None, CATEGORY_SCAN_LIMIT, 0)
    return found, sorted({item.category for item in everything.items})


async def _catalog_page(
    request: Request,
    *,
    q: str | None = None,
    category: str | None = None,
    offset: int = 0,
    values: dict[str, str] | None = None,
    error: str | None = None,
    token: str | None = None,
    status: int = 200,
) -> Response:
    actor: Actor = request.state.actor
    q = (q or "").strip()[:100] or None
    category = (category or "").strip()[:64] or None
    found, categories = await run_in_threadpool(_catalog, deps.engine(request), actor, q, category, max(offset, 0))
    can_order = "buyer" in actor.roles and actor.customer_id is not None
    return render(
        request,
        "catalog.html",
        {
            "catalog": found,
            "categories": categories,
            "q": q or "",
            "category": category or "",
            "can_order": can_order,
            "values": values or {},
            "form_token": token or form_token(),
            "error": error,
            "page_size": CATALOG_PAGE_SIZE,
        },
        status=status,
    )


@router.get("/catalog")
@page()
async def catalog_page(
    request: Request, q: str | None = None, category: str | None = None, offset: Offset = 0
) -> Response:
    return await _catalog_page(request, q=q, category=category, offset=offset)


def _lines_from_form(form) -> list[OrderLineRequest]:
    """qty:<sku> = quantity, cfg:<sku>:<option> = value; lines in the order the form lists them."""
    lines = []
    for key, raw in form.multi_items():
        if not key.startswith("qty:") or not str(raw).strip():
            continue
        sku = key[4:]
        try:
            quantity = int(str(raw).strip())
        except ValueError:
            raise Problem(422, f"{sku}: the quantity must be a whole number", field=key) from None
        if quantity < 0:
            raise Problem(422, f"{sku}: the quantity cannot be negative", field=key)
        if quantity == 0:
            continue
        config = {k.split(":", 2)[2]: str(v) for k, v in form.multi_items() if k.startswith(f"cfg:{sku}:") and str(v)}
        lines.append(OrderLineRequest(sku=sku, quantity=quantity, configuration=config))
    if not lines:
        raise Problem(422, "Enter a quantity for at least one item", field="lines")
    return lines


@router.post("/catalog")
@page(back="/catalog")
async def place_order(request: Request) -> Response:
    actor: Actor = request.state.actor
    form = await request.form()
    values = {
        k: str(v)
        for k, v in form.items()
        if k.startswith(("qty:", "cfg:")) or k in ("customer_reference", "delivery_address")
    }
    token = str(form.get("form_token", "")) or form_token()
    filters: dict[str, Any] = {"q": str(form.get("q", "")), "category": str(form.get("category", ""))}
    try:
        lines = _lines_from_form(form)
        wrong = await run_in_threadpool(catalog.order_configuration_problems, deps.engine(request), lines)
        if wrong:
            raise Problem(422, "; ".join(wrong), field="configuration")
        body = OrderCreate(
            lines=lines,
            customer_reference=str(form.get("customer_reference", "")).strip() or None,
            delivery_address=str(form.get("delivery_address", "")).strip() or None,
        )
    except (Problem, ValidationError) as exc:  # nothing placed: show the form again as it was filled in
        detail = exc.detail if isinstance(exc, Problem) else validation_message(exc)
        return await _catalog_page(request, **filters, values=values, error=detail, token=token, status=422)
    try:
        accepted = await orders.place(
            deps.gateway(request), deps.engine(request), deps.settings(request), actor, body, token
        )
    except (Problem, DomainError) as exc:  # e.g. this form was already used for a different order: a fresh form
        problem = problems.from_domain(exc) if isinstance(exc, DomainError) else exc
        return await _catalog_page(request, **filters, values=values, error=problem.detail, status=problem.status)
    return redirect(f"/orders/{accepted.order_id}", ("ok", f"Order {accepted.order_id} placed."))


# --- orders -----------------------------------------------------------------------------------


@router.get("/orders")
@page()
async def orders_page(
    request: Request,
    status: str | None = None,
    customer_reference: str | None = None,
    cursor: str | None = None,
) -> Response:
    actor: Actor = request.state.actor
    wanted = status_filter(OrderStatus, status)
    try:
        query = OrderQuery(
            status=wanted, customer_reference=customer_reference or None, cursor=cursor or None, limit=50
        )
    except ValidationError as exc:
        raise Problem(422, validation_message(exc)) from exc
    rows, next_cursor = await run_in_threadpool(orders.list_orders, deps.engine(request), actor, query)
    filters = {
        k: v for k, v in (("status", wanted.value if wanted else None), ("customer_reference", customer_reference)) if v
    }
    return render(
        request,
        "orders.html",
        {
            "rows": rows,
            "status": wanted.value if wanted else "",
            "customer_reference": customer_reference or "",
            "statuses": [s.value for s in OrderStatus],
            "next": f"/orders?{urlencode({**filters, 'cursor': next_cursor})}" if next_cursor else None,
            "csv": f"/api/v1/orders/export.csv?{urlencode(filters)}",
        },
    )


def _may_decide(actor: Actor, view: OrderView) -> bool:
    """Whether to offer the decision buttons (the workflow decides for real)."""
    pending = view.pending_approval
    if pending is None:
        return False
    if pending.role == "approver":
        return (
            "approver" in actor.roles and actor.customer_id in pending.approver_customer_ids and actor.id != view.buyer
        )
    return "expert" in actor.roles and actor.is_seller_staff


def _may_cancel(actor: Actor, view: OrderView) -> bool:
    return (
        "buyer" in actor.roles
        and actor.customer_id == view.customer_id
        and view.status not in FINAL_STATUSES
        and not view.invoices
        and not any(s.status in (SubOrderStatus.SHIPPED, SubOrderStatus.DELIVERED) for s in view.suborders)
    )


@router.get("/orders/{order_id}")
@page()
async def order_page(request: Request, order_id: str) -> Response:
    actor: Actor = request.state.actor
    view = await orders.visible_order(deps.gateway(request), deps.engine(request), actor, order_id)
    units = await run_in_threadpool(partners.unit_names, deps.engine(request))
    pending = view.pending_approval
    may_decide = _may_decide(actor, view)
    return render(
        request,
        "order.html",
        {
            "order": view,
            "units": units,
            "may_approve": may_decide and pending is not None and pending.kind != ApprovalKind.SUBORDER_REJECTED,
            "may_decide_suborder": may_decide
            and pending is not None
            and pending.kind == ApprovalKind.SUBORDER_REJECTED,
            "decision_labels": DECISION_LABELS,
            "may_cancel": _may_cancel(actor, view),
            "may_retry_invoice": view.status == OrderStatus.INVOICE_BLOCKED
            and "finance" in actor.roles
            and actor.is_seller_staff,
            "settling": view.status in (OrderStatus.RECEIVED, OrderStatus.VALIDATING),
            "final": view.status in FINAL_STATUSES,
        },
    )


@router.post("/orders/{order_id}/approval")
@page(back="/orders/{order_id}")
async def approval_submit(request: Request, order_id: str) -> Response:
    form = await request.form()
    body = ApprovalBody(decision=str(form.get("decision", "")), comment=str(form.get("comment", "")))
    await orders.approve(deps.gateway(request), deps.engine(request), request.state.actor, order_id, body)
    done = "approved" if body.decision == "approve" else "rejected"
    return redirect(f"/orders/{order_id}", ("ok", f"You {done} order {order_id}."))


@router.post("/orders/{order_id}/cancel")
@page(back="/orders/{order_id}")
async def cancel_submit(request: Request, order_id: str) -> Response:
    form = await request.form()
    body = CancelBody(reason=str(form.get("reason", "")))
    await orders.cancel(deps.gateway(request), deps.engine(request), request.state.actor, order_id, body)
    return redirect(f"/orders/{order_id}", ("ok", f"Cancellation of order {order_id} requested."))


@router.post("/orders/{order_id}/invoice/retry")
@page(back="/orders/{order_id}")
async def invoice_retry_submit(request: Request, order_id: str) -> Response:
    # the order checks the invoice again in its own time: the page shows the outcome once there
    await invoicing.retry_invoicing(deps.gateway(request), request.state.actor, order_id)
    return redirect(f"/orders/{order_id}", ("ok", f"The invoice of order {order_id} is checked again."))


@router.post("/orders/{order_id}/suborders/{suborder_id}/decision")
@page(back="/orders/{order_id}")
async def suborder_decision_submit(request: Request, order_id: str, suborder_id: str) -> Response:
    form = await request.form()
    body = SubOrderDecisionBody(
        action=str(form.get("action", "")),
        partner_id=str(form.get("partner_id", "")) or None,
        comment=str(form.get("comment", "")),
    )
    await orders.decide_suborder(
        deps.gateway(request), deps.engine(request), request.state.actor, order_id, suborder_id, body
    )
    return redirect(f"/orders/{order_id}", ("ok", f"Decision on {suborder_id} recorded: {body.action}."))
