"""`order2cash finance ...`: bank statements and the payments no invoice took.

    order2cash finance import-statement statement.xml
    order2cash finance unmatched [--offset 0 --limit 50]
    order2cash finance assign DE89370400440532013000:REF-1 INV-seller-2026-000123 [--amount 10.00]
    order2cash finance dismiss DE89370400440532013000:REF-1 --note "refunded to the payer"
    order2cash finance credit-note INV-seller-2026-000123 --line 2:4 --line 1@50.00 --reason "returned"
    order2cash finance pause INV-seller-2026-000123 --reason "customer disputes the quantity"
    order2cash finance resume INV-seller-2026-000123
    order2cash finance retry-invoice O-7KQ2M3XN9P4R

The same rules as the API (cash/service.py). The command line acts as the seller's finance user
`cli:<os user>`; bookings go through the orders' workflows (TEMPORAL_ADDRESS), reached only when
an entry books something.
"""

import asyncio
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import typer
from rich.markup import escape
from rich.table import Table

from cli.common import ACTOR, console, engine, fail, money

if TYPE_CHECKING:
    from temporalio.client import Client

    from models.actors import Actor
    from models.bank_statements import UnmatchedItem
    from models.invoices import CreditLine, CreditNoteIssued, DunningPause, PaymentIn, PaymentResult
    from models.orders import OrderView
    from orders.order_workflows import OrderWorkflows

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)


def finance_actor() -> "Actor":
    from models.actors import Actor

    return Actor(id=ACTOR, roles=["finance"])


class TemporalPayments:
    """What finance's commands ask of the orders' workflows (whether one runs, book a payment,
    check a blocked invoice again, pause or resume dunning, hear of a credit note), over a Temporal
    client made on first use, with Temporal's refusals as the services' own."""

    def __init__(self) -> None:
        self._client: Client | None = None

    async def client(self) -> "Client":
        if self._client is None:
            from core.settings import get_settings
            from core.temporal_client import connect

            try:
                self._client = await connect(get_settings())
            except RuntimeError as exc:  # the SDK's "Failed client connect"
                from core.errors import Unavailable

                raise Unavailable(f"Temporal is unreachable: {exc}") from exc
        return self._client

    async def running(self, order_id: str) -> bool:
        from temporalio.client import WorkflowExecutionStatus
        from temporalio.service import RPCError, RPCStatusCode

        from core import temporal_names as names

        handle = (await self.client()).get_workflow_handle(names.order_workflow_id(order_id))
        try:
            return (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise _refusal(err, order_id) from err

    async def record_payment(
        self, order_id: str, payment: "PaymentIn", update_id: str | None = None
    ) -> "PaymentResult":
        from core import temporal_names as names
        from models.invoices import PaymentResult

        return await self._update(order_id, names.ORDER_RECORD_PAYMENT, payment, PaymentResult, update_id)

    async def retry_invoicing(self, order_id: str, actor: "Actor", update_id: str | None = None) -> "OrderView":
        from core import temporal_names as names
        from models.orders import OrderView

        return await self._update(order_id, names.ORDER_RETRY_INVOICING, actor, OrderView, update_id)

    async def pause_dunning(self, order_id: str, pause: "DunningPause", paused: bool) -> "OrderView":
        from core import temporal_names as names
        from models.orders import OrderView

        update = names.ORDER_PAUSE_DUNNING if paused else names.ORDER_RESUME_DUNNING
        return await self._update(order_id, update, pause, OrderView, None)

    async def credit_note_issued(self, order_id: str, issued: "CreditNoteIssued") -> None:
        from temporalio.service import RPCError, RPCStatusCode

        from core import temporal_names as names

        handle = (await self.client()).get_workflow_handle(names.order_workflow_id(order_id))
        try:
            await handle.signal(names.ORDER_CREDIT_NOTE_ISSUED, issued)
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:  # closed meanwhile: it needs nothing more
                raise _refusal(err, order_id) from err

    async def _update(self, order_id: str, update: str, arg: Any, result_type: type, update_id: str | None) -> Any:
        from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
        from temporalio.exceptions import ApplicationError
        from temporalio.service import RPCError

        from core import temporal_names as names
        from core.errors import Conflict, Invalid, NotFound, Unavailable

        handle = (await self.client()).get_workflow_handle(names.order_workflow_id(order_id))
        try:
            return await handle.execute_update(
                update, arg, id=update_id and f"{update}:{update_id}", result_type=result_type
            )
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError):
                kind = {names.NOT_YET: Unavailable, names.NOT_FOUND: NotFound, names.INVALID: Invalid}
                raise kind.get(cause.type or "", Conflict)(cause.message) from err
            raise Unavailable(f"order {order_id}: {cause or err}") from err
        except WorkflowUpdateRPCTimeoutOrCancelledError as err:
            raise Unavailable(f"order {order_id} did not answer in time, try again") from err
        except RPCError as err:
            raise _refusal(err, order_id) from err


