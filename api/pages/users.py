"""Users for the seller's administrators: the list (by customer, unit or kind), a new user with
roles and limits, one user's roles, limits and name, deactivation, and a new one-time link to set a
password, shown once on the page that made it. And the page behind such a link, where a person
sets a password without being signed in. Everything through accounts/service.py, like the API."""

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from accounts import service as accounts
from api import deps, problems
from api.pages.common import page, redirect, render
from api.problems import Problem
from core.errors import DomainError
from customers import service as customers
from models.actors import ROLES, Actor
from models.users import InvitationLink, UserIn, UserOut, UserPatch
from partners import service as partners

router = APIRouter()
KINDS = ("customer", "delivery_unit", "seller")


def _account(value: str) -> dict[str, str | None]:
    """The form's account choice ("seller", "customer:acme", "unit:netpartner") as the body's ids."""
    kind, _, key = value.partition(":")
    return {"customer_id": key if kind == "customer" else None, "delivery_unit_id": key if kind == "unit" else None}


def _roles(form) -> list[str]:
    other = [r.strip() for r in str(form.get("other_roles", "")).split(",") if r.strip()]
    return [str(r) for r in form.getlist("roles")] + other


def _limit(form, name: str) -> str | None:
    value = str(form.get(name, "")).strip().replace(" ", "")
    try:  # a decimal comma as people type it
        return str(Decimal(value.replace(",", "."))) if value else None
    except InvalidOperation:
        return value  # the model says what is wrong with it


async def _choices(request: Request, actor: Actor) -> dict[str, Any]:
    engine = deps.engine(request)
    return {
        "customers": await run_in_threadpool(customers.list_customers, engine, actor),
        "units": await run_in_threadpool(partners.unit_names, engine),
        "all_roles": ROLES,
    }


def _checked(email: str) -> str:
    """An e-mail that cannot exist (too long, control characters) is simply not found."""
    if not 0 < len(email) <= 254 or any(ord(c) < 32 or ord(c) == 127 for c in email):
        raise Problem(404, "user not found")
    return email


def _user_path(email: str) -> str:
    return f"/users/{quote(email, safe='@')}"


@router.get("/users")
@page()
async def users_page(
    request: Request, customer_id: str | None = None, delivery_unit_id: str | None = None, kind: str | None = None
) -> Response:
    actor: Actor = request.state.actor
    if kind not in (None, "", *KINDS):
        raise Problem(422, f"unknown kind {kind!r}", field="kind")
    rows = await run_in_threadpool(
        lambda: accounts.list_users(
            deps.engine(request),
            actor,
            customer_id=customer_id or None,
            delivery_unit_id=delivery_unit_id or None,
            kind=kind or None,
        )
    )
    filters = {"customer_id": customer_id or "", "delivery_unit_id": delivery_unit_id or "", "kind": kind or ""}
    return render(request, "users.html", {"rows": rows, "filters": filters, **await _choices(request, actor)})


async def _user_page(
    request: Request, user: UserOut, invitation: InvitationLink | None = None, status: int = 200
) -> Response:
    actor: Actor = request.state.actor
    engine = deps.engine(request)
    allowed = await run_in_threadpool(accounts.allowed_roles, engine, actor, user.customer_id, user.delivery_unit_id)
    context = {"u": user, "allowed": [*allowed, *(r for r in user.roles if r not in allowed)], "invitation": invitation}
    return render(request, "user.html", context, status=status)


