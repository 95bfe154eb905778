"""The cash service: bank statements in, payments booked through the orders' workflows, and the
items no invoice took left for finance to assign or dismiss. Only the seller's finance users.

Importing is idempotent per entry (its key, cash/camt053.py `entry_key`): an entry's row is
written with the bookings it will make (`pending`) before any is made, each booking goes to the
order's workflow under a payment reference derived from the key, and only then is it moved to
`bookings`. A crash in between is finished by the next import of the file, or the next
assignment of the entry, under the same reference, which the workflow books once.
"""

import hashlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from anyio import to_thread
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from cash import camt053, matching
from cash.tables import BankEntry
from core.database import session_scope
from core.errors import Conflict, DomainError, Invalid, NotFound, Unavailable
from invoicing import service as invoicing
from invoicing.tables import InvoiceRecord, PaymentRow
from models.actors import Actor, require_seller
from models.bank_statements import EntryBooking, EntryReport, Outcome, StatementReport, UnmatchedItem, UnmatchedPage
from models.invoices import PaymentBody
from orders.order_workflows import OrderWorkflows

log = logging.getLogger(__name__)

MAX_STATEMENT_BYTES = 10 * 1024**2
MAX_PAGE = 200
ZERO = Decimal("0.00")


def _require_finance(actor: Actor) -> None:
    require_seller(actor, "finance", "only the seller's finance users apply cash")


# --- importing a statement ----------------------------------------------------------------------


async def import_statement(workflows: OrderWorkflows, engine: Engine, actor: Actor, data: bytes) -> StatementReport:
    """Matches each booked credit entry to the invoices its remittance names and books what each
    takes; answers per entry what became of it. The same entry again books nothing ("duplicate")."""
    _require_finance(actor)
    if len(data) > MAX_STATEMENT_BYTES:
        raise Invalid(f"a bank statement is at most {MAX_STATEMENT_BYTES} bytes", field="file")
    try:
        statements = camt053.parse(data)
        days = {
            (s.statement_id, e.position): camt053.booking_day(s, e) for s in statements for e in s.entries if e.booked
        }
    except camt053.StatementRefused as exc:
        raise Invalid(str(exc), field="file") from exc
    reports = []
    for statement in statements:
        for entry in statement.entries:
            day = days.get((statement.statement_id, entry.position))
            reports.append(await _apply(workflows, engine, actor, statement, entry, day))
    counts: dict[Outcome, int] = dict.fromkeys(matching.OUTCOMES, 0)
    for report in reports:
        counts[report.outcome] += 1
    first = statements[0]
    return StatementReport(
        message_id=first.message_id,
        statement_id=first.statement_id,
        account=first.account,
        counts=counts,
        entries=reports,
    )


async def _apply(
    workflows: OrderWorkflows,
    engine: Engine,
    actor: Actor,
    statement: camt053.Statement,
    entry: camt053.Entry,
    day,
) -> EntryReport:
    key = camt053.entry_key(statement, entry)
    if day is None:  # pending or information only: it may come again booked, under the same key
        return _report(key, statement, entry, entry.booking_date, matching.SKIPPED, notes=["not booked (pending)"])
    row, created = await to_thread.run_sync(_claim_entry, engine, actor, statement, entry, key, day)
    if not created and not row.pending:
        note = f"imported {row.imported_at:%Y-%m-%d %H:%M} UTC by {row.imported_by}: {row.outcome}"
        return _report(key, statement, entry, day, matching.DUPLICATE, notes=[note])
    if row.pending:
        row, _ = await _book_pending(workflows, engine, actor, key)
    return _report(
        key,
        statement,
        entry,
        day,
        cast(Outcome, row.outcome),
        bookings=row.bookings,
        unmatched=row.unmatched_amount,
        notes=row.notes,
    )


def _report(
    key: str,
    statement: camt053.Statement,
    entry: camt053.Entry,
    day,
    outcome: Outcome,
    *,
    bookings: Sequence[dict[str, Any]] = (),
    unmatched: Decimal = ZERO,
    notes: Sequence[str] = (),
) -> EntryReport:
    return EntryReport(
        key=key,
        statement_id=statement.statement_id,
        account=statement.account,
        amount=entry.amount,
        currency=entry.currency,
        credit=entry.credit,
        booking_date=day,
        remittance="\n".join(entry.remittance),
        debtor=entry.debtor,
        outcome=outcome,
        bookings=[_booking(b) for b in bookings],
        unmatched_amount=unmatched,
        notes=list(notes),
    )


