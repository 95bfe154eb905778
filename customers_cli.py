"""`order2cash customers ...`: customers and their catalog rules (what catalog managers edit).

    order2cash customers list
    order2cash customers show acme-at
    order2cash customers price-list acme ACME-PL-2027 --name "ACME 2027" --valid-from 2027-01-01 \\
        --csv prices.csv                       # sku;min_quantity;price with a header row; empty price: list price
    order2cash customers price-list acme ACME-PL-2027 --name "ACME 2027" --valid-from 2027-01-01 \\
        --entry CBL-CAT6-5M:1:4.10 --entry CBL-CAT6-5M:100:3.80
    order2cash customers remove-price-list acme ACME-PL-2027
    order2cash customers role-rule acme technician --scope category --target services --see --no-order
    order2cash customers remove-role-rule acme technician --scope category --target services
    order2cash customers role-limit acme technician --per-order 1000 --per-month 3000
    order2cash customers part-number acme SW-24-PRO ACME-NET-0024
    order2cash customers special-item acme-at PWR-UPS-AT --price 589.00
    (and remove-role-limit, remove-part-number, remove-special-item)

The same rules as the API (catalog/customer_rules.py, price_lists.py, overview.py): a
price list is replaced whole; `role-rule` adds or changes one rule of the customer's set.
"""

import csv
import importlib
import re
from functools import partial
from pathlib import Path
from typing import NoReturn

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from cli_common import ACTOR, console, engine, fail, money

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)
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
CSV_COLUMNS = ("sku", "min_quantity", "price")


def _fail(message: str, field: str | None = None, sources: list[str] | None = None) -> NoReturn:
    label = ""
    entry = re.match(r"entries\[(\d+)\]", field or "")
    if entry and sources:  # name the CSV line or --entry at fault
        label = f"{field} ({sources[int(entry.group(1))]}): "
    elif field:
        label = f"{field} ({OPTIONS[field]}): " if field in OPTIONS else f"{field}: "
    fail(label + message)


def _run(fn, *args, sources: list[str] | None = None):
    """Calls a catalog function with an engine; its errors end the command with a clear message."""
    from customers import rule_edits as rules

    with engine() as db:
        try:
            return fn(db, *args)
        except rules.CustomerNotFound as exc:
            _fail(f"customer {exc} not found")
        except rules.RuleNotFound as exc:
            _fail(str(exc))
        except rules.InvalidRule as exc:
            _fail(str(exc), exc.field, sources)


def run_edit(fn, *args, sources: list[str] | None = None):
    """`_run` of an edit: the audit trail records it as the command line's ACTOR."""
    return _run(partial(fn, actor=ACTOR), *args, sources=sources)


def parse_input(model, data: dict, sources: list[str] | None = None):
    from customers import rule_edits as rules

    try:
        return rules.parse(model, data)
    except rules.InvalidRule as exc:
        _fail(str(exc), exc.field, sources)


def run_read(fn, *args):
    """`fn(session, *args)` in a read transaction."""
    from core.database import session_scope

    def read(db):
        with session_scope(db) as session:
            return fn(session, *args)

    return _run(read)


def add_removal(name: str, key: str, delete: str, done: str, doc: str) -> None:
    """Registers the command `name ID KEY` (`doc` its help): `delete`, a catalog function named by
    its dotted path (imported when the command runs: --help stays fast), removes the row; then the
    command prints `done` with {customer_id} and {key} filled in."""
    module, _, function = delete.rpartition(".")

    def remove(
        customer_id: str = typer.Argument(..., metavar="ID"), value: str = typer.Argument(..., metavar=key)
    ) -> None:
        run_edit(getattr(importlib.import_module(module), function), customer_id, value)
        console.print(escape(done.format(customer_id=customer_id, key=value)))

    remove.__doc__ = doc
    app.command(name)(remove)


def _table(title: str, columns: tuple[str, ...], rows: list[tuple], right: int = 0, limit: int | None = SHOWN) -> None:
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
        _table(
            "",
            ("sku", "from qty", "price"),
            [(e.sku, e.min_quantity, money(e.price, "list price")) for e in pl.entries],
            right=2,
        )


def print_role_rules(rules) -> None:
    _table(
        "Role rules",
        ("role", "scope", "target", "see", "order"),
        [
            (r.role, r.scope, r.target or "–", "yes" if r.may_see else "no", "yes" if r.may_order else "no")
            for r in rules
        ],
    )


def print_role_limits(limits) -> None:
    _table(
        "Role limits",
        ("role", "per order", "per month"),
        [(r.role, money(r.order_limit, "none"), money(r.monthly_limit, "none")) for r in limits],
        right=2,
    )


def print_part_numbers(numbers) -> None:
    _table("Part numbers", ("sku", "part number"), [(p.sku, p.part_number) for p in numbers])


def print_special_items(items) -> None:
    _table("Special items", ("sku", "name", "price"), [(s.sku, s.name, money(s.price)) for s in items], right=1)


@app.command("list")
def list_customers() -> None:
    """List every customer with its parent."""
    from customers import overview

    rows = run_read(overview.list_customers)
    _table(
        "Customers",
        ("customer", "name", "parent", "country"),
        [(c.customer_id, c.name, c.parent_id or "–", c.country) for c in rows],
        limit=None,
    )


