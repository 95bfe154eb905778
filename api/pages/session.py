"""Signing in and out, one's own password, the home page and the inbox."""

from typing import Any

import jwt
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from accounts import service as accounts
from api import deps
from api.pages.common import page, redirect, render, safe_next, signed_in
from api.security import COOKIE
from core.errors import TooManyRequests
from models.actors import Actor
from models.orders import OrderQuery, OrderStatus
from models.suborders import SubOrderStatus
from notifications.service import inbox
from orders import service as orders
from partners import service as partners

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
    settings = deps.settings(request)
    client = request.client.host if request.client else ""
    try:
        token = await run_in_threadpool(
            accounts.sign_in,
            deps.engine(request),
            settings.signing_secret(),
            settings.jwt_ttl,
            username,
            password,
            request.app.state.login_throttle,
            client,
        )
    except TooManyRequests as exc:
        context = {"next": target, "username": username, "error": str(exc)}
        response = render(request, "login.html", context, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if token is None:
        error = "Unknown user or wrong password"
        return render(request, "login.html", {"next": target, "username": username, "error": error}, status=401)
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


def _sign_out(request: Request, token: str) -> None:
    try:
        accounts.sign_out(request.app.state.engine, token, request.app.state.settings.signing_secret())
    except jwt.PyJWTError:
        return  # expired or not ours: nothing to revoke


@router.api_route("/logout", methods=["GET", "POST"])
async def logout(request: Request) -> Response:
    token = request.cookies.get(COOKIE)
    if token:  # revoke it, not only forget it: a copied cookie stops working too
        await run_in_threadpool(_sign_out, request, token)
    response = redirect("/login", ("ok", "You are signed out."))
    response.delete_cookie(COOKIE, path="/")
    return response


# --- one's own password -----------------------------------------------------------------------


@router.get("/account")
@page()
async def account(request: Request) -> Response:
    return render(request, "account.html", {"min_length": accounts.MIN_PASSWORD_LENGTH})


@router.post("/account/password")
@page(back="/account")
async def change_password(request: Request) -> Response:
    """The same rule as POST /api/v1/auth/password (a wrong current password counts as a failed
    sign-in); every session of the account ends, this one too: sign in again."""
    actor: Actor = request.state.actor
    form = await request.form()
    new, again = str(form.get("new_password", "")), str(form.get("new_password_again", ""))
    if new != again:
        return redirect("/account", ("error", "The two new passwords differ"))
    client = request.client.host if request.client else ""
    try:
        await run_in_threadpool(
            accounts.change_password,
            deps.engine(request),
            actor.id,
            str(form.get("current_password", "")),
            new,
            request.app.state.login_throttle,
            client,
        )
    except accounts.PasswordRefused as exc:
        return redirect("/account", ("error", f"Not changed: {exc}"))
    response = redirect("/login", ("ok", "Your password is changed: sign in with the new one."))
    response.delete_cookie(COOKIE, path="/")
    return response


# --- home -------------------------------------------------------------------------------------


@router.get("/")
@page()
async def home(request: Request) -> Response:
    actor: Actor = request.state.actor
    sections: list[dict[str, Any]] = []

    async def order_rows(title: str, *statuses: OrderStatus | None, limit: int = 10) -> None:
        rows = []
        for status in statuses:
            query = OrderQuery(status=status, limit=limit)
            rows += (await run_in_threadpool(orders.list_orders, deps.engine(request), actor, query))[0]
        sections.append({"title": title, "kind": "orders", "rows": rows})

    if actor.customer_id is not None:
        if "approver" in actor.roles:
            await order_rows("Waiting for your approval", OrderStatus.AWAITING_CUSTOMER_APPROVAL)
        if "buyer" in actor.roles:
            await order_rows("Your latest orders", None, limit=8)
    elif actor.is_seller_staff:
        if "expert" in actor.roles:
            await order_rows("Waiting for an expert", OrderStatus.AWAITING_EXPERT_APPROVAL)
        if "finance" in actor.roles:
            await order_rows("Open invoices", OrderStatus.OVERDUE, OrderStatus.INVOICED, limit=20)
        if not {"expert", "finance"} & set(actor.roles):
            await order_rows("Latest orders", None, limit=10)
    if actor.delivery_unit_id is not None:
        engine = deps.engine(request)
        rows = await run_in_threadpool(partners.list_suborders, engine, actor, SubOrderStatus.SENT, 20)
        rows += await run_in_threadpool(partners.list_suborders, engine, actor, SubOrderStatus.ACCEPTED, 20)
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
