"""`order2cash catalog quality-rules | sub-assortment | changes`: what a customer requires of its
items, which items it sees, and who changed its commercial terms when; commands of the catalog app
(cli/catalog.py), kept here for size.

    order2cash catalog quality-rules globex [--json]
    order2cash catalog quality-rules globex --file rules.json     # [{"rule": "image"}, ...]; - reads stdin
    order2cash catalog sub-assortment globex [--json]
    order2cash catalog sub-assortment globex --name "network" --categories network,cables \\
        --skus PWR-UPS-AT --rule "list_price lte 2000" --rule "manufacturer in NetGear,CableWorks"
    order2cash catalog sub-assortment globex --file view.json | --clear

Both replace what the customer had (like the API's PUT) and re-check its view of the published
version against its quality rules. The JSON is the API's (models/catalog_versions.py).

    order2cash catalog changes [--customer acme] [--contract ACME-FC-2026] [--kind price_list] [--limit 20]

The audit trail (customers/audit.py), newest first: contract terms and items, price lists, role
rules and limits, part numbers, special items, quality rules and sub-assortments.
"""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, get_args

import typer
from pydantic import TypeAdapter, ValidationError
from rich.markup import escape
from rich.table import Table

from cli.common import cli_actor, console, engine, fail
from models.catalog_changes import Kind as ChangeKind
from models.catalog_versions import CustomerPublication, FilterRule, QualityRuleIn, SubAssortmentIn

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer()  # merged into the catalog app (cli/catalog.py)


def _validation_errors(exc: ValidationError, prefix: str) -> list[str]:
    """One line per error, naming the field as the JSON spells it (rules.0.op; the file: bad JSON)."""
    return [
        (".".join([prefix, *(str(part) for part in e["loc"])]).strip(".") or "file") + f": {e['msg']}"
        for e in exc.errors()
    ]


def _read(file: Path) -> str:
    if str(file) == "-":
        return sys.stdin.read()
    try:
        return file.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"file: {exc}")


@contextmanager
def _known(customer: str) -> Iterator["Engine"]:
    """The database, once the customer is known to exist."""
    from customers import service as customers

    with engine() as db:
        if not customers.exists(db, customer):
            fail(f"customer: unknown customer {customer}")
        yield db


def _replace(customer: str, replace, value, refused: type[Exception]) -> CustomerPublication | None:
    """`replace(engine, actor, customer, value)` (quality rules, a sub-assortment) by the command
    line: the customer's view of the published version re-checked, or None; its `refused` error
    ends the command."""
    try:
        with _known(customer) as db:
            return replace(db, cli_actor(), customer, value)
    except refused as exc:
        fail(f"rules: {exc}")


def _rechecked(customer: str, result: CustomerPublication | None) -> None:
    if result is not None:
        console.print(
            f"{customer}'s view of version {result.version_id} re-checked: "
            f"{result.hidden_count} items withheld by its quality rules"
        )


@app.command("quality-rules")
def quality_rules(
    customer: str = typer.Argument(...),
    file: Path = typer.Option(
        None,
        "--file",
        "-f",
        dir_okay=False,
        help='replace the rules with a JSON list, e.g. [{"rule": "min_description_length", '
        '"params": {"length": 50}}]; - reads stdin',
    ),
    clear: bool = typer.Option(False, help="remove all the customer's rules"),
    as_json: bool = typer.Option(False, "--json", help="print the rules as JSON (what --file takes)"),
) -> None:
    """Show a customer's quality rules, or replace them.

    Replacing re-checks the customer's view of the published version: items that break a rule are
    withheld from it."""
    from catalog import service as catalog

    if file is not None and clear:
        fail("give --file or --clear, not both")
    if file is None and not clear:
        with _known(customer) as db:
            current = catalog.quality_rules(db, cli_actor(), customer)
            status = catalog.quality_status(db, cli_actor(), customer)
        if as_json:
            typer.echo(json.dumps([r.model_dump(mode="json") for r in current], indent=2))
        elif not current:
            console.print(f"{customer} has no quality rules")
        else:
            known = ", ".join(catalog.KNOWN_QUALITY_RULES)
            table = Table(title=f"Quality rules of {customer}", caption=f"known rules: {known}")
            table.add_column("rule")
            table.add_column("params")
            for r in current:
                table.add_row(r.rule, json.dumps(r.params) if r.params else "")
            console.print(table)
            if status is not None:
                version, hidden = status
                console.print(f"{hidden} items of version {version} withheld")
        return
    rules: list[QualityRuleIn] = []
    if file is not None:
        try:
            rules = TypeAdapter(list[QualityRuleIn]).validate_json(_read(file))
        except ValidationError as exc:
            fail(*_validation_errors(exc, "rules"))
    result = _replace(customer, catalog.set_quality_rules, rules, catalog.InvalidRule)
    console.print(f"{customer}: " + (", ".join(r.rule for r in rules) if rules else "no quality rules"))
    _rechecked(customer, result)


