"""`order2cash contracts ...`: framework contracts, their terms and what call-offs consumed of them.

    order2cash contracts list [--customer globex]
    order2cash contracts show GLOBEX-FC-2026
    order2cash contracts set GLOBEX-FC-2026 --tolerance 10 --on-exceed expert --no-value-cap
    order2cash contracts set GLOBEX-FC-2026 --discount-days 10 --discount-percent 2   (--no-discount)
    order2cash contracts set-item GLOBEX-FC-2026 CBL-CAT6-5M --price 4.55 --agreed-quantity 5000
    order2cash contracts call-offs ACME-FC-2026 [--status active]

The same rules as the API (contracts/terms.py): `set` changes only the options given,
`set-item` sets the item's price, agreed quantity and value cap (omitted ones: none).
"""

from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from cli.common import cli_actor, console, engine, fail, money

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)

# model field -> the option that sets it, so that an error names what the user typed
OPTIONS = {
    "valid_from": "--valid-from",
    "valid_to": "--valid-to",
    "tolerance_percent": "--tolerance",
    "on_exceed": "--on-exceed",
    "value_cap": "--value-cap",
    "payment_terms_days": "--payment-days",
    "discount_days": "--discount-days",
    "discount_percent": "--discount-percent",
    "price": "--price",
    "agreed_quantity": "--agreed-quantity",
    "sku": "SKU",
}


def _fail(message: str, field: str | None = None) -> NoReturn:
    label = f"{field} ({OPTIONS[field]}): " if field in OPTIONS else f"{field}: " if field else ""
    fail(label + message)


def _fail_validation(exc: ValidationError) -> NoReturn:
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        lines.append(f"{field} ({OPTIONS.get(field, field)}): {error['msg']}")
    fail(*lines)


def _number(value: int | None, none: str = "–") -> str:
    return none if value is None else f"{value:,}"


@app.command("list")
def list_contracts(customer: str = typer.Option(None, help="only this customer's contracts")) -> None:
    """List contracts with validity, currency and what call-offs consumed of the value cap."""
    from contracts import service as contracts
    from customers import service as customers

    with engine() as db:
        if customer is not None and not customers.exists(db, customer):
            _fail(f"unknown customer {customer}", "customer")
        rows = contracts.list_contracts(db, cli_actor(), customer)
    if not rows:
        console.print(f"no contracts of {customer}" if customer else "no contracts")
        return
    table = Table(title="Contracts" + (f" of {customer}" if customer else ""))
    for column in ("contract", "customer", "name", "valid", "currency"):
        table.add_column(column)
    for column in ("value cap", "consumed", "remaining", "orders"):
        table.add_column(column, justify="right")
    for c in rows:
        table.add_row(
            c.contract_id,
            c.customer_id,
            c.name,
            f"{c.valid_from} – {c.valid_to}" + ("" if c.in_force else " (not in force)"),
            c.currency,
            money(c.value_cap),
            money(c.consumed_value),
            money(c.remaining_value, "unlimited"),
            str(c.orders),
        )
    console.print(table)


def _show(contract_id: str) -> None:
    from contracts import service as contracts

    with engine() as db:
        try:
            c = contracts.get_contract(db, cli_actor(), contract_id)
        except contracts.NotFound as exc:
            _fail(str(exc))
    console.print(f"[bold]{escape(c.contract_id)}[/bold] {escape(c.name)} (customer {escape(c.customer_id)})")
    console.print(f"  valid {c.valid_from} – {c.valid_to}" + ("" if c.in_force else " [yellow](not in force)[/yellow]"))
    console.print(
        f"  currency {c.currency}, payment {c.payment_terms_days} days, "
        f"tolerance {contracts.percent(c.tolerance_percent)} %, on exceed: {c.on_exceed}"
    )
    if c.discount_days is not None and c.discount_percent is not None:
        console.print(f"  cash discount {contracts.percent(c.discount_percent)} % within {c.discount_days} days")
    else:
        console.print("  no cash discount")
    console.print(
        f"  value cap {money(c.value_cap, 'none')}, consumed {money(c.consumed_value)}, "
        f"remaining {money(c.remaining_value, 'unlimited')}, {c.orders} orders consuming"
    )
    table = Table(title=f"Items of {c.contract_id} (remaining includes the tolerance)")
    table.add_column("sku")
    table.add_column("name")
    for column in (
        "price",
        "agreed qty",
        "consumed qty",
        "remaining qty",
        "value cap",
        "consumed value",
        "remaining value",
    ):
        table.add_column(column, justify="right")
    for i in c.items:
        table.add_row(
            i.sku,
            i.name,
            money(i.price),
            _number(i.agreed_quantity),
            _number(i.consumed_quantity),
            _number(i.remaining_quantity, "unlimited"),
            money(i.value_cap),
            money(i.consumed_value),
            money(i.remaining_value, "unlimited"),
        )
    console.print(table)


@app.command("show")
def show(contract_id: str = typer.Argument(..., metavar="ID")) -> None:
    """A contract's terms and items: price, agreed quantity, value cap, consumed and remaining."""
    _show(contract_id)


