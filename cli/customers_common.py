"""What the `order2cash customers` commands share: running a rule function with its errors as
clear messages naming the argument or option at fault, the removal commands, and how rules print."""

import re
from typing import NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from cli.common import cli_actor, console, engine, fail, money

SHOWN = 20  # rows per kind of rule in `show`

# model field -> the argument or option that sets it, so that an error names what the user typed
OPTIONS = {
    "name": "--name",
    "currency": "--currency",
    "valid_from": "--valid-from",
    "valid_to": "--valid-to",
    "price_list_id": "LIST_ID",
    "role": "ROLE",
    "scope": "--scope",
    "target": "--target",
    "order_limit": "--per-order",
    "monthly_limit": "--per-month",
    "sku": "SKU",
    "part_number": "NUMBER",
    "price": "--price",
}


def fail_on(message: str, field: str | None = None, sources: list[str] | None = None) -> NoReturn:
    label = ""
    entry = re.match(r"entries\[(\d+)\]", field or "")
    if entry and sources:  # name the CSV line or --entry at fault
        label = f"{field} ({sources[int(entry.group(1))]}): "
    elif field:
        label = f"{field} ({OPTIONS[field]}): " if field in OPTIONS else f"{field}: "
    fail(label + message)


def run(fn, *args, sources: list[str] | None = None):
    """`fn(engine, actor, *args)`, a function of the customers service, as the command line's
    actor (edits are recorded in the audit trail as its); a refusal ends the command with a clear
    message naming the argument or option at fault."""
    from core.errors import DomainError

    with engine() as db:
        try:
            return fn(db, cli_actor(), *args)
        except DomainError as exc:
            fail_on(str(exc), exc.field, sources)


def parse_input(model, data: dict, sources: list[str] | None = None):
    from customers import service as customers

    try:
        return customers.parse(model, data)
    except customers.InvalidRule as exc:
        fail_on(str(exc), exc.field, sources)


def add_removal(app: typer.Typer, name: str, key: str, delete: str, done: str, doc: str) -> None:
    """Registers the command `name ID KEY` on `app` (`doc` its help): `delete`, a function of the
    customers service named by its name (imported when the command runs: --help stays fast),
    removes the row; then the command prints `done` with {customer_id} and {key} filled in."""

    def remove(
        customer_id: str = typer.Argument(..., metavar="ID"), value: str = typer.Argument(..., metavar=key)
    ) -> None:
        from customers import service as customers

        run(getattr(customers, delete), customer_id, value)
        console.print(escape(done.format(customer_id=customer_id, key=value)))

    remove.__doc__ = doc
    app.command(name)(remove)


def table(title: str, columns: tuple[str, ...], rows: list[tuple], right: int = 0, limit: int | None = SHOWN) -> None:
    """Prints up to `limit` rows; the last `right` columns are numbers."""
    table = Table(title=title or None)
    for i, column in enumerate(columns):
        table.add_column(column, justify="right" if i >= len(columns) - right else "left")
    for row in rows[:limit]:
        table.add_row(*(escape(str(cell)) for cell in row))
    console.print(table)
    if limit is not None and len(rows) > limit:
        console.print(f"  ... and {len(rows) - limit} more")


def print_price_lists(lists) -> None:
    for pl in lists:
        valid = f"{pl.valid_from} – {pl.valid_to or 'open'}"
        console.print(escape(f"price list {pl.price_list_id}: {pl.name}, {pl.currency}, valid {valid}"))
        table(
            "",
            ("sku", "from qty", "price"),
            [(e.sku, e.min_quantity, money(e.price, "list price")) for e in pl.entries],
            right=2,
        )


def print_role_rules(rules) -> None:
    table(
        "Role rules",
        ("role", "scope", "target", "see", "order"),
        [
            (r.role, r.scope, r.target or "–", "yes" if r.may_see else "no", "yes" if r.may_order else "no")
            for r in rules
        ],
    )


def print_role_limits(limits) -> None:
    table(
        "Role limits",
        ("role", "per order", "per month"),
        [(r.role, money(r.order_limit, "none"), money(r.monthly_limit, "none")) for r in limits],
        right=2,
    )


def print_part_numbers(numbers) -> None:
    table("Part numbers", ("sku", "part number"), [(p.sku, p.part_number) for p in numbers])


def print_special_items(items) -> None:
    table("Special items", ("sku", "name", "price"), [(s.sku, s.name, money(s.price)) for s in items], right=1)
