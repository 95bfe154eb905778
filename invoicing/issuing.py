"""Issuing an invoice for an order: gapless numbers per seller and year, amounts per line.

Idempotent: an order has at most one invoice (unique seller+order); a retried activity gets the
invoice the first attempt wrote. The number is taken from `invoicesequence` in the same
transaction that inserts the invoice, so a failed attempt rolls its number back: no gap, and the
row lock (PostgreSQL) or the write lock (SQLite) makes concurrent issuers queue: no duplicate.

On PostgreSQL two transactions can still both find no row and both insert one (the year's first
sequence row, the same order's invoice, the same payment reference): the loser gets a unique-key
violation, its transaction rolls back whole, and it runs once more, now seeing the winner's row.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from core.database import session_scope
from invoicing.tables import InvoiceRecord, InvoiceSequence, PaymentRow
from models.invoices import Invoice, InvoiceLine, InvoiceRequest, PaymentIn, PaymentRecord, PaymentResult
from models.money import line_amounts, total

T = TypeVar("T")
ATTEMPTS = 3


def _retry_on_conflict(work: Callable[[], T]) -> T:
    """Runs `work` (one transaction) again when a concurrent transaction inserted the same key first."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return work()
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def invoice_number(year: int, value: int) -> str:
    return f"{year}-{value:06d}"


def _next_number(session, seller_id: str, year: int) -> int:
    bumped = session.execute(
        update(InvoiceSequence)
        .where(col(InvoiceSequence.seller_id) == seller_id, col(InvoiceSequence.year) == year)
        .values(next_value=col(InvoiceSequence.next_value) + 1)
        .returning(col(InvoiceSequence.next_value))
    ).scalar_one_or_none()
    if bumped is not None:
        return bumped - 1
    session.add(InvoiceSequence(seller_id=seller_id, year=year, next_value=2))
    session.flush()  # a concurrent first insert fails here on the primary key: see _retry_on_conflict
    return 1


def issue_invoice(engine: Engine, request: InvoiceRequest) -> Invoice:
    return _retry_on_conflict(lambda: _issue_invoice(engine, request))


def _issue_invoice(engine: Engine, request: InvoiceRequest) -> Invoice:
    with session_scope(engine, write_lock=True) as session:
        existing = session.execute(
            select(InvoiceRecord).where(
                col(InvoiceRecord.seller_id) == request.seller_id, col(InvoiceRecord.issue_key) == request.order_id
            )
        ).scalar_one_or_none()
        if existing is not None:
            return _to_model(session, existing)
        lines = [
            InvoiceLine(**line.model_dump(), **_amounts(line.quantity, line.unit_price, line.vat_rate))
            for line in request.lines
        ]
        totals = total([line_amounts(li.quantity, li.unit_price, li.vat_rate) for li in request.lines])
        year = request.issue_date.year
        number = invoice_number(year, _next_number(session, request.seller_id, year))
        record = InvoiceRecord(
            id=f"INV-{request.seller_id}-{number}",
            seller_id=request.seller_id,
            number=number,
            order_id=request.order_id,
            issue_key=request.order_id,
            customer_id=request.customer_id,
            currency=request.currency,
            issue_date=request.issue_date,
            due_date=request.issue_date + timedelta(days=request.payment_terms_days),
            payment_terms_days=request.payment_terms_days,
            net_total=totals.net,
            vat_total=totals.vat,
            gross_total=totals.gross,
            lines=[li.model_dump(mode="json") for li in lines],
            created_at=datetime.now(UTC),
        )
        session.add(record)
        session.flush()
        return _to_model(session, record)


def _amounts(quantity: int, unit_price: Decimal, vat_rate: Decimal) -> dict:
    a = line_amounts(quantity, unit_price, vat_rate)
    return {"net_amount": a.net, "vat_amount": a.vat, "gross_amount": a.gross}


def payment_terms_text(days: int) -> str:
    return "due on receipt" if days == 0 else f"{days} days net"


def _to_model(session, record: InvoiceRecord) -> Invoice:
    payments = (
        session.execute(
            select(PaymentRow).where(col(PaymentRow.invoice_id) == record.id).order_by(col(PaymentRow.received_at))
        )
        .scalars()
        .all()
    )
    paid = sum((p.amount for p in payments), Decimal("0.00"))
    return Invoice(
        invoice_id=record.id,
        number=record.number,
        currency=record.currency,
        net_total=record.net_total,
        vat_total=record.vat_total,
        gross_total=record.gross_total,
        issue_date=record.issue_date,
        due_date=record.due_date,
        order_id=record.order_id,
        customer_id=record.customer_id,
        seller_id=record.seller_id,
        payment_terms=payment_terms_text(record.payment_terms_days),
        lines=[InvoiceLine.model_validate(li) for li in record.lines],
        paid_total=paid,
        payments=[_payment(p) for p in payments],
    )


def get_invoice(engine: Engine, invoice_id: str) -> Invoice | None:
    with session_scope(engine) as session:
        record = session.get(InvoiceRecord, invoice_id)
        return None if record is None else _to_model(session, record)


def record_payment(engine: Engine, payment: PaymentIn) -> PaymentResult:
    """Books a payment once per (invoice, reference); a repeated reference changes nothing."""
    return _retry_on_conflict(lambda: _record_payment(engine, payment))


def _record_payment(engine: Engine, payment: PaymentIn) -> PaymentResult:
    with session_scope(engine, write_lock=True) as session:
        added = False
        row = session.get(PaymentRow, (payment.invoice_id, payment.reference))
        if row is None:
            row = PaymentRow(
                invoice_id=payment.invoice_id,
                reference=payment.reference,
                amount=payment.amount,
                received_at=datetime.now(UTC),
                recorded_by=payment.actor.id,
            )
            session.add(row)
            session.flush()
            added = True
        elif row.amount != payment.amount:
            raise PaymentConflict(
                f"reference {payment.reference} was booked with {row.amount:.2f}, not {payment.amount:.2f}"
            )
        paid = (
            session.execute(select(col(PaymentRow.amount)).where(col(PaymentRow.invoice_id) == payment.invoice_id))
            .scalars()
            .all()
        )
        return PaymentResult(added=added, paid_total=sum(paid, Decimal("0.00")), payment=_payment(row))


class PaymentConflict(Exception):
    """The bank reference was booked with another amount: the same reference is the same payment."""


def _payment(row: PaymentRow) -> PaymentRecord:
    return PaymentRecord(
        amount=row.amount, reference=row.reference, received_at=row.received_at, recorded_by=row.recorded_by
    )


def booked_payment(engine: Engine, invoice_id: str, reference: str) -> PaymentResult | None:
    """The payment booked under the reference (a client's retry), with the invoice's paid total."""
    with session_scope(engine) as session:
        row = session.get(PaymentRow, (invoice_id, reference))
        if row is None:
            return None
        paid = session.execute(select(col(PaymentRow.amount)).where(col(PaymentRow.invoice_id) == invoice_id)).scalars()
        return PaymentResult(added=False, paid_total=sum(paid, Decimal("0.00")), payment=_payment(row))