def _edit(contract_id: str, change) -> None:
    """`change(engine, actor)` through the contracts service; then the contract as it is now."""
    from contracts import service as contracts

    with engine() as db:
        try:
            change(db, cli_actor())
        except contracts.ContractNotFound as exc:
            _fail(str(exc))
        except contracts.InvalidTerms as exc:
            _fail(str(exc), exc.field)
    _show(contract_id)


@app.command("set")
def set_terms(
    contract_id: str = typer.Argument(..., metavar="ID"),
    valid_from: str = typer.Option(None, help="YYYY-MM-DD"),
    valid_to: str = typer.Option(None, help="YYYY-MM-DD"),
    tolerance: str = typer.Option(None, help="percent (0-100) allowed beyond agreed quantities and caps"),
    on_exceed: str = typer.Option(None, help="reject | expert: what happens to a call-off beyond the agreement"),
    value_cap: str = typer.Option(None, help="net value of all call-offs together, in the contract's currency"),
    no_value_cap: bool = typer.Option(False, "--no-value-cap", help="remove the contract's value cap"),
    payment_days: str = typer.Option(None, help="payment terms in days (0-365)"),
    discount_days: str = typer.Option(None, help="cash discount: paid within so many days (below the payment terms)"),
    discount_percent: str = typer.Option(None, help="cash discount: that many percent less (above 0, below 100)"),
    no_discount: bool = typer.Option(False, "--no-discount", help="remove the cash discount"),
) -> None:
    """Change a contract's terms; only the options given change.

    New call-offs are checked against the new terms; running orders keep what they consumed."""
    from contracts import service as contracts
    from models.contracts import ContractTermsUpdate

    if value_cap is not None and no_value_cap:
        _fail("give --value-cap or --no-value-cap, not both", "value_cap")
    if (discount_days is not None or discount_percent is not None) and no_discount:
        _fail("give --discount-days and --discount-percent or --no-discount, not both", "discount_days")
    # passed as text and validated by the API's model, so that both report the same field errors
    given = {
        "valid_from": valid_from,
        "valid_to": valid_to,
        "tolerance_percent": tolerance,
        "on_exceed": on_exceed,
        "value_cap": value_cap,
        "payment_terms_days": payment_days,
        "discount_days": discount_days,
        "discount_percent": discount_percent,
    }
    changes = {name: value for name, value in given.items() if value is not None}
    if no_value_cap:
        changes["value_cap"] = None
    if no_discount:
        changes["discount_days"] = changes["discount_percent"] = None
    if not changes:
        _fail(
            "nothing to change: give at least one of "
            + ", ".join([OPTIONS[name] for name in given] + ["--no-value-cap", "--no-discount"])
        )
    try:
        update = ContractTermsUpdate.model_validate(changes)
    except ValidationError as exc:
        _fail_validation(exc)
    _edit(contract_id, lambda db, actor: contracts.update_terms(db, actor, contract_id, update))


@app.command("set-item")
def set_item(
    contract_id: str = typer.Argument(..., metavar="ID"),
    sku: str = typer.Argument(...),
    price: str = typer.Option(..., help="net unit price in the contract's currency"),
    agreed_quantity: str = typer.Option(None, help="omitted: no agreed quantity"),
    value_cap: str = typer.Option(None, help="net value of the item's call-offs; omitted: no cap"),
) -> None:
    """Add an item to a contract, or set its price, agreed quantity and value cap.

    Like the API's PUT: an omitted agreed quantity or value cap is removed."""
    from contracts import service as contracts
    from models.contracts import ContractItemTerms

    given = {"price": price, "agreed_quantity": agreed_quantity, "value_cap": value_cap}
    try:
        terms = ContractItemTerms.model_validate({k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        _fail_validation(exc)
    _edit(contract_id, lambda db, actor: contracts.set_item(db, actor, contract_id, sku, terms))


@app.command("call-offs")
def list_call_offs(
    contract_id: str = typer.Argument(..., metavar="ID"),
    status: str = typer.Option(None, help="active | released (default: both)"),
    limit: int = typer.Option(50, min=1, max=500),
) -> None:
    """The orders that called off a contract, newest first, with what each consumed."""
    from contracts import service as contracts

    if status not in (None, "active", "released"):
        _fail("give active or released", "status")
    with engine() as db:
        try:
            rows = contracts.call_offs(db, cli_actor(), contract_id, status, limit)
        except contracts.NotFound as exc:
            _fail(str(exc))
    if not rows:
        console.print(f"no call-offs of {contract_id}" + (f" ({status})" if status else ""))
        return
    table = Table(title=f"Call-offs of {contract_id}, newest first")
    for column in ("order", "consumed at", "status", "lines"):
        table.add_column(column)
    table.add_column("value", justify="right")
    for c in rows:
        state = c.status + (" (expert approved)" if c.forced else "")
        if c.released_at is not None:
            state += f" {c.released_at:%Y-%m-%d %H:%M}"
        table.add_row(
            c.order_id,
            f"{c.consumed_at:%Y-%m-%d %H:%M}",
            state,
            ", ".join(f"{line.quantity} x {line.sku}" for line in c.lines),
            money(c.value),
        )
    console.print(table)