def _claim_entry(
    engine: Engine, actor: Actor, statement: camt053.Statement, entry: camt053.Entry, key: str, day
) -> tuple[BankEntry, bool]:
    """The entry's row, and whether this call wrote it (with the bookings it is to make). A
    concurrent import of the same entry on PostgreSQL loses the insert and reads the winner's."""
    for attempt in (1, 2):
        try:
            with session_scope(engine, write_lock=True) as session:
                existing = session.get(BankEntry, key)
                if existing is not None:
                    return existing, False
                row = _new_entry(session, actor, statement, entry, key, day)
                session.add(row)
                session.flush()
                return row, True
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _new_entry(
    session: Session, actor: Actor, statement: camt053.Statement, entry: camt053.Entry, key: str, day
) -> BankEntry:
    if not entry.credit or entry.reversal:
        allocation = matching.Allocation((), ZERO, matching.SKIPPED, ("a reversal" if entry.reversal else "a debit",))
    else:
        numbers = matching.invoice_numbers(entry.remittance)
        allocation = matching.allocate(entry.amount, entry.currency, day, entry.remittance, _invoices(session, numbers))
    return BankEntry(
        key=key,
        account=statement.account[:64],
        statement_id=statement.statement_id[:64],
        message_id=statement.message_id[:64] if statement.message_id else None,
        position=entry.position,
        booking_date=day,
        value_date=entry.value_date,
        amount=entry.amount,
        currency=entry.currency[:3],
        credit=entry.credit,
        remittance="\n".join(entry.remittance),
        debtor=entry.debtor[:200] if entry.debtor else None,
        end_to_end_id=entry.end_to_end_id[:64] if entry.end_to_end_id else None,
        outcome=allocation.outcome,
        pending=[_planned(b.invoice_id, b.number, b.amount, f"bank:{key}:{b.number}") for b in allocation.bookings],
        unmatched_amount=allocation.unmatched,
        notes=list(allocation.notes),
        open_item=allocation.unmatched > ZERO,
        imported_at=datetime.now(UTC),
        imported_by=actor.id,
    )


def _planned(invoice_id: str, number: str, amount: Decimal, reference: str) -> dict[str, Any]:
    return {"invoice_id": invoice_id, "number": number, "amount": f"{amount:.2f}", "reference": reference}


def _invoices(session: Session, numbers: list[str]) -> dict[str, list[matching.InvoiceState]]:
    """The invoices (and credit notes) with these numbers, of any seller, with what was paid."""
    if not numbers:
        return {}
    records = session.execute(select(InvoiceRecord).where(col(InvoiceRecord.number).in_(numbers))).scalars().all()
    paid: dict[str, Decimal] = {}
    if records:
        rows = session.execute(
            select(col(PaymentRow.invoice_id), col(PaymentRow.amount)).where(
                col(PaymentRow.invoice_id).in_([r.id for r in records])
            )
        )
        for invoice_id, amount in rows:
            paid[invoice_id] = paid.get(invoice_id, ZERO) + amount
    found: dict[str, list[matching.InvoiceState]] = {}
    for r in records:
        found.setdefault(r.number, []).append(_state(r, paid.get(r.id, ZERO)))
    return found


def _state(record: InvoiceRecord, paid: Decimal) -> matching.InvoiceState:
    return matching.InvoiceState(
        invoice_id=record.id,
        number=record.number,
        currency=record.currency,
        document_type=record.document_type,
        gross=record.gross_total,
        credited=record.credited_total,
        # the payment rows are the truth; the invoice's total is kept with them (payments only add up)
        paid=max(record.paid_total, paid),
        discount_percent=record.discount_percent,
        discount_until=record.discount_until,
    )


# --- booking through the orders' workflows ------------------------------------------------------


def _is_refusal(exc: Exception) -> bool:
    """The order (or the invoicing service) refused the booking: the money stays unmatched. The
    API's gateway refuses with problems that carry an HTTP status (api/problems.py), which the
    domain does not import; Temporal out of reach (Unavailable) is no refusal: try again."""
    if isinstance(exc, Unavailable):
        return False
    status = getattr(exc, "status", None)
    return isinstance(exc, DomainError) or (isinstance(status, int) and 400 <= status < 500)


