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

The same service as the API (customers/service.py): a
price list is replaced whole; `role-rule` adds or changes one rule of the customer's set.
"""

import csv
from pathlib import Path

import typer
from rich.markup import escape
from rich.tree import Tree

from cli import customer_rules
from cli.common import console
from cli.customers_common import (
    add_removal,
    fail_on,
    parse_input,
    print_part_numbers,
    print_price_lists,
    print_role_limits,
    print_role_rules,
    print_special_items,
    run,
    table,
)

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)

CSV_COLUMNS = ("sku", "min_quantity", "price")


@app.command("list")
def list_customers() -> None:
    """List every customer with its parent."""
    from customers import service as customers

    rows = run(customers.list_customers)
    table(
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
    from customers import service as customers

    c, lists, role_rules, limits, numbers, specials = run(customers.customer_with_rules, customer_id)
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
            fail_on(f"{path}: the header row needs the columns {';'.join(CSV_COLUMNS)} (missing {', '.join(missing)})")
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
            fail_on(f"--entry {option}: expected SKU:MINQTY:PRICE (empty price: the list price)")
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
    from customers import service as customers
    from models.customer_rules import PriceListIn

    entries, sources = _csv_entries(csv_file) if csv_file else ([], [])
    entries += _option_entries(entry)
    sources += [f"--entry {e}" for e in entry]
    body = parse_input(
        PriceListIn,
        {"name": name, "currency": currency, "valid_from": valid_from, "valid_to": valid_to, "entries": entries},
        sources,
    )
    saved = run(customers.put_price_list, customer_id, price_list_id, body, sources=sources)
    console.print(escape(f"price list {saved.price_list_id} of {customer_id} saved with {len(saved.entries)} entries"))
    print_price_lists([saved])


add_removal(
    app,
    "remove-price-list",
    "LIST_ID",
    "delete_price_list",
    "price list {key} of {customer_id} deleted",
    "Delete a price list with its entries.",
)


app.add_typer(customer_rules.app)  # the rules set one at a time: commands of this app, kept apart for size