def _refusal(err: Any, order_id: str) -> Exception:
    from temporalio.service import RPCStatusCode

    from core.errors import Conflict, NotFound, Unavailable

    if err.status == RPCStatusCode.NOT_FOUND:
        if any(word in err.message.lower() for word in ("completed", "closed", "closing")):
            return Conflict(f"order {order_id} is closed: {err.message}")
        return NotFound(f"order {order_id} not found")
    if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
        return Unavailable("Temporal is unavailable, try again")
    return Conflict(f"order {order_id}: {err.message}")


def _workflows() -> "OrderWorkflows":
    return cast("OrderWorkflows", TemporalPayments())


@app.command("import-statement")
def import_statement(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True)) -> None:
    """Import a camt.053 bank statement: booked credits are matched to open invoices."""
    from cash import service as cash
    from core.errors import DomainError

    if file.stat().st_size > cash.MAX_STATEMENT_BYTES:
        fail(f"{file}: a bank statement is at most {cash.MAX_STATEMENT_BYTES} bytes")
    try:
        with engine() as db:
            report = asyncio.run(cash.import_statement(_workflows(), db, finance_actor(), file.read_bytes()))
    except DomainError as exc:
        fail(f"{file}: {exc}")
    table = Table(title=f"statement {escape(report.statement_id)}, account {escape(report.account)}")
    for column in ("entry", "booked", "amount", "outcome", "invoices", "unmatched", "notes"):
        table.add_column(column, justify="right" if column in ("amount", "unmatched") else "left")
    for e in report.entries:
        table.add_row(
            escape(e.key),
            str(e.booking_date or "–"),
            f"{'' if e.credit else '-'}{money(e.amount)} {e.currency}",
            e.outcome,
            escape(", ".join(f"{b.number} {money(b.amount)}" for b in e.bookings)),
            money(e.unmatched_amount),
            escape("; ".join(e.notes)),
        )
    console.print(table)
    console.print(", ".join(f"{outcome}: {n}" for outcome, n in report.counts.items() if n))


@app.command("unmatched")
def unmatched(offset: int = typer.Option(0, min=0), limit: int = typer.Option(50, min=1, max=200)) -> None:
    """The bank entries with money no invoice took, oldest first."""
    from cash import service as cash

    with engine() as db:
        page = cash.unmatched_items(db, finance_actor(), offset, limit)
    table = Table(title=f"unmatched payments ({page.total})")
    for column in ("entry", "booked", "unmatched", "of", "debtor", "remittance", "notes"):
        table.add_column(column, justify="right" if column in ("unmatched", "of") else "left")
    for item in page.items:
        table.add_row(
            escape(item.key),
            str(item.booking_date),
            f"{money(item.unmatched_amount)} {item.currency}",
            money(item.amount),
            escape(item.debtor or ""),
            escape(item.remittance.replace("\n", " / ")),
            escape("; ".join(item.notes)),
        )
    console.print(table)


def _print_item(item: "UnmatchedItem") -> None:
    booked = ", ".join(f"{b.number} {money(b.amount)}" for b in item.bookings) or "nothing"
    console.print(
        f"{escape(item.key)}: booked {escape(booked)}; unmatched {money(item.unmatched_amount)} {item.currency}"
    )


@app.command("assign")
def assign(
    entry: str = typer.Argument(..., help="the entry's key (see `unmatched`)"),
    invoice: str = typer.Argument(..., help="the invoice's id, e.g. INV-seller-2026-000123"),
    amount: str = typer.Option(None, help="default: what is left, up to what settles the invoice"),
) -> None:
    """Book (some of) an entry's unmatched money on an invoice; what is left stays unmatched."""
    from cash import service as cash
    from core.errors import DomainError

    value = None
    if amount is not None:
        try:
            value = Decimal(amount)
        except InvalidOperation:
            fail(f"--amount: {amount} is no amount")
        if not value.is_finite() or value <= 0 or value != round(value, 2):
            fail(f"--amount: {amount} is no positive amount in cents")
    try:
        with engine() as db:
            item = asyncio.run(cash.assign(_workflows(), db, finance_actor(), entry, invoice, value))
    except DomainError as exc:
        fail(str(exc))
    _print_item(item)