async def _book_pending(
    workflows: OrderWorkflows, engine: Engine, actor: Actor, key: str
) -> tuple[BankEntry, Exception | None]:
    """Books the entry's pending bookings, each through its order's workflow; a refused one goes
    back to the unmatched amount with the reason. Answers the row and the first refusal."""
    row = await to_thread.run_sync(_entry, engine, key)
    refused: Exception | None = None
    for planned in list(row.pending):
        # the booking day, so a payment made within the cash discount window is judged by it
        body = PaymentBody(
            amount=Decimal(planned["amount"]), reference=planned["reference"], value_date=row.booking_date
        )
        failure: str | None = None
        try:
            await invoicing.record_payment(workflows, engine, actor, planned["invoice_id"], body, planned["reference"])
        except Exception as exc:
            if not _is_refusal(exc):
                raise  # the row keeps the booking pending: the next attempt finishes it
            failure = str(exc) or type(exc).__name__
            refused = refused or exc
            log.info("bank entry %s: %s not booked on %s: %s", key, planned["amount"], planned["number"], failure)
        row = await to_thread.run_sync(_settle, engine, key, planned["reference"], failure, actor.id)
    return row, refused


def _entry(engine: Engine, key: str) -> BankEntry:
    with session_scope(engine) as session:
        row = session.get(BankEntry, key)
        if row is None:
            raise NotFound(f"bank entry {key} not found", field="entry_key")
        return row


def _locked(session: Session, key: str) -> BankEntry:
    row = session.get(BankEntry, key, with_for_update=True)  # PostgreSQL; SQLite: the write lock
    if row is None:
        raise NotFound(f"bank entry {key} not found", field="entry_key")
    return row


def _settle(engine: Engine, key: str, reference: str, failure: str | None, actor_id: str) -> BankEntry:
    """Moves a pending booking to the booked ones, or (refused) back to the unmatched amount."""
    with session_scope(engine, write_lock=True) as session:
        row = _locked(session, key)
        planned = next((p for p in row.pending if p["reference"] == reference), None)
        if planned is None:  # a concurrent attempt settled it
            return row
        row.pending = [p for p in row.pending if p["reference"] != reference]
        if failure is None:
            booked = {**planned, "booked_by": actor_id, "booked_at": datetime.now(UTC).isoformat()}
            row.bookings = [*row.bookings, booked]
        else:
            row.unmatched_amount += Decimal(planned["amount"])
            row.notes = [*row.notes, f"invoice {planned['number']}: {planned['amount']} not booked: {failure}"]
            if not row.bookings and not row.pending and row.outcome != matching.SKIPPED:
                row.outcome = matching.UNMATCHED
        row.open_item = row.unmatched_amount > ZERO and row.dismissed_at is None
        session.add(row)
        return row


# --- the items left for finance -----------------------------------------------------------------


def unmatched_items(engine: Engine, actor: Actor, offset: int = 0, limit: int = 50) -> UnmatchedPage:
    """Entries with money no invoice took, oldest first."""
    _require_finance(actor)
    limit = max(1, min(limit, MAX_PAGE))
    with session_scope(engine) as session:
        total = session.execute(
            select(func.count()).select_from(BankEntry).where(col(BankEntry.open_item))
        ).scalar_one()
        rows = (
            session.execute(
                select(BankEntry)
                .where(col(BankEntry.open_item))
                .order_by(col(BankEntry.booking_date), col(BankEntry.key))
                .offset(offset)
                .limit(limit)
            )
            .scalars()
            .all()
        )
        return UnmatchedPage(items=[_item(r) for r in rows], total=total, offset=offset, limit=limit)


def unmatched_item(engine: Engine, actor: Actor, key: str) -> UnmatchedItem:
    _require_finance(actor)
    return _item(_entry(engine, key))


async def assign(
    workflows: OrderWorkflows,
    engine: Engine,
    actor: Actor,
    key: str,
    invoice_id: str,
    amount: Decimal | None = None,
    idempotency_key: str | None = None,
) -> UnmatchedItem:
    """Books (some of) an entry's unmatched money on an invoice through its order's workflow; the
    rest stays unmatched. Default amount: what is left, up to what settles the invoice on the
    entry's booking date (a discount still counts if the money came in time). The same
    `idempotency_key` again (a client's retry) books nothing more."""
    _require_finance(actor)
    row = await to_thread.run_sync(_entry, engine, key)
    if row.pending:  # an earlier attempt's booking is unfinished: finish it first
        await _book_pending(workflows, engine, actor, key)
    await to_thread.run_sync(_claim_assignment, engine, key, invoice_id, amount, idempotency_key)
    row, refused = await _book_pending(workflows, engine, actor, key)
    if refused is not None:
        raise refused
    return _item(row)