def _parse_rule(text: str) -> dict:
    """A --rule 'field op [value]': the value is JSON when it parses (numbers, true, lists), else
    text; `in` and `not_in` also take a comma-separated list."""
    parts = text.split(None, 2)
    if len(parts) < 2:
        ops = ", ".join(get_args(FilterRule.model_fields["op"].annotation))
        fail(f"rules: {text!r} is not 'field op [value]' (ops: {ops})")
    field, op, raw = parts[0], parts[1], parts[2] if len(parts) > 2 else None
    value: Any = raw
    if raw is not None:
        with suppress(ValueError):
            value = json.loads(raw)
        if op in ("in", "not_in") and not isinstance(value, list):
            value = [v.strip() for v in raw.split(",") if v.strip()]
    return {"field": field, "op": op, "value": value}


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _print_definition(customer: str, body: SubAssortmentIn) -> None:
    console.print(f"[bold]{escape(customer)}[/bold]: sub-assortment {escape(body.name or '(no name)')}")
    console.print("  categories: " + (", ".join(body.categories) or "–"))
    console.print(
        "  SKUs: "
        + (", ".join(body.skus) or "–")
        + ("  (neither: every item)" if not body.categories and not body.skus else "")
    )
    for rule in body.rules:
        value = "" if rule.value is None else f" {json.dumps(rule.value)}"
        console.print(f"  rule: {escape(rule.field + ' ' + rule.op + value)}")


@app.command("sub-assortment")
def sub_assortment(
    customer: str = typer.Argument(...),
    name: str = typer.Option(None, help="what the sub-assortment is called"),
    categories: list[str] = typer.Option(
        None, "--categories", "--category", help="categories it includes (repeat or comma-separate)"
    ),
    skus: list[str] = typer.Option(None, "--skus", "--sku", help="SKUs it includes (repeat or comma-separate)"),
    rules: list[str] = typer.Option(
        None,
        "--rule",
        help="filter rule every item must match: 'field op [value]', e.g. 'list_price lte 100', 'image_url present'",
    ),
    file: Path = typer.Option(
        None, "--file", "-f", dir_okay=False, help="the definition as the API's JSON; - reads stdin"
    ),
    clear: bool = typer.Option(False, help="remove it: the customer's view is its contract assortment again"),
    as_json: bool = typer.Option(False, "--json", help="print the definition as JSON (what --file takes)"),
) -> None:
    """Show a customer's own sub-assortment, replace it, or remove it.

    The options given make the new definition (like the API's PUT): categories, SKUs and filter
    rules; with neither categories nor SKUs it includes every item that matches the rules."""
    from catalog import service as catalog

    options_given = name is not None or bool(categories) or bool(skus) or bool(rules)
    if sum((options_given, file is not None, clear)) > 1:
        fail("give the definition as options, as --file, or --clear: only one of them")
    if not (options_given or file is not None or clear):
        with _known(customer) as db:
            own = catalog.sub_assortment(db, cli_actor(), customer)
            inherited = None if own is not None else catalog.sub_assortment_owner(db, cli_actor(), customer)
        if as_json:
            typer.echo("null" if own is None else own.model_dump_json(indent=2))
        elif own is not None:
            _print_definition(customer, own)
        elif inherited is not None:
            console.print(f"{customer} has no sub-assortment of its own; it sees {inherited}'s")
        else:
            console.print(f"{customer} has no sub-assortment: its view is its contract assortment")
        return
    body = None
    if not clear:
        try:
            body = (
                SubAssortmentIn.model_validate_json(_read(file))
                if file is not None
                else SubAssortmentIn(
                    name=name or "",
                    categories=_split(categories),
                    skus=_split(skus),
                    rules=[_parse_rule(rule) for rule in rules or []],
                )
            )
        except ValidationError as exc:
            fail(*_validation_errors(exc, ""))
    result = _replace(customer, catalog.replace_sub_assortment, body, catalog.InvalidDefinition)
    if body is None:
        console.print(f"{customer}'s sub-assortment removed")
    else:
        _print_definition(customer, body)
    _rechecked(customer, result)


@app.command("changes")
def changes(
    customer: str = typer.Option(None, help="only this customer's (its contracts' too)"),
    contract: str = typer.Option(None, help="only this contract's"),
    kind: str = typer.Option(
        None,
        help="only this kind: contract.terms, contract.item, price_list, role_rules, "
        "role_rule, role_limit, part_number, special_item, quality_rules, "
        "sub_assortment",
    ),
    limit: int = typer.Option(20, min=1, max=500, help="how many, newest first"),
    before_id: int = typer.Option(None, min=1, help="only those older than this id (the next page)"),
) -> None:
    """Who changed a customer's commercial terms, when, and what: the audit trail, newest first."""
    from customers import service as customers

    if kind is not None and kind not in customers.CHANGE_KINDS:
        fail(f"kind: {kind!r} is none of {', '.join(customers.CHANGE_KINDS)}")
    known_kind = cast("ChangeKind | None", kind)
    with engine() as db:
        page = customers.changes(
            db,
            cli_actor(),
            customer_id=customer,
            contract_id=contract,
            kind=known_kind,
            limit=limit,
            before_id=before_id,
        )
    if not page.changes:
        console.print("no changes recorded")
        return
    table = Table(title="Changes of commercial terms, newest first (UTC)")
    for column in ("id", "at", "actor", "customer", "contract", "kind", "subject", "change"):
        table.add_column(column, justify="right" if column == "id" else "left")
    for c in page.changes:
        table.add_row(
            str(c.id),
            c.at.strftime("%Y-%m-%d %H:%M:%S"),
            escape(c.actor),
            escape(c.customer_id or "–"),
            escape(c.contract_id or "–"),
            c.kind,
            escape(c.subject or "–"),
            escape(customers.change_summary(c.before, c.after)),
        )
    console.print(table)
    if page.next_before_id is not None:
        console.print(f"older ones: --before-id {page.next_before_id}")
