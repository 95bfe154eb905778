"""`order2cash reports ...`: finance's views of the receivables, as the API answers them.

    order2cash reports open-items [--customer acme] [--as-of 2026-06-30]
    order2cash reports dso [--days 90] [--as-of 2026-06-30]
    order2cash reports invoices [--customer acme] [--status overdue] [--type 381] [--from D] [--to D]
    order2cash reports blocked

The command line acts as the seller's finance (no login: whoever reaches the database reads).
"""

from datetime import datetime
from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from cli.common import ACTOR, console, engine, fail, money

if TYPE_CHECKING:
    from models.actors import Actor

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)

DAY = typer.Option(None, "--as-of", formats=["%Y-%m-%d"], help="the day of the figures (default: today, UTC)")


def _finance() -> "Actor":
    from models.actors import Actor

    return Actor(id=ACTOR, roles=["finance"])


@app.command("open-items")
def open_items(
    customer: str = typer.Option(None, help="one customer only"),
    as_of: datetime = DAY,
) -> None:
    """Open invoices per customer and currency, aged by days since the invoice date."""
    from invoicing import service as invoicing

    with engine() as db:
        result = invoicing.open_items(db, _finance(), customer, as_of.date() if as_of else None)
    if not result.customers:
        console.print(f"no open items on {result.as_of}")
        return
    table = Table(title=f"Open items on {result.as_of}")
    table.add_column("customer")
    table.add_column("currency")
    for column in ("0-30 days", "31-60", "61-90", "> 90", "open", "overdue", "invoices"):
        table.add_column(column, justify="right")
    groups = [
        (g.customer_id, g.currency, g.buckets, g.open_total, g.overdue, str(len(g.items))) for g in result.customers
    ]
    totals = [("total", t.currency, t.buckets, t.open_total, t.overdue, "") for t in result.totals]
    for name, currency, b, open_total, overdue, count in groups + totals:
        table.add_row(
            name,
            currency,
            money(b.days_0_30),
            money(b.days_31_60),
            money(b.days_61_90),
            money(b.over_90),
            money(open_total),
            money(overdue),
            count,
        )
    console.print(table)


@app.command("dso")
def dso(
    days: int = typer.Option(90, min=1, max=3660, help="the period in days, ending on --as-of"),
    as_of: datetime = DAY,
) -> None:
    """Days sales outstanding per currency: open receivables / invoiced in the period x days."""
    from invoicing import service as invoicing

    with engine() as db:
        result = invoicing.days_sales_outstanding(db, _finance(), days, as_of.date() if as_of else None)
    table = Table(title=f"DSO over {result.days} days, {result.period_from} – {result.as_of}")
    table.add_column("currency")
    for column in ("open receivables", "invoiced", "DSO (days)"):
        table.add_column(column, justify="right")
    for f in result.figures:
        table.add_row(
            f.currency, money(f.open_receivables), money(f.invoiced), "–" if f.dso is None else f"{f.dso:.1f}"
        )
    console.print(table if result.figures else "nothing invoiced and nothing open")


@app.command("invoices")
def invoices(
    customer: str = typer.Option(None, help="one customer only"),
    status: str = typer.Option(None, help="open | paid | overdue | collections | credited | blocked"),
    document_type: str = typer.Option(None, "--type", help="380 invoice | 381 credit note"),
    issued_from: datetime = typer.Option(None, "--from", formats=["%Y-%m-%d"], help="issued on or after"),
    issued_to: datetime = typer.Option(None, "--to", formats=["%Y-%m-%d"], help="issued on or before"),
    limit: int = typer.Option(100, min=1, max=500, help="at most this many, newest first"),
) -> None:
    """Invoices and credit notes, newest first (status blocked: the documents validation refused)."""
    from core.errors import DomainError
    from invoicing import service as invoicing
    from models.receivables import InvoiceQuery

    try:
        query = InvoiceQuery(
            customer_id=customer,
            status=status,
            document_type=document_type,
            issued_from=issued_from.date() if issued_from else None,
            issued_to=issued_to.date() if issued_to else None,
            limit=limit,
        )
    except ValidationError as exc:
        fail(*(f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}" for e in exc.errors()))
    with engine() as db:
        try:
            rows, more = invoicing.list_invoices(db, _finance(), query)
        except DomainError as exc:
            fail(str(exc))
    if not rows:
        console.print("no invoices")
        return
    table = Table(title="Invoices")
    for column in ("number", "type", "status", "customer", "order", "issued", "due", "currency"):
        table.add_column(column)
    for column in ("gross", "open"):
        table.add_column(column, justify="right")
    for i in rows:
        table.add_row(
            i.number or f"({i.findings_count} findings)",
            "credit note" if i.document_type == "381" else "invoice",
            i.status + (f" (dunning {i.dunning_level})" if i.dunning_level else ""),
            i.customer_id,
            i.order_id,
            str(i.issue_date or (i.blocked_at.date() if i.blocked_at else "")),
            str(i.due_date or ""),
            i.currency,
            money(i.gross_total),
            money(i.open_amount),
        )
    console.print(table)
    if more:
        console.print(f"more than {limit}: narrow the filters or raise --limit")


@app.command("blocked")
def blocked(customer: str = typer.Option(None, help="one customer only")) -> None:
    """Documents validation refused, with the failed rules."""
    from invoicing import service as invoicing

    with engine() as db:
        rows = invoicing.blocked_invoices(db, _finance(), customer)
    if not rows:
        console.print("no blocked invoices")
        return
    table = Table(title="Blocked by validation")
    for column in ("order", "customer", "type", "gross", "blocked", "findings"):
        table.add_column(column, justify="right" if column == "gross" else "left")
    for b in rows:
        findings = "\n".join(escape(f"{f.rule_id}: {f.text}") for f in b.findings)  # rule texts hold [brackets]
        table.add_row(
            b.order_id,
            b.customer_id,
            b.document_type,
            f"{money(b.gross_total)} {b.currency}",
            b.blocked_at.strftime("%Y-%m-%d %H:%M"),
            findings,
        )
    console.print(table)
