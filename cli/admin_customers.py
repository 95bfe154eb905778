"""`order2cash admin customers create|update|list`: customers and their invoicing particulars."""

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
)
CLEAR_HELP = f"remove a field (repeatable): {', '.join(CLEARABLE)}"
ADDRESS = {"street": "street", "postal_code": "postal_code", "city": "city", "address_country": "country"}


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