def _tree(c) -> Tree:
    """The customer's parents down to it (in bold), and its subsidiaries under it."""

    def label(customer) -> str:
        return escape(f"{customer.customer_id} {customer.name}")

    top_down = [*reversed(c.parents), c]
    tree = node = Tree(label(top_down[0]))
    for customer in top_down[1:]:
        node = node.add(label(customer))
    node.label = f"[bold]{label(c)}[/bold]"
    children: dict[str, list] = {}
    for sub in c.subsidiaries:
        children.setdefault(sub.parent_id, []).append(sub)
    pending, seen = [(node, c.customer_id)], {c.customer_id}
    while pending:
        parent_node, parent_id = pending.pop()
        for sub in children.get(parent_id, []):
            if sub.customer_id not in seen:  # a cycle in the data must not loop forever
                seen.add(sub.customer_id)
                pending.append((parent_node.add(label(sub)), sub.customer_id))
    return tree


def _inherited(own: int, source: str | None) -> str:
    return f"{own} own" if own else f"none own, uses {source}'s" if source else "none"


@app.command("show")
def show(customer_id: str = typer.Argument(..., metavar="ID")) -> None:
    """A customer: its tree, the contract in force and its rules (its own, or whose it inherits)."""
    from customers import overview, price_lists
    from customers import rule_edits as rules

    def gather(session):  # one transaction: the counts and the rows agree
        return (
            overview.customer_detail(session, customer_id),
            *(
                read(session, customer_id)
                for read in (
                    price_lists.price_lists,
                    rules.role_rules,
                    rules.role_limits,
                    rules.part_numbers,
                    rules.special_items,
                )
            ),
        )

    c, lists, role_rules, limits, numbers, specials = run_read(gather)
    r = c.rules
    console.print(_tree(c))
    console.print(escape(f"contract in force: {c.contract_id or 'none'}"))
    console.print(
        escape(
            f"price lists: {_inherited(r.price_lists, r.price_lists_from)}; "
            f"role rules: {_inherited(r.role_rules, r.role_rules_from)}; "
            f"role limits: {_inherited(r.role_limits, r.role_limits_from)}; "
            f"part numbers: {r.part_numbers} own; special items: {r.special_items}"
        )
    )
    print_price_lists(lists)
    for rows, show_rows in (
        (role_rules, print_role_rules),
        (limits, print_role_limits),
        (numbers, print_part_numbers),
        (specials, print_special_items),
    ):
        if rows:
            show_rows(rows)


# --- price lists ----------------------------------------------------------------------------------


def _csv_entries(path: Path) -> tuple[list[dict], list[str]]:
    """The entries of a `sku;min_quantity;price` file with a header row, and where each one is."""
    with path.open(encoding="utf-8-sig", newline="") as file:  # -sig: a BOM from spreadsheet exports
        reader = csv.DictReader(file, delimiter=";")
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            _fail(f"{path}: the header row needs the columns {';'.join(CSV_COLUMNS)} (missing {', '.join(missing)})")
        rows = [(reader.line_num, row) for row in reader]
    return (
        [
            {
                "sku": (row["sku"] or "").strip(),
                "min_quantity": (row["min_quantity"] or "").strip() or 1,
                "price": (row["price"] or "").strip() or None,
            }
            for _, row in rows
        ],
        [f"{path.name} line {line}" for line, _ in rows],
    )


def _option_entries(options: list[str]) -> list[dict]:
    entries = []
    for option in options:
        parts = option.rsplit(":", 2)  # SKUs may contain a colon, quantities and prices do not
        if len(parts) != 3:
            _fail(f"--entry {option}: expected SKU:MINQTY:PRICE (empty price: the list price)")
        entries.append({"sku": parts[0], "min_quantity": parts[1] or 1, "price": parts[2] or None})
    return entries


@app.command("price-list")
def price_list(
    customer_id: str = typer.Argument(..., metavar="ID"),
    price_list_id: str = typer.Argument(..., metavar="LIST_ID"),
    name: str = typer.Option(..., help="what the list is called"),
    currency: str = typer.Option("EUR", help="ISO 4217; only a list in the contract's currency applies"),
    valid_from: str = typer.Option(..., help="YYYY-MM-DD"),
    valid_to: str = typer.Option(None, help="YYYY-MM-DD (default: open-ended)"),
    csv_file: Path = typer.Option(
        None, "--csv", exists=True, dir_okay=False, help="entries: sku;min_quantity;price with a header row"
    ),
    entry: list[str] = typer.Option([], help="an entry SKU:MINQTY:PRICE (repeatable; empty price: list price)"),
) -> None:
    """Create or replace a price list with all its entries (from --csv and/or --entry)."""
    from customers import price_lists
    from models.customer_rules import PriceListIn

    entries, sources = _csv_entries(csv_file) if csv_file else ([], [])
    entries += _option_entries(entry)
    sources += [f"--entry {e}" for e in entry]
    body = parse_input(
        PriceListIn,
        {"name": name, "currency": currency, "valid_from": valid_from, "valid_to": valid_to, "entries": entries},
        sources,
    )
    saved = run_edit(price_lists.put_price_list, customer_id, price_list_id, body, sources=sources)
    console.print(escape(f"price list {saved.price_list_id} of {customer_id} saved with {len(saved.entries)} entries"))
    print_price_lists([saved])


add_removal(
    "remove-price-list",
    "LIST_ID",
    "customers.price_lists.delete_price_list",
    "price list {key} of {customer_id} deleted",
    "Delete a price list with its entries.",
)


import customers_rules_cli  # noqa: E402, F401 - its commands (the rules set one at a time) join this app

if __name__ == "__main__":
    customers_rules_cli.app()  # run as a script, this module is __main__: the imported customers_cli has them all
