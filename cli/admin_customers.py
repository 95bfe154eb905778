"""`order2cash admin customers create|update|list`: customers and their invoicing particulars,
invoicing policy and dunning schedule.

    order2cash admin customers update initech --invoicing-policy per_delivery \\
        --dunning-schedule '[{"days_after_due": 10, "kind": "reminder"},
                             {"days_after_due": 30, "kind": "notice", "fee": "7.50"},
                             {"days_after_due": 60, "kind": "collections"}]'
    order2cash admin customers update initech --clear dunning_schedule    # the seller's default again
"""

import json

import typer
from rich.markup import escape

from cli.admin_common import CUSTOMER_OPTIONS, fail_on, parse, run_admin
from cli.common import console
from cli.customers_common import table

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)

# --clear takes these (the optional fields); address fields are cleared one by one
CLEARABLE = (
    "parent_id",
    "vat_id",
    "street",
    "postal_code",
    "city",
    "address_country",
    "invoice_email",
    "buyer_reference",
    "dunning_schedule",
)
CLEAR_HELP = f"remove a field (repeatable): {', '.join(CLEARABLE)}"
ADDRESS = {"street": "street", "postal_code": "postal_code", "city": "city", "address_country": "country"}
POLICY_HELP = "per_order (one invoice after full delivery) or per_delivery (one per delivered sub-order)"
DUNNING_HELP = (
    'JSON: the levels, e.g. \'[{"days_after_due": 7, "kind": "reminder"}, {"days_after_due": 30, '
    '"kind": "collections"}]\' (kind reminder | notice | collections, fee optional); default: the seller\'s'
)


def _schedule(text: str | None) -> object:
    """The JSON of --dunning-schedule (the model checks its levels)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        fail_on(f"not JSON: {exc}", "dunning_schedule", CUSTOMER_OPTIONS)


def _body(values: dict, address: dict) -> dict:
    body = {name: value for name, value in values.items() if value is not None}
    given = {ADDRESS[name]: value for name, value in address.items() if value is not None}
    if given:
        body["address"] = given
    return body


def _print(c) -> None:
    a = c.address
    lines = [
        f"customer {c.customer_id}: {c.name} ({c.country})" + (f", subsidiary of {c.parent_id}" if c.parent_id else ""),
        f"  VAT ID: {c.vat_id or '–'}; invoice e-mail: {c.invoice_email or '–'}; buyer reference: "
        f"{c.buyer_reference or '–'}",
        "  address: " + (", ".join(p for p in (a.street, a.postal_code, a.city, a.country) if p) or "–"),
        f"  invoicing: {c.invoicing_policy}; dunning"
        + (" (the seller's default)" if c.dunning_schedule is None else "")
        + ": "
        + ", ".join(
            f"{level.days_after_due} days {level.kind}" + (f" {level.fee:.2f}" if level.fee else "")
            for level in c.dunning_levels
        ),
    ]
    for line in lines:
        console.print(escape(line))


@app.command("list")
def list_customers() -> None:
    """Every customer with its parent and country."""
    from customers import service as customers

    rows = run_admin(customers.list_customers)
    table(
        "Customers",
        ("customer", "name", "parent", "country"),
        [(c.customer_id, c.name, c.parent_id or "–", c.country) for c in rows],
        limit=None,
    )


@app.command("create")
def create(
    customer_id: str = typer.Argument(..., metavar="ID", help="letters, digits, '.', '_', '-'"),
    name: str = typer.Option(..., help="the legal name"),
    country: str = typer.Option(..., help="ISO 3166 alpha-2, e.g. DE"),
    parent: str = typer.Option(None, help="the parent customer's id (it inherits its contract and rules)"),
    vat_id: str = typer.Option(None, help="with its country prefix, e.g. DE123456789"),
    street: str = typer.Option(None),
    postal_code: str = typer.Option(None),
    city: str = typer.Option(None),
    address_country: str = typer.Option(None, help="the address's country (default: none)"),
    invoice_email: str = typer.Option(None, help="where invoices go"),
    buyer_reference: str = typer.Option(None, help="on every invoice (e.g. a Leitweg-ID)"),
    invoicing_policy: str = typer.Option(None, help=POLICY_HELP + " (default per_order)"),
    dunning_schedule: str = typer.Option(None, help=DUNNING_HELP),
) -> None:
    """Create a customer."""
    from customers import service as customers
    from models.customers import CustomerIn

    values = {
        "customer_id": customer_id,
        "name": name,
        "country": country,
        "parent_id": parent,
        "vat_id": vat_id,
        "invoice_email": invoice_email,
        "buyer_reference": buyer_reference,
        "invoicing_policy": invoicing_policy,
        "dunning_schedule": _schedule(dunning_schedule),
    }
    address = {"street": street, "postal_code": postal_code, "city": city, "address_country": address_country}
    created = run_admin(
        customers.create_customer, parse(CustomerIn, _body(values, address), CUSTOMER_OPTIONS), options=CUSTOMER_OPTIONS
    )
    console.print(escape(f"customer {created.customer_id} created"))
    _print(created)


@app.command("update")
def update(
    customer_id: str = typer.Argument(..., metavar="ID"),
    name: str = typer.Option(None),
    country: str = typer.Option(None, help="ISO 3166 alpha-2"),
    parent: str = typer.Option(None, help="the new parent (--clear parent_id: none)"),
    vat_id: str = typer.Option(None),
    street: str = typer.Option(None),
    postal_code: str = typer.Option(None),
    city: str = typer.Option(None),
    address_country: str = typer.Option(None),
    invoice_email: str = typer.Option(None),
    buyer_reference: str = typer.Option(None),
    invoicing_policy: str = typer.Option(None, help=POLICY_HELP),
    dunning_schedule: str = typer.Option(None, help=DUNNING_HELP + " (--clear dunning_schedule)"),
    clear: list[str] = typer.Option([], help=CLEAR_HELP),
) -> None:
    """Change the options given (like the API's PATCH); --clear removes an optional field."""
    from customers import service as customers
    from models.customers import CustomerPatch

    values = {
        "name": name,
        "country": country,
        "parent_id": parent,
        "vat_id": vat_id,
        "invoice_email": invoice_email,
        "buyer_reference": buyer_reference,
        "invoicing_policy": invoicing_policy,
        "dunning_schedule": _schedule(dunning_schedule),
    }
    address = {"street": street, "postal_code": postal_code, "city": city, "address_country": address_country}
    body = _body(values, address)
    for field in clear:
        if field not in CLEARABLE:
            fail_on(f"--clear {field}: one of {', '.join(CLEARABLE)}")
        if field in ADDRESS:
            body.setdefault("address", {})[ADDRESS[field]] = None
        else:
            body[field] = None
    if not body:
        fail_on("nothing to change: give an option to change or --clear")
    updated = run_admin(
        customers.update_customer, customer_id, parse(CustomerPatch, body, CUSTOMER_OPTIONS), options=CUSTOMER_OPTIONS
    )
    console.print(escape(f"customer {updated.customer_id} changed"))
    _print(updated)