@router.post("/users")
@page(back="/users")
async def create_user(request: Request) -> Response:
    actor: Actor = request.state.actor
    form = await request.form()
    body = UserIn.model_validate(
        {
            "email": str(form.get("email", "")).strip(),
            "name": str(form.get("name", "")),
            **_account(str(form.get("account", "seller"))),
            "roles": _roles(form),
            "order_limit": _limit(form, "order_limit"),
            "monthly_limit": _limit(form, "monthly_limit"),
            "password": str(form.get("password", "")) or None,
        }
    )
    settings = deps.settings(request)
    created = await run_in_threadpool(
        lambda: accounts.create_user(
            deps.engine(request),
            actor,
            body,
            invitation_ttl=settings.invitation_ttl,
            link_base=deps.link_base(request),
        )
    )
    # the link is shown here, once: it is not kept, only its hash
    return await _user_page(request, created, created.invitation, status=201)


@router.get("/users/{email}")
@page()
async def user_page(request: Request, email: str) -> Response:
    user = await run_in_threadpool(accounts.get_user, deps.engine(request), request.state.actor, _checked(email))
    return await _user_page(request, user)


@router.post("/users/{email}")
@page(back="/users/{email}")
async def update_user(request: Request, email: str) -> Response:
    actor: Actor = request.state.actor
    form = await request.form()
    data: dict[str, Any] = {"name": str(form.get("name", "")), "roles": _roles(form)}
    if form.get("limits") == "1":  # a customer's user: the limit fields are on the form
        data |= {name: _limit(form, name) for name in ("order_limit", "monthly_limit")}
    patch = UserPatch.model_validate(data)
    await run_in_threadpool(accounts.update_user, deps.engine(request), actor, _checked(email), patch)
    return redirect(_user_path(email), ("ok", f"User {email} saved."))


@router.post("/users/{email}/active")
@page(back="/users/{email}")
async def set_active(request: Request, email: str) -> Response:
    actor: Actor = request.state.actor
    active = (await request.form()).get("active") == "1"
    patch = UserPatch(active=active)
    await run_in_threadpool(accounts.update_user, deps.engine(request), actor, _checked(email), patch)
    done = "activated" if active else "deactivated: its sessions end with their next request"
    return redirect(_user_path(email), ("ok", f"User {email} {done}."))


@router.post("/users/{email}/invitation")
@page(back="/users/{email}")
async def invite(request: Request, email: str) -> Response:
    actor: Actor = request.state.actor
    settings = deps.settings(request)
    link = await run_in_threadpool(
        lambda: accounts.invite(
            deps.engine(request),
            actor,
            _checked(email),
            invitation_ttl=settings.invitation_ttl,
            link_base=deps.link_base(request),
        )
    )
    user = await run_in_threadpool(accounts.get_user, deps.engine(request), actor, email)
    return await _user_page(request, user, link)


# --- the page behind a one-time link: no sign-in ----------------------------------------------------


def _refused(request: Request, exc: DomainError) -> Response:
    problem = problems.from_domain(exc)
    return render(request, "error.html", {"status": problem.status, "detail": problem.detail}, status=problem.status)


@router.get("/invitation/{token}")
async def invitation_form(request: Request, token: str) -> Response:
    try:
        email = await run_in_threadpool(accounts.invitation_email, deps.engine(request), token)
    except DomainError as exc:
        return _refused(request, exc)
    return render(request, "invitation.html", {"email": email, "token": token})


@router.post("/invitation/{token}")
async def invitation_submit(request: Request, token: str) -> Response:
    form = await request.form()
    password, again = str(form.get("new_password", "")), str(form.get("repeat_password", ""))
    email = ""
    try:
        email = await run_in_threadpool(accounts.invitation_email, deps.engine(request), token)
        if password != again:
            context = {"email": email, "token": token, "error": "The two passwords differ: type the same one twice."}
            return render(request, "invitation.html", context, status=422)
        email = await run_in_threadpool(accounts.use_invitation, deps.engine(request), token, password)
    except DomainError as exc:
        if exc.field == "new_password":  # too short: the form again, with the reason
            context = {"email": email, "token": token, "error": str(exc)}
            return render(request, "invitation.html", context, status=422)
        return _refused(request, exc)
    return redirect("/login", ("ok", f"Your password is set: sign in as {email}."))
