"""Finance's figures on the receivables: the invoice list, open items with aging, DSO, blocked
invoices. Read-only queries on the invoice tables; who may see what is the service's business.

Open amounts come from `terms.amount_due` (gross less credit notes, less the cash discount while
its window is open on the day asked about, less what was paid). A credit note owes nothing itself:
it reduces its invoice's open amount through the invoice's `credited_total`. Amounts are as the
records hold them now; `as_of` sets the ages, the overdue part and the discount window.
"""

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from invoicing.tables import CREDIT_NOTE, CREDITED, INVOICE, OPEN, OVERDUE, PAID, BlockedInvoice, InvoiceRecord
from invoicing.terms import ZERO, amount_due
from models.receivables import (
    AgingBuckets,
    BlockedInvoiceView,
    CurrencyTotal,
    CustomerOpenItems,
    Dso,
    DsoFigure,
    InvoiceListItem,
    InvoiceQuery,
    OpenItem,
    OpenItems,
)

BLOCKED = "blocked"
SETTLED = (PAID, CREDITED)  # nothing is owed on these, whatever the arithmetic says
BUCKETS = (("days_0_30", 30), ("days_31_60", 60), ("days_61_90", 90), ("over_90", None))
DSO_DAYS = 90


# --- one document --------------------------------------------------------------------------------


def open_amount(row: InvoiceRecord, on: date) -> Decimal:
    """What the customer still owes on the document on `on` (a credit note: nothing)."""
    if row.document_type != INVOICE or row.status in SETTLED:
        return ZERO
    return amount_due(
        gross=row.gross_total,
        credited=row.credited_total,
        paid=row.paid_total,
        discount_percent=row.discount_percent,
        discount_until=row.discount_until,
        on=on,
    )


def shown_status(row: InvoiceRecord, on: date) -> str:
    """The stored status, except that an open invoice past its due date is overdue already (the
    order's workflow marks it at its next timer)."""
    if row.status == OPEN and row.document_type == INVOICE and row.due_date < on:
        return OVERDUE
    return row.status


def bucket_of(age_days: int) -> str:
    for name, upper in BUCKETS:
        if upper is None or age_days <= upper:
            return name
    raise AssertionError("unreachable")


# --- the invoice list ----------------------------------------------------------------------------


