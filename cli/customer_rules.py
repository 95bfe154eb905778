"""`order2cash customers role-rule | role-limit | part-number | special-item` (and their
remove-... commands): the customer's rules that are set one at a time; commands of the customers
app (cli/customers.py, which also has `list`, `show` and the price lists, replaced whole), kept
here for size. The same service as the API (customers/service.py).
"""

import typer
from rich.markup import escape

from cli.common import console, money
from cli.customers_common import add_removal, parse_input, print_role_limits, print_role_rules, run

app = typer.Typer()  # merged into the customers app (cli/customers.py)


# --- role rules and limits ------------------------------------------------------------------------


def _warn_if_inheriting(customer_id: str) -> None:
    """A customer's first own rule replaces the whole rule set it inherited: say so."""
    from customers import service as customers

    detail = run(customers.customer_detail, customer_id)
    source = detail.rules.role_rules_from
    if not detail.rules.role_rules and source is not None:
        console.print(
            escape(
                f"note: {customer_id} had no role rules of its own; from now on its own rules "
                f"apply instead of {source}'s"
            ),
            style="yellow",
        )


@app.command("role-rule")
def role_rule(
    customer_id: str = typer.Argument(..., metavar="ID"),
    role: str = typer.Argument(..., metavar="ROLE"),
    scope: str = typer.Option("all", help="all | category | sku"),
    target: str = typer.Option("", help="the category or SKU (nothing for all)"),
    see: bool = typer.Option(True, "--see/--no-see", help="users with the role may see the items"),
    order: bool = typer.Option(
        None,
        "--order/--no-order",
        show_default=False,
        help="... and order them (default: as --see; ordering needs seeing)",
    ),
) -> None:
    """Add a role rule, or change the one for this role, scope and target."""
    from customers import service as customers
    from models.customer_rules import RoleRule

    rule = parse_input(
        RoleRule,
        {"role": role, "scope": scope, "target": target, "may_see": see, "may_order": see if order is None else order},
    )
    _warn_if_inheriting(customer_id)
    run(customers.put_role_rule, customer_id, rule)
    print_role_rules(run(customers.role_rules, customer_id))


@app.command("remove-role-rule")
def remove_role_rule(
    customer_id: str = typer.Argument(..., metavar="ID"),
    role: str = typer.Argument(..., metavar="ROLE"),
    scope: str = typer.Option("all", help="all | category | sku"),
    target: str = typer.Option("", help="the category or SKU (nothing for all)"),
) -> None:
    """Remove one role rule (without rules of its own the customer uses its parent's)."""
    from customers import service as customers

    run(customers.delete_role_rule, customer_id, role, scope, target)
    left = run(customers.role_rules, customer_id)
    if left:
        print_role_rules(left)
    else:
        console.print(escape(f"{customer_id} has no role rules of its own now"))


@app.command("role-limit")
def role_limit(
    customer_id: str = typer.Argument(..., metavar="ID"),
    role: str = typer.Argument(..., metavar="ROLE"),
    per_order: str = typer.Option(None, help="net per order (default: no limit)"),
    per_month: str = typer.Option(None, help="net per calendar month (default: no limit)"),
) -> None:
    """Set a role's order limits at the customer (in the contract's currency)."""
    from customers import service as customers
    from models.customer_rules import RoleLimitIn

    limits = parse_input(RoleLimitIn, {"order_limit": per_order, "monthly_limit": per_month})
    run(customers.put_role_limit, customer_id, role, limits)
    print_role_limits(run(customers.role_limits, customer_id))


add_removal(
    app,
    "remove-role-limit",
    "ROLE",
    "delete_role_limit",
    "limits of the role {key} at {customer_id} removed",
    "Remove a role's limits at the customer.",
)


# --- part numbers and the special assortment -------------------------------------------------------


@app.command("part-number")
def part_number(
    customer_id: str = typer.Argument(..., metavar="ID"),
    sku: str = typer.Argument(...),
    number: str = typer.Argument(..., metavar="NUMBER"),
) -> None:
    """Set the customer's own number for an item."""
    from customers import service as customers
    from models.customer_rules import PartNumberIn

    saved = run(customers.put_part_number, customer_id, sku, parse_input(PartNumberIn, {"part_number": number}))
    console.print(escape(f"{customer_id}'s part number for {saved.sku} is {saved.part_number}"))


add_removal(
    app,
    "remove-part-number",
    "sku",
    "delete_part_number",
    "{customer_id}'s part number for {key} removed",
    "Remove the customer's number for an item (its parent's applies again, if any).",
)


@app.command("special-item")
def special_item(
    customer_id: str = typer.Argument(..., metavar="ID"),
    sku: str = typer.Argument(...),
    price: str = typer.Option(..., help="the customer's net unit price (wins over the contract)"),
) -> None:
    """Add an item to the customer's special assortment, or change its price."""
    from customers import service as customers
    from models.customer_rules import SpecialItemIn

    saved = run(customers.put_special_item, customer_id, sku, parse_input(SpecialItemIn, {"price": price}))
    console.print(escape(f"{saved.sku} ({saved.name}) costs {customer_id} {money(saved.price)}"))


add_removal(
    app,
    "remove-special-item",
    "sku",
    "delete_special_item",
    "{key} removed from {customer_id}'s special assortment",
    "Remove an item from the customer's special assortment.",
)
