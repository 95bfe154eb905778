"""Signing in and out, the home page and the inbox."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import deps
from api.pages.common import page, redirect, render, safe_next, signed_in
from api.problems import Problem
from api.routes import orders as order_routes
from api.routes import suborders as suborder_routes
from api.routes.auth import login as issue_login
from api.security import COOKIE
from models.actors import Actor
from models.orders import OrderStatus
from models.suborders import SubOrderStatus
from notifications.outbox import inbox

router = APIRouter()


# --- sign-in ----------------------------------------------------------------------------------


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    if signed_in(request) is not None:
        return redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "username": ""})


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    try:
        token = await run_in_threadpool(issue_login, deps.engine(request), deps.settings(request), username, password)
    except Problem as exc:
        return render(
            request, "login.html", {"next": target, "username": username, "error": exc.detail}, status=exc.status
        )
    response = redirect(target)
    response.set_cookie(
        COOKIE,
        token.access_token,
        max_age=token.expires_in,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.api_route("/logout", methods=["GET", "POST"])
async def logout(request: Request) -> Response:
    response = redirect("/login", ("ok", "You are signed out."))
    response.delete_cookie(COOKIE, path="/")
    return response


# --- home -------------------------------------------------------------------------------------


@router.get("/")
@page()
async def home(request: Request) -> Response:
    actor: Actor = request.state.actor
    gateway = deps.gateway(request)
    sections: list[dict[str, Any]] = []

    async def orders(title: str, *statuses: OrderStatus | None, limit: int = 10) -> None:
        rows = []
        for status in statuses:
            rows += await order_routes.list_orders(actor, gateway, status, limit)
        sections.append({"title": title, "kind": "orders", "rows": rows})

    if actor.customer_id is not None:
        if "approver" in actor.roles:
            await orders("Waiting for your approval", OrderStatus.AWAITING_CUSTOMER_APPROVAL)
        if "buyer" in actor.roles:
            await orders("Your latest orders", None, limit=8)
    elif actor.is_seller_staff:
        if "expert" in actor.roles:
            await orders("Waiting for an expert", OrderStatus.AWAITING_EXPERT_APPROVAL)
        if "finance" in actor.roles:
            await orders("Open invoices", OrderStatus.OVERDUE, OrderStatus.INVOICED, limit=20)
        if not {"expert", "finance"} & set(actor.roles):
            await orders("Latest orders", None, limit=10)
    if actor.delivery_unit_id is not None:
        rows = await suborder_routes.list_suborders(actor, gateway, SubOrderStatus.SENT, 20)
        rows += await suborder_routes.list_suborders(actor, gateway, SubOrderStatus.ACCEPTED, 20)
        sections.append({"title": "Sub-orders to work on", "kind": "suborders", "rows": rows})
    notes = await run_in_threadpool(inbox, deps.engine(request), actor, 5)
    return render(request, "home.html", {"sections": sections, "notes": notes})


# --- notifications ----------------------------------------------------------------------------


@router.get("/inbox")
@page()
async def inbox_page(request: Request) -> Response:
    actor: Actor = request.state.actor
    notes = await run_in_threadpool(inbox, deps.engine(request), actor)
    return render(request, "inbox.html", {"notes": notes})