def _encode(parts: list[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def _decode(cursor: str, kind: str, size: int) -> list[str]:
    """ValueError for a cursor this list did not write (or one of the other list: blocked ones)."""
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not a cursor of this list") from exc
    if not (
        isinstance(parts, list) and len(parts) == size and parts[0] == kind and all(isinstance(p, str) for p in parts)
    ):
        raise ValueError("not a cursor of this list")
    return parts[1:]


def _utc(at: datetime) -> datetime:
    """SQLite gives the stored UTC time without its zone, PostgreSQL with it."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def list_invoices(
    session: Session, query: InvoiceQuery, customer_ids: list[str] | None, on: date
) -> tuple[list[InvoiceListItem], str | None]:
    """One page of documents, newest first, and the next page's cursor (None: the last page).
    `customer_ids`: whose documents the caller may list (None: all). Blocked documents only
    with status "blocked" (they have no number and no invoice date to sort among the others)."""
    if query.status == BLOCKED:
        return _blocked_page(session, query, customer_ids)
    statement = select(InvoiceRecord)
    if customer_ids is not None:
        statement = statement.where(col(InvoiceRecord.customer_id).in_(customer_ids))
    if query.customer_id is not None:
        statement = statement.where(col(InvoiceRecord.customer_id) == query.customer_id)
    if query.document_type is not None:
        statement = statement.where(col(InvoiceRecord.document_type) == query.document_type)
    if query.issued_from is not None:
        statement = statement.where(col(InvoiceRecord.issue_date) >= query.issued_from)
    if query.issued_to is not None:
        statement = statement.where(col(InvoiceRecord.issue_date) <= query.issued_to)
    past_due = and_(
        col(InvoiceRecord.status) == OPEN,
        col(InvoiceRecord.document_type) == INVOICE,
        col(InvoiceRecord.due_date) < on,
    )
    if query.status == OVERDUE:  # as shown_status tells it
        statement = statement.where(or_(col(InvoiceRecord.status) == OVERDUE, past_due))
    elif query.status == OPEN:
        statement = statement.where(col(InvoiceRecord.status) == OPEN, ~past_due)
    elif query.status is not None:
        statement = statement.where(col(InvoiceRecord.status) == query.status)
    if query.cursor is not None:  # keyset: the documents after the last one of the previous page
        issued, invoice_id = _decode(query.cursor, "i", 3)
        day = date.fromisoformat(issued)
        statement = statement.where(
            or_(
                col(InvoiceRecord.issue_date) < day,
                and_(col(InvoiceRecord.issue_date) == day, col(InvoiceRecord.id) < invoice_id),
            )
        )
    statement = statement.order_by(col(InvoiceRecord.issue_date).desc(), col(InvoiceRecord.id).desc())
    rows = list(session.execute(statement.limit(query.limit + 1)).scalars())
    more, rows = len(rows) > query.limit, rows[: query.limit]
    next_cursor = _encode(["i", rows[-1].issue_date.isoformat(), rows[-1].id]) if more and rows else None
    return [_item(row, on) for row in rows], next_cursor


def _item(row: InvoiceRecord, on: date) -> InvoiceListItem:
    return InvoiceListItem(
        invoice_id=row.id,
        number=row.number,
        document_type=row.document_type,
        customer_id=row.customer_id,
        order_id=row.order_id,
        issue_date=row.issue_date,
        due_date=row.due_date,
        currency=row.currency,
        gross_total=row.gross_total,
        open_amount=open_amount(row, on),
        status=shown_status(row, on),
        preceding_invoice_id=row.preceding_invoice_id,
        dunning_level=row.dunning_level,
    )


def _blocked_page(
    session: Session, query: InvoiceQuery, customer_ids: list[str] | None
) -> tuple[list[InvoiceListItem], str | None]:
    statement = select(BlockedInvoice).where(col(BlockedInvoice.resolved_at).is_(None))
    if customer_ids is not None:
        statement = statement.where(col(BlockedInvoice.customer_id).in_(customer_ids))
    if query.customer_id is not None:
        statement = statement.where(col(BlockedInvoice.customer_id) == query.customer_id)
    if query.document_type is not None:
        statement = statement.where(col(BlockedInvoice.document_type) == query.document_type)
    if query.issued_from is not None:
        statement = statement.where(col(BlockedInvoice.blocked_at) >= _day_start(query.issued_from))
    if query.issued_to is not None and query.issued_to < date.max:  # the last day: no bound
        statement = statement.where(col(BlockedInvoice.blocked_at) < _day_start(query.issued_to + timedelta(days=1)))
    if query.cursor is not None:
        at_text, seller_id, issue_key = _decode(query.cursor, "b", 4)
        try:
            at = _utc(datetime.fromisoformat(at_text))
        except (ValueError, OverflowError) as exc:
            raise ValueError("not a cursor of this list") from exc
        statement = statement.where(
            or_(
                col(BlockedInvoice.blocked_at) < at,
                and_(
                    col(BlockedInvoice.blocked_at) == at,
                    or_(
                        col(BlockedInvoice.seller_id) < seller_id,
                        and_(col(BlockedInvoice.seller_id) == seller_id, col(BlockedInvoice.issue_key) < issue_key),
                    ),
                ),
            )
        )
    statement = statement.order_by(
        col(BlockedInvoice.blocked_at).desc(),
        col(BlockedInvoice.seller_id).desc(),
        col(BlockedInvoice.issue_key).desc(),
    )
    rows = list(session.execute(statement.limit(query.limit + 1)).scalars())
    more, rows = len(rows) > query.limit, rows[: query.limit]
    next_cursor = (
        _encode(["b", _utc(rows[-1].blocked_at).isoformat(), rows[-1].seller_id, rows[-1].issue_key])
        if more and rows
        else None
    )
    return [
        InvoiceListItem(
            invoice_id=row.invoice_id,  # None until the fixed data was issued
            number=None,
            document_type=row.document_type,
            customer_id=row.customer_id,
            order_id=row.order_id,
            issue_date=None,
            due_date=None,
            currency=row.currency,
            gross_total=row.gross_total,
            open_amount=ZERO,  # nothing is owed on a document never sent
            status=BLOCKED,
            findings_count=len(row.findings),
            blocked_at=_utc(row.blocked_at),
        )
        for row in rows
    ], next_cursor


# --- open items and aging ------------------------------------------------------------------------


def _open_rows(session: Session, as_of: date, customer_id: str | None) -> Iterable[InvoiceRecord]:
    """Invoices issued by `as_of` that are not settled (their open amount may still be 0)."""
    statement = select(InvoiceRecord).where(
        col(InvoiceRecord.document_type) == INVOICE,
        col(InvoiceRecord.status).not_in(SETTLED),
        col(InvoiceRecord.issue_date) <= as_of,
    )
    if customer_id is not None:
        statement = statement.where(col(InvoiceRecord.customer_id) == customer_id)
    statement = statement.order_by(
        col(InvoiceRecord.customer_id),
        col(InvoiceRecord.currency),
        col(InvoiceRecord.issue_date),
        col(InvoiceRecord.id),
    )
    return session.execute(statement).scalars()


def _open_item(row: InvoiceRecord, as_of: date) -> OpenItem:
    return OpenItem(
        invoice_id=row.id,
        number=row.number,
        order_id=row.order_id,
        issue_date=row.issue_date,
        due_date=row.due_date,
        age_days=(as_of - row.issue_date).days,
        days_overdue=max((as_of - row.due_date).days, 0),
        gross_total=row.gross_total,
        credited_total=row.credited_total,
        paid_total=row.paid_total,
        open_amount=open_amount(row, as_of),
        status=shown_status(row, as_of),
        dunning_level=row.dunning_level,
    )


class _Sums:
    """Open total, overdue part and aging buckets of a set of open items."""

    def __init__(self) -> None:
        self.open_total = ZERO
        self.overdue = ZERO
        self.buckets = dict.fromkeys((name for name, _ in BUCKETS), ZERO)

    def add(self, item: OpenItem) -> None:
        self.open_total += item.open_amount
        if item.days_overdue > 0:
            self.overdue += item.open_amount
        self.buckets[bucket_of(item.age_days)] += item.open_amount

    def aging(self) -> AgingBuckets:
        return AgingBuckets(**self.buckets)


def open_items(session: Session, as_of: date, customer_id: str | None = None) -> OpenItems:
    """Open invoices per customer and currency on `as_of`, with aging buckets by days since the
    invoice date (0-30, 31-60, 61-90, >90) and the overdue part; totals per currency."""
    groups: dict[tuple[str, str], list[OpenItem]] = defaultdict(list)
    for row in _open_rows(session, as_of, customer_id):
        item = _open_item(row, as_of)
        if item.open_amount > 0:
            groups[row.customer_id, row.currency].append(item)
    customers: list[CustomerOpenItems] = []
    totals: dict[str, _Sums] = defaultdict(_Sums)
    for (customer, currency), items in groups.items():
        sums = _Sums()
        for item in items:
            sums.add(item)
            totals[currency].add(item)
        customers.append(
            CustomerOpenItems(
                customer_id=customer,
                currency=currency,
                open_total=sums.open_total,
                overdue=sums.overdue,
                buckets=sums.aging(),
                items=items,
            )
        )
    return OpenItems(
        as_of=as_of,
        customers=customers,
        totals=[
            CurrencyTotal(currency=currency, open_total=sums.open_total, overdue=sums.overdue, buckets=sums.aging())
            for currency, sums in sorted(totals.items())
        ],
    )


# --- days sales outstanding ----------------------------------------------------------------------


def days_sales_outstanding(session: Session, as_of: date, days: int = DSO_DAYS) -> Dso:
    """Per currency: open receivables on `as_of` / invoiced in the `days` days up to it x `days`.
    Invoiced is the invoices' gross less the credit notes' issued in the period."""
    if as_of.toordinal() < days:
        raise ValueError(f"as_of is too early for a period of {days} days")
    period_from = as_of - timedelta(days=days - 1)
    receivables: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in _open_rows(session, as_of, None):
        receivables[row.currency] += open_amount(row, as_of)
    invoiced: dict[str, Decimal] = defaultdict(lambda: ZERO)
    issued = select(
        col(InvoiceRecord.currency), col(InvoiceRecord.document_type), col(InvoiceRecord.gross_total)
    ).where(
        col(InvoiceRecord.issue_date) >= period_from,
        col(InvoiceRecord.issue_date) <= as_of,
        col(InvoiceRecord.document_type).in_((INVOICE, CREDIT_NOTE)),
    )
    for currency, document_type, gross in session.execute(issued):
        invoiced[currency] += gross if document_type == INVOICE else -gross
    figures = []
    for currency in sorted(set(receivables) | set(invoiced)):
        open_total, sales = receivables[currency], invoiced[currency]
        dso = float(round(open_total / sales * days, 1)) if sales > 0 else None
        figures.append(DsoFigure(currency=currency, open_receivables=open_total, invoiced=sales, dso=dso))
    return Dso(as_of=as_of, days=days, period_from=period_from, figures=figures)


# --- blocked invoices ----------------------------------------------------------------------------


def blocked_invoices(session: Session, customer_id: str | None = None) -> list[BlockedInvoiceView]:
    """Documents validation refused and finance has not resolved yet, oldest first."""
    statement = select(BlockedInvoice).where(col(BlockedInvoice.resolved_at).is_(None))
    if customer_id is not None:
        statement = statement.where(col(BlockedInvoice.customer_id) == customer_id)
    statement = statement.order_by(col(BlockedInvoice.blocked_at), col(BlockedInvoice.issue_key))
    return [
        BlockedInvoiceView.model_validate(
            {**row.model_dump(), "blocked_at": _utc(row.blocked_at), "checked_at": _utc(row.checked_at)}
        )
        for row in session.execute(statement).scalars()
    ]
