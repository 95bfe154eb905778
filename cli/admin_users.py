"""`order2cash admin users create|update|list|invite|deactivate`: accounts, their roles and limits,
and one-time links to set a password."""

import sys

import typer
from rich.markup import escape

from cli.admin_common import USER_OPTIONS, fail_on, parse, run_admin
from cli.common import console, money
from cli.customers_common import table

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)

LIMITS = ("order_limit", "monthly_limit")


def _print_link(link) -> None:
    console.print(
        escape(f"one-time link to set a password (shown once, valid until {link.expires_at:%Y-%m-%d %H:%M} UTC):")
    )
    console.print(escape(link.url), soft_wrap=True)


@app.command("list")
def list_users(
    customer: str = typer.Option(None, help="a customer's users"),
    unit: str = typer.Option(None, help="a delivery unit's users"),
    kind: str = typer.Option(None, help="customer | delivery_unit | seller"),
    inactive: bool = typer.Option(False, "--inactive", help="only deactivated users"),
) -> None:
    """The users, by e-mail, with their account, roles and limits."""
    from accounts import service as accounts

    if kind not in (None, "customer", "delivery_unit", "seller"):
        fail_on(f"--kind {kind}: one of customer, delivery_unit, seller")
    rows = run_admin(
        lambda db, actor: accounts.list_users(
            db, actor, customer_id=customer, delivery_unit_id=unit, kind=kind, active=False if inactive else None
        )
    )
    table(
        "Users",
        ("e-mail", "name", "account", "roles", "active", "per order", "per month"),
        [
            (
                u.email,
                u.name,
                u.customer_id or u.delivery_unit_id or "seller",
                ", ".join(u.roles) or "–",
                ("yes" if u.active else "no") + ("" if u.has_password else " (no password yet)"),
                money(u.order_limit),
                money(u.monthly_limit),
            )
            for u in rows
        ],
        right=2,
        limit=None,
    )


@app.command("create")
def create(
    email: str = typer.Argument(..., metavar="EMAIL"),
    name: str = typer.Option(..., help="the person's name"),
    customer: str = typer.Option(None, help="a customer's user (roles: buyer, approver, the customer's own)"),
    unit: str = typer.Option(None, help="a delivery unit's user (role: fulfilment)"),
    role: list[str] = typer.Option([], help="repeatable; seller staff: admin, expert, catalog_manager, finance"),
    order_limit: str = typer.Option(None, help="net per order (customer users)"),
    monthly_limit: str = typer.Option(None, help="net per calendar month (customer users)"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read a password from standard input instead of printing a one-time link"
    ),
) -> None:
    """Create a user; without --password-stdin it prints a one-time link to set a password."""
    from accounts import service as accounts
    from models.users import UserIn

    data = {
        "email": email,
        "name": name,
        "customer_id": customer,
        "delivery_unit_id": unit,
        "roles": role,
        "order_limit": order_limit,
        "monthly_limit": monthly_limit,
    }
    if password_stdin:
        data["password"] = sys.stdin.readline().rstrip("\r\n")
    created = run_admin(accounts.create_user, parse(UserIn, data, USER_OPTIONS), with_link=True, options=USER_OPTIONS)
    console.print(escape(f"user {created.email} created ({', '.join(created.roles) or 'no roles'})"))
    if created.invitation is not None:
        _print_link(created.invitation)


@app.command("update")
def update(
    email: str = typer.Argument(..., metavar="EMAIL"),
    name: str = typer.Option(None),
    role: list[str] = typer.Option(None, help="the user's roles, all of them (repeatable)"),
    no_roles: bool = typer.Option(False, "--no-roles", help="take every role away"),
    active: bool = typer.Option(None, "--active/--inactive", help="(de)activate: counts on the next request"),
    order_limit: str = typer.Option(None, help="net per order"),
    monthly_limit: str = typer.Option(None, help="net per calendar month"),
    clear: list[str] = typer.Option([], help="remove a limit (repeatable): order_limit, monthly_limit"),
) -> None:
    """Change the options given (like the API's PATCH): roles, limits, name, active."""
    from accounts import service as accounts
    from models.users import UserPatch

    body: dict = {"name": name, "active": active, "order_limit": order_limit, "monthly_limit": monthly_limit}
    body = {key: value for key, value in body.items() if value is not None}
    if role:
        body["roles"] = role
    if no_roles:
        body["roles"] = []
    for field in clear:
        if field not in LIMITS:
            fail_on(f"--clear {field}: one of {', '.join(LIMITS)}")
        body[field] = None
    if not body:
        fail_on("nothing to change: give an option to change")
    user = run_admin(accounts.update_user, email, parse(UserPatch, body, USER_OPTIONS), options=USER_OPTIONS)
    state = "active" if user.active else "deactivated"
    console.print(escape(f"user {user.email} changed: {state}, roles {', '.join(user.roles) or 'none'}"))


@app.command("invite")
def invite(email: str = typer.Argument(..., metavar="EMAIL")) -> None:
    """A new one-time link to set a password: a reset (the password and the user's tokens stop counting)."""
    from accounts import service as accounts

    _print_link(run_admin(accounts.invite, email, with_link=True, options=USER_OPTIONS))


@app.command("deactivate")
def deactivate(email: str = typer.Argument(..., metavar="EMAIL")) -> None:
    """End the user's access: its tokens answer 401 from the next request on."""
    from accounts import service as accounts
    from models.users import UserPatch

    user = run_admin(accounts.update_user, email, UserPatch(active=False), options=USER_OPTIONS)
    console.print(escape(f"user {user.email} deactivated"))