def _claim_assignment(
    engine: Engine, key: str, invoice_id: str, amount: Decimal | None, idempotency_key: str | None
) -> None:
    with session_scope(engine, write_lock=True) as session:
        row = _locked(session, key)
        retry = f"k{_digest(idempotency_key)}" if idempotency_key else None
        if retry and any(b["reference"].startswith(f"bank:{key}:{retry}:") for b in row.bookings):
            return  # booked by the first call
        if row.pending:
            raise Conflict(f"bank entry {key} is being booked right now, try again", field="entry_key")
        if row.dismissed_at is not None:
            raise Conflict(f"bank entry {key} was dismissed: {row.dismiss_note}", field="entry_key")
        if row.unmatched_amount <= ZERO:
            raise Conflict(f"bank entry {key} has nothing left to assign", field="entry_key")
        record = session.get(InvoiceRecord, invoice_id)
        if record is None:
            raise NotFound(f"invoice {invoice_id} not found", field="invoice_id")
        paid = session.execute(select(col(PaymentRow.amount)).where(col(PaymentRow.invoice_id) == invoice_id)).scalars()
        invoice = _state(record, sum(paid, ZERO))
        if invoice.document_type == matching.CREDIT_NOTE:
            raise Conflict(f"{invoice.number} is a credit note, not a payment target", field="invoice_id")
        if invoice.currency != row.currency:
            raise Conflict(
                f"invoice {invoice.number} is in {invoice.currency}, the entry in {row.currency}", field="invoice_id"
            )
        due = invoice.due_on(row.booking_date)
        if due <= ZERO:
            raise Conflict(f"invoice {invoice.number} is paid", field="invoice_id")
        take = amount if amount is not None else min(row.unmatched_amount, due)
        if take > row.unmatched_amount:
            raise Invalid(f"{take:.2f} is more than the {row.unmatched_amount:.2f} left of the entry", field="amount")
        if take > due:
            raise Invalid(f"{take:.2f} is more than the {due:.2f} that settle invoice {invoice.number}", field="amount")
        # one reference per assignment: the same invoice may get money of the entry twice
        reference = f"bank:{key}:{retry or f'a{len(row.bookings) + 1}'}:{invoice.number}"
        row.pending = [_planned(invoice.invoice_id, invoice.number, take, reference)]
        row.unmatched_amount -= take
        row.open_item = row.unmatched_amount > ZERO
        session.add(row)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def dismiss(engine: Engine, actor: Actor, key: str, note: str) -> UnmatchedItem:
    """Closes an entry's unmatched money without booking it (refunded to the payer, ...)."""
    _require_finance(actor)
    with session_scope(engine, write_lock=True) as session:
        row = _locked(session, key)
        if row.pending:
            raise Conflict(f"bank entry {key} is being booked right now, try again", field="entry_key")
        if not row.open_item:
            raise Conflict(f"bank entry {key} has nothing left to dismiss", field="entry_key")
        row.dismissed_at, row.dismissed_by, row.dismiss_note = datetime.now(UTC), actor.id, note
        row.open_item = False
        session.add(row)
        session.flush()
        return _item(row)


def _booking(b: dict[str, Any]) -> EntryBooking:
    return EntryBooking(invoice_id=b["invoice_id"], number=b["number"], amount=Decimal(b["amount"]))


def _item(row: BankEntry) -> UnmatchedItem:
    return UnmatchedItem(
        key=row.key,
        account=row.account,
        statement_id=row.statement_id,
        booking_date=row.booking_date,
        amount=row.amount,
        currency=row.currency,
        remittance=row.remittance,
        debtor=row.debtor,
        outcome=cast(Outcome, row.outcome),
        bookings=[_booking(b) for b in row.bookings],
        unmatched_amount=row.unmatched_amount,
        notes=row.notes,
        dismissed_at=row.dismissed_at,
        dismissed_by=row.dismissed_by,
        dismiss_note=row.dismiss_note,
    )