@app.command("dismiss")
def dismiss(
    entry: str = typer.Argument(..., help="the entry's key (see `unmatched`)"),
    note: str = typer.Option(..., help="why, e.g. refunded to the payer"),
) -> None:
    """Close an entry's unmatched money without booking it."""
    from cash import service as cash
    from core.errors import DomainError

    try:
        with engine() as db:
            item = cash.dismiss(db, finance_actor(), entry, note)
    except DomainError as exc:
        fail(str(exc))
    _print_item(item)
    console.print(f"dismissed: {escape(note)}")


def _credit_line(text: str) -> "CreditLine":
    """LINE_NO[:PIECES][@PRICE_REDUCTION]: pieces returned or cancelled, a lower net price per piece."""
    from pydantic import ValidationError

    from models.invoices import CreditLine

    rest, _, price = text.partition("@")
    line_no, _, pieces = rest.partition(":")
    try:
        return CreditLine(
            line_no=int(line_no),
            quantity=int(pieces) if pieces else None,
            price_reduction=Decimal(price) if price else None,
        )
    except (ValueError, InvalidOperation, ValidationError) as exc:
        fail(f"--line {text}: give LINE_NO[:PIECES][@PRICE_REDUCTION] ({str(exc).splitlines()[0]})")


@app.command("credit-note")
def credit_note(
    invoice: str = typer.Argument(..., help="the invoice's id, e.g. INV-seller-2026-000123"),
    line: list[str] = typer.Option(..., help="LINE_NO[:PIECES][@PRICE_REDUCTION], repeatable"),
    reason: str = typer.Option(..., help="why, e.g. 4 cables returned"),
    key: str = typer.Option(None, help="the same key again answers the same credit note"),
) -> None:
    """Issue a credit note (381) on an invoice: returned or cancelled pieces, price corrections."""
    from core.errors import DomainError
    from core.settings import get_settings
    from invoicing import service as invoicing
    from models.invoices import CreditNoteBody

    try:
        body = CreditNoteBody(lines=[_credit_line(text) for text in line], reason=reason)
    except ValueError as exc:
        fail(str(exc).splitlines()[0])
    seller = invoicing.seller(get_settings())
    try:
        with engine() as db:
            note = asyncio.run(
                invoicing.issue_credit_note(_workflows(), db, seller, finance_actor(), invoice, body, key)
            )
    except DomainError as exc:
        fail(str(exc))
    console.print(
        f"credit note {escape(note.number)} ({escape(note.invoice_id)}) on {escape(invoice)}: "
        f"{money(note.gross_total)} {note.currency} gross"
    )


def _dunning(invoice: str, reason: str, paused: bool) -> None:
    from pydantic import ValidationError

    from core.errors import DomainError
    from invoicing import service as invoicing
    from models.invoices import PauseBody

    try:
        body = PauseBody(reason=reason)
    except ValidationError as exc:
        fail(f"--reason: {exc.errors()[0]['msg']}")
    try:
        with engine() as db:
            view = asyncio.run(invoicing.pause_dunning(_workflows(), db, finance_actor(), invoice, body.reason, paused))
    except DomainError as exc:
        fail(str(exc))
    console.print(f"order {escape(view.order_id)}: {view.status.value}, dunning {'paused' if paused else 'resumed'}")


@app.command("pause")
def pause(invoice: str = typer.Argument(...), reason: str = typer.Option(..., help="e.g. the dispute")) -> None:
    """Pause an invoice's dunning (a dispute)."""
    _dunning(invoice, reason, paused=True)


@app.command("resume")
def resume(invoice: str = typer.Argument(...), reason: str = typer.Option("", help="e.g. dispute settled")) -> None:
    """Resume an invoice's dunning; its levels move by the time it was paused."""
    _dunning(invoice, reason, paused=False)


@app.command("retry-invoice")
def retry_invoice(order: str = typer.Argument(..., help="the order whose invoice is blocked")) -> None:
    """Check a blocked invoice again once its data is fixed."""
    from core.errors import DomainError
    from invoicing import service as invoicing

    try:
        view = asyncio.run(invoicing.retry_invoicing(_workflows(), finance_actor(), order))
    except DomainError as exc:
        fail(str(exc))
    # the order checks it in its own time: `order2cash reports blocked` tells whether it still is
    console.print(f"order {escape(view.order_id)}: {view.status.value}, the invoice is checked again")
