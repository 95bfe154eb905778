"""`order2cash admin units create|update|list|rotate-secret`: delivery units and their webhook signing
secrets (partners.service, as the API). A secret is printed once, when it is made: put it into the
unit's backend then.

    order2cash admin units create fastfix --name "FastFix GmbH" --webhook-url https://fastfix.example/o2c \\
        --contact-email ops@fastfix.example
    order2cash admin units update fastfix --no-webhook-url          # its people use the portal
    order2cash admin units rotate-secret fastfix                    # the old one verifies for WEBHOOK_SECRET_GRACE
"""

from typing import Any, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from cli.admin_common import admin_actor
from cli.common import console, engine, fail

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)

# body field -> the option that sets it, so that an error names what the user typed
OPTIONS = {
    "unit_id": "UNIT_ID",
    "name": "--name",
    "webhook_url": "--webhook-url",
    "contact_email": "--contact-email",
    "kind": "--kind",
    "adapter": "--adapter",
}


def _fail(message: str, field: str | None) -> NoReturn:
    fail((f"{field} ({OPTIONS.get(field, field)}): " if field else "") + message.removeprefix("Value error, "))


def _parse(model, data: dict):
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        _fail(error["msg"], ".".join(str(part) for part in error["loc"]))


def _run(fn, *args: Any, **kwargs: Any) -> Any:
    """`fn(engine, administrator, *args)` through the partner service; a refusal names the option."""
    from core.errors import DomainError

    with engine() as db:
        try:
            return fn(db, admin_actor(), *args, **kwargs)
        except DomainError as exc:
            _fail(str(exc), exc.field)


def _print(unit) -> None:
    console.print(f"[bold]{escape(unit.unit_id)}[/bold] {escape(unit.name)} ({unit.kind}, adapter {unit.adapter})")
    console.print(f"  webhook URL: {escape(unit.webhook_url or '– (portal only)')}", soft_wrap=True)
    console.print(f"  contact: {escape(unit.contact_email or '–')}")
    if unit.secret_rotated_at is not None:
        console.print(f"  secret rotated {unit.secret_rotated_at:%Y-%m-%d %H:%M} UTC")
    if unit.previous_secret_until is not None:
        console.print(f"  the previous secret verifies until {unit.previous_secret_until:%Y-%m-%d %H:%M} UTC")


def _print_secret(unit) -> None:
    _print(unit)
    console.print("[yellow]signing secret, shown this once: configure it in the unit's backend[/yellow]")
    typer.echo(unit.webhook_secret)  # plain, on a line of its own: copied or piped as it is


@app.command("list")
def list_units() -> None:
    """Every delivery unit with its webhook URL and contact (never a secret)."""
    from partners import service as partners

    rows = _run(partners.list_units)
    table = Table(title="Delivery units")
    for column in ("unit", "name", "kind", "webhook URL", "contact", "secret rotated", "previous secret until"):
        table.add_column(column)
    for u in rows:
        table.add_row(
            u.unit_id,
            u.name,
            u.kind,
            u.webhook_url or "– (portal)",
            u.contact_email or "–",
            f"{u.secret_rotated_at:%Y-%m-%d %H:%M}" if u.secret_rotated_at else "–",
            f"{u.previous_secret_until:%Y-%m-%d %H:%M}" if u.previous_secret_until else "–",
        )
    console.print(table)


@app.command("create")
def create(
    unit_id: str = typer.Argument(..., metavar="UNIT_ID", help="lower-case letters, digits and hyphens"),
    name: str = typer.Option(..., help="the unit's name"),
    webhook_url: str = typer.Option(None, help="http(s) URL of its backend; omitted: its people use the portal"),
    contact_email: str = typer.Option(None, help="whom the seller writes to"),
    kind: str = typer.Option("partner", help="own | partner"),
    adapter: str = typer.Option("webhook", help="how its backend is spoken to: webhook (Standard Webhooks)"),
) -> None:
    """Onboard a delivery unit; prints its generated signing secret once."""
    from models.delivery_units import DeliveryUnitCreate
    from partners import service as partners

    given = {
        "unit_id": unit_id,
        "name": name,
        "webhook_url": webhook_url,
        "contact_email": contact_email,
        "kind": kind,
        "adapter": adapter,
    }
    body = _parse(DeliveryUnitCreate, {k: v for k, v in given.items() if v is not None})
    _print_secret(_run(partners.create_unit, body))


@app.command("update")
def update(
    unit_id: str = typer.Argument(..., metavar="UNIT_ID"),
    name: str = typer.Option(None),
    webhook_url: str = typer.Option(None, help="http(s) URL of its backend"),
    no_webhook_url: bool = typer.Option(False, "--no-webhook-url", help="remove it: the unit uses the portal"),
    contact_email: str = typer.Option(None),
    no_contact_email: bool = typer.Option(False, "--no-contact-email", help="remove the contact e-mail"),
    kind: str = typer.Option(None, help="own | partner"),
    adapter: str = typer.Option(None, help="webhook"),
) -> None:
    """Change a unit: only the options given (the secret: rotate-secret)."""
    from models.delivery_units import DeliveryUnitUpdate
    from partners import service as partners

    if webhook_url is not None and no_webhook_url:
        _fail("give --webhook-url or --no-webhook-url, not both", "webhook_url")
    if contact_email is not None and no_contact_email:
        _fail("give --contact-email or --no-contact-email, not both", "contact_email")
    given = {"name": name, "webhook_url": webhook_url, "contact_email": contact_email, "kind": kind, "adapter": adapter}
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if no_webhook_url:
        changes["webhook_url"] = None
    if no_contact_email:
        changes["contact_email"] = None
    if not changes:
        fail("nothing to change: give at least one of " + ", ".join(f"--{k.replace('_', '-')}" for k in given))
    _print(_run(partners.update_unit, unit_id, _parse(DeliveryUnitUpdate, changes)))


@app.command("rotate-secret")
def rotate_secret(
    unit_id: str = typer.Argument(..., metavar="UNIT_ID"),
    revoke_previous: bool = typer.Option(
        False, "--revoke-previous", help="the old secret stops verifying at once (it leaked)"
    ),
) -> None:
    """A new signing secret, printed once. Messages to the unit are signed with it at once; the old
    one keeps verifying the unit's webhooks for WEBHOOK_SECRET_GRACE unless --revoke-previous."""
    from core.settings import get_settings
    from partners import service as partners

    grace = get_settings().webhook_secret_grace
    _print_secret(_run(partners.rotate_secret, unit_id, grace, revoke_previous=revoke_previous))
