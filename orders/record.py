"""Writing and reading the order record (orders/tables.py).

Writers: the API opens the record when it accepts an order (before its workflow starts); the order
workflow writes its status document at a revision, each sub-order workflow its own. A document is
complete, so a write that comes late or twice changes nothing, and the next write repairs any
write that never came: `save_order` and `save_suborder` keep the newest revision.

Readers: the API, the pages and the CLI; an order stays readable after Temporal deleted its
workflow's history.
"""

import base64
import binascii
import csv
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from invoicing.tables import InvoiceRecord
from models.approvals import ApprovalRecord, PendingApproval
from models.contracts import ConsumptionResult
from models.invoices import InvoiceSummary
from models.orders import (
    OrderLineRequest,
    OrderPlacement,
    OrderQuery,
    OrderStatus,
    OrderSummary,
    OrderView,
    PricedLine,
)
from models.records import OrderSnapshot, SubOrderSnapshot
from models.suborders import SubOrderLine, SubOrderStatus, SubOrderSummary, SubOrderView
from models.timeline import TimelineEntry
from orders.tables import OrderApprovalRecord, OrderLineRecord, OrderRecord, SubOrderRecord, TimelineRecord

ORDER_SOURCE = "order"  # the timeline rows the order writes; a sub-order's carry its id


def _locked(session: Session, model: type, key: Any, column: Any) -> Any:
    """The row, locked for this transaction on PostgreSQL (SQLite's writer holds the database)."""
    return session.execute(select(model).where(column == key).with_for_update()).scalar_one_or_none()


# --- writing --------------------------------------------------------------------------------------


def open_order(
    session: Session, placement: OrderPlacement, fingerprint: str, idempotency_key: str | None
) -> tuple[OrderRecord, bool]:
    """The record of an accepted request: the existing one for this order id, or a new one
    (RECEIVED). True when it is new."""
    existing = session.get(OrderRecord, placement.order_id)
    if existing is not None:
        return existing, False
    now = datetime.now(UTC)
    record = OrderRecord(
        order_id=placement.order_id,
        customer_id=placement.buyer.customer_id or "",
        buyer=placement.buyer.id,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        customer_reference=placement.customer_reference,
        delivery_address=placement.delivery_address,
        delivery_contact=placement.delivery_contact,
        placed_at=now,
        status=OrderStatus.RECEIVED.value,
        requested_lines=[line.model_dump(mode="json") for line in placement.lines],
        placement=placement.model_dump(mode="json"),
        revision=0,
        updated_at=now,
    )
    session.add(record)
    session.flush()
    return record, True


def forget_unstarted(session: Session, order_id: str) -> None:
    """Removes the record of a request whose workflow could not be started (it was not accepted)."""
    record = session.get(OrderRecord, order_id)
    if record is not None and record.revision == 0:
        session.delete(record)


def save_order(session: Session, snapshot: OrderSnapshot) -> bool:
    """Writes the order's status document unless the record holds this revision or a newer one.
    True when it wrote. Lines, approvals and the order's own timeline entries are added once."""
    view = snapshot.view
    record = _locked(session, OrderRecord, view.order_id, col(OrderRecord.order_id))
    if record is None:  # an order started without the API (tests, tools): its document opens the record
        record = OrderRecord(
            order_id=view.order_id,
            customer_id=view.customer_id or "",
            buyer=view.buyer,
            fingerprint="",
            placed_at=view.placed_at,
            status=view.status.value,
            requested_lines=[line.model_dump(mode="json") for line in view.requested_lines],
            updated_at=datetime.now(UTC),
        )
        session.add(record)
        session.flush()
    elif record.revision >= snapshot.revision:
        return False
    record.status = view.status.value
    record.customer_reference = view.customer_reference
    record.delivery_address = view.delivery_address
    record.delivery_contact = view.delivery_contact
    record.contract_id = view.contract_id
    record.catalog_version = view.catalog_version
    record.currency = view.currency
    record.net_total, record.vat_total, record.gross_total = view.net_total, view.vat_total, view.gross_total
    record.paid_total = view.paid_total
    record.rejection_reason = view.rejection_reason
    record.pending_approval = view.pending_approval.model_dump(mode="json") if view.pending_approval else None
    record.contract_consumption = (
        view.contract_consumption.model_dump(mode="json") if view.contract_consumption else None
    )
    record.attention = view.attention
    record.billing = {
        "invoice_findings": [f.model_dump(mode="json") for f in view.invoice_findings],
        "dunning_level": view.dunning_level,
        "dunning_paused": view.dunning_paused,
    }
    record.revision = snapshot.revision
    record.updated_at = datetime.now(UTC)
    _save_lines(session, view)
    _sync_approvals(session, view)
    _sync_timeline(session, view.order_id, ORDER_SOURCE, view.timeline)
    session.flush()
    return True


def _save_lines(session: Session, view: OrderView) -> None:
    stored = {
        line.line_no: line
        for line in session.execute(
            select(OrderLineRecord).where(col(OrderLineRecord.order_id) == view.order_id)
        ).scalars()
    }
    removed = set(view.removed_lines)
    for line in view.lines:
        row = stored.get(line.line_no)
        if row is None:
            session.add(
                OrderLineRecord(
                    order_id=view.order_id,
                    **line.model_dump(exclude={"configuration"}),
                    configuration=line.configuration,
                    removed=line.line_no in removed,
                )
            )
        elif row.removed != (line.line_no in removed):
            row.removed = line.line_no in removed


def _sync_approvals(session: Session, view: OrderView) -> None:
    """The order's approvals as the document lists them: the document of a newer revision is
    the truth (a lost workflow task may have written others), so rows are added, changed and
    dropped to match it."""
    stored = {
        row.seq: row
        for row in session.execute(
            select(OrderApprovalRecord).where(col(OrderApprovalRecord.order_id) == view.order_id)
        ).scalars()
    }
    for seq, a in enumerate(view.approvals):
        wanted: dict[str, Any] = {
            "kind": a.kind.value,
            "decision": a.decision,
            "comment": a.comment,
            "actor": a.actor,
            "at": a.at,
        }
        row = stored.pop(seq, None)
        if row is None:
            session.add(OrderApprovalRecord(order_id=view.order_id, seq=seq, **wanted))
        elif any(_differs(getattr(row, key), value) for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(row, key, value)
    for row in stored.values():
        session.delete(row)


def _sync_timeline(session: Session, order_id: str, source: str, entries: list[TimelineEntry]) -> None:
    """The timeline of `source` (the order, or one sub-order) as the document has it (see
    `_sync_approvals`); unchanged rows are left alone."""
    stored = {
        row.seq: row
        for row in session.execute(
            select(TimelineRecord).where(col(TimelineRecord.order_id) == order_id, col(TimelineRecord.source) == source)
        ).scalars()
    }
    for seq, entry in enumerate(entries):
        wanted: dict[str, Any] = {"at": entry.at, "actor": entry.actor, "event": entry.event, "detail": entry.detail}
        row = stored.pop(seq, None)
        if row is None:
            session.add(TimelineRecord(order_id=order_id, source=source, seq=seq, **wanted))
        elif any(_differs(getattr(row, key), value) for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(row, key, value)
    for row in stored.values():
        session.delete(row)


def _differs(stored: Any, value: Any) -> bool:
    if isinstance(stored, datetime) and isinstance(value, datetime):  # SQLite gives naive UTC back
        return _utc(stored) != _utc(value)
    return bool(stored != value)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def save_suborder(session: Session, snapshot: SubOrderSnapshot) -> bool:
    """Writes a sub-order's document (with its timeline) unless the record holds this revision or a
    newer one. False also when its order has no record (an order placed before the record existed)."""
    view = snapshot.view
    if session.get(OrderRecord, view.order_id) is None:
        return False
    row = _locked(session, SubOrderRecord, view.suborder_id, col(SubOrderRecord.suborder_id))
    now = datetime.now(UTC)
    if row is None:
        row = SubOrderRecord(
            suborder_id=view.suborder_id,
            order_id=view.order_id,
            partner_id=view.partner_id,
            status=view.status.value,
            sent_at=view.sent_at or view.updated_at or now,
            updated_at=now,
        )
        session.add(row)
    elif row.revision >= snapshot.revision:
        return False
    row.status = view.status.value
    row.escalated = view.escalated
    row.tracking = view.tracking
    row.reason = view.reason
    row.lines = [line.model_dump(mode="json") for line in view.lines]
    row.delivery_address = view.delivery_address
    row.delivery_contact = view.delivery_contact
    row.revision = snapshot.revision
    row.updated_at = view.updated_at or now
    session.flush()
    _sync_timeline(session, view.order_id, view.suborder_id, view.timeline)
    session.flush()
    return True


# --- reading --------------------------------------------------------------------------------------


def order_versions(session: Session, order_ids: Iterable[str]) -> dict[str, str]:
    """A tag per order that changes whenever the order's document or one of its sub-orders' does
    (their revisions only grow, and a new sub-order adds a row): the orders' ETags, in one query.
    Orders not recorded are missing."""
    ids = list(order_ids)
    rows = session.execute(
        select(
            col(OrderRecord.order_id),
            col(OrderRecord.revision),
            func.count(col(SubOrderRecord.suborder_id)),
            func.coalesce(func.sum(col(SubOrderRecord.revision)), 0),
        )
        .select_from(OrderRecord)
        .outerjoin(SubOrderRecord, col(SubOrderRecord.order_id) == col(OrderRecord.order_id))
        .where(col(OrderRecord.order_id).in_(ids))
        .group_by(col(OrderRecord.order_id), col(OrderRecord.revision))
    ).all()
    return {row[0]: f"{row[1]}.{row[2]}.{row[3]}" for row in rows}


def order_version(session: Session, order_id: str) -> str | None:
    return order_versions(session, [order_id]).get(order_id)


def order_view(session: Session, order_id: str) -> OrderView | None:
    """The order's status document as the record holds it (None: no such order)."""
    record = session.get(OrderRecord, order_id)
    if record is None:
        return None
    lines = session.execute(
        select(OrderLineRecord).where(col(OrderLineRecord.order_id) == order_id).order_by(col(OrderLineRecord.line_no))
    ).scalars()
    line_rows = list(lines)
    subs = list(
        session.execute(
            select(SubOrderRecord)
            .where(col(SubOrderRecord.order_id) == order_id)
            .order_by(col(SubOrderRecord.sent_at), col(SubOrderRecord.suborder_id))
        ).scalars()
    )
    approvals = session.execute(
        select(OrderApprovalRecord)
        .where(col(OrderApprovalRecord.order_id) == order_id)
        .order_by(col(OrderApprovalRecord.seq))
    ).scalars()
    invoices = session.execute(
        select(InvoiceRecord)
        .where(col(InvoiceRecord.order_id) == order_id)
        .order_by(col(InvoiceRecord.issue_date), col(InvoiceRecord.number))
    ).scalars()
    return OrderView(
        order_id=record.order_id,
        status=OrderStatus(record.status),
        customer_id=record.customer_id or None,
        buyer=record.buyer,
        customer_reference=record.customer_reference,
        delivery_address=record.delivery_address,
        delivery_contact=record.delivery_contact,
        placed_at=record.placed_at,
        contract_id=record.contract_id,
        catalog_version=record.catalog_version,
        currency=record.currency,
        lines=[_priced(line) for line in line_rows],
        removed_lines=[line.line_no for line in line_rows if line.removed],
        requested_lines=[OrderLineRequest.model_validate(line) for line in record.requested_lines],
        net_total=record.net_total,
        vat_total=record.vat_total,
        gross_total=record.gross_total,
        suborders=[_suborder(row, []) for row in subs],
        invoices=[_invoice(row) for row in invoices],
        paid_total=record.paid_total,
        pending_approval=PendingApproval.model_validate(record.pending_approval) if record.pending_approval else None,
        approvals=[
            ApprovalRecord(kind=a.kind, decision=a.decision, comment=a.comment, actor=a.actor, at=a.at)
            for a in approvals
        ],
        rejection_reason=record.rejection_reason,
        timeline=_timeline(session, order_id),
        contract_consumption=(
            ConsumptionResult.model_validate(record.contract_consumption) if record.contract_consumption else None
        ),
        attention=record.attention,
        **(record.billing or {}),
        revision=record.revision,
    )


def _priced(row: OrderLineRecord) -> PricedLine:
    return PricedLine.model_validate(row, from_attributes=True)


def _invoice(row: InvoiceRecord) -> InvoiceSummary:
    return InvoiceSummary(
        invoice_id=row.id,
        number=row.number,
        currency=row.currency,
        net_total=row.net_total,
        vat_total=row.vat_total,
        gross_total=row.gross_total,
        issue_date=row.issue_date,
        due_date=row.due_date,
        document_type=row.document_type,
    )


def _suborder(row: SubOrderRecord, timeline: list[TimelineEntry]) -> SubOrderView:
    return SubOrderView(
        suborder_id=row.suborder_id,
        order_id=row.order_id,
        partner_id=row.partner_id,
        status=SubOrderStatus(row.status),
        lines=[SubOrderLine.model_validate(line) for line in row.lines],
        escalated=row.escalated,
        tracking=row.tracking,
        reason=row.reason,
        delivery_address=row.delivery_address,
        delivery_contact=row.delivery_contact,
        sent_at=row.sent_at,
        updated_at=row.updated_at,
        timeline=timeline,
    )


def _timeline(session: Session, order_id: str, source: str | None = None) -> list[TimelineEntry]:
    """The order's timeline (its own entries and its sub-orders', prefixed with the sub-order) in
    the order things happened; `source`: one sub-order's only."""
    query = select(TimelineRecord).where(col(TimelineRecord.order_id) == order_id)
    if source is not None:
        query = query.where(col(TimelineRecord.source) == source)
    rows = session.execute(query).scalars().all()
    rows = sorted(rows, key=lambda r: (r.at, r.source != ORDER_SOURCE, r.source, r.seq))
    return [
        TimelineEntry(
            at=r.at,
            actor=r.actor,
            event=r.event,
            detail=r.detail
            if source is not None or r.source == ORDER_SOURCE
            else f"{r.source}: {r.detail}".rstrip(": "),
        )
        for r in rows
    ]


def suborder_view(session: Session, suborder_id: str) -> SubOrderView | None:
    """A sub-order with its own timeline, as its unit sees it (None: no such sub-order)."""
    row = session.get(SubOrderRecord, suborder_id)
    return None if row is None else _suborder(row, _timeline(session, row.order_id, suborder_id))


def list_suborders(
    session: Session, partner_id: str | None, status: SubOrderStatus | None, limit: int
) -> list[SubOrderSummary]:
    """Newest first; `partner_id` None: every unit's."""
    query = select(SubOrderRecord)
    if partner_id is not None:
        query = query.where(col(SubOrderRecord.partner_id) == partner_id)
    if status is not None:
        query = query.where(col(SubOrderRecord.status) == status.value)
    query = query.order_by(col(SubOrderRecord.sent_at).desc(), col(SubOrderRecord.suborder_id).desc()).limit(limit)
    return [
        SubOrderSummary(
            suborder_id=row.suborder_id,
            order_id=row.order_id,
            partner_id=row.partner_id,
            status=SubOrderStatus(row.status),
            lines=[SubOrderLine.model_validate(line) for line in row.lines],
            sent_at=row.sent_at,
            delivery_address=row.delivery_address,
            delivery_contact=row.delivery_contact,
        )
        for row in session.execute(query).scalars()
    ]


# --- lists of orders ------------------------------------------------------------------------------


def encode_cursor(placed_at: datetime, order_id: str) -> str:
    raw = json.dumps([placed_at.astimezone(UTC).isoformat(), order_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """ValueError for a cursor this module did not write (also one without a zone, or out of range)."""
    try:
        placed_at, order_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at = datetime.fromisoformat(placed_at)
        if at.tzinfo is None or not isinstance(order_id, str):
            raise ValueError("not a cursor of this list")
        return at.astimezone(UTC), order_id
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, OverflowError) as exc:
        raise ValueError("not a cursor of this list") from exc


def _filtered(query: OrderQuery, customer_ids: list[str] | None):
    statement = select(OrderRecord)
    if customer_ids is not None:
        statement = statement.where(col(OrderRecord.customer_id).in_(customer_ids))
    for column, value in (
        (OrderRecord.status, query.status.value if query.status else None),
        (OrderRecord.customer_id, query.customer_id),
        (OrderRecord.buyer, query.buyer),
        (OrderRecord.customer_reference, query.customer_reference),
    ):
        if value is not None:
            statement = statement.where(col(column) == value)
    if query.placed_from is not None:
        statement = statement.where(col(OrderRecord.placed_at) >= query.placed_from)
    if query.placed_to is not None:
        statement = statement.where(col(OrderRecord.placed_at) < query.placed_to)
    if query.cursor is not None:  # keyset: the orders after the last one of the previous page
        placed_at, order_id = decode_cursor(query.cursor)
        statement = statement.where(
            or_(
                col(OrderRecord.placed_at) < placed_at,
                and_(col(OrderRecord.placed_at) == placed_at, col(OrderRecord.order_id) < order_id),
            )
        )
    return statement.order_by(col(OrderRecord.placed_at).desc(), col(OrderRecord.order_id).desc())


def list_orders(
    session: Session, query: OrderQuery, customer_ids: list[str] | None
) -> tuple[list[OrderSummary], str | None]:
    """One page of orders, newest first, and the cursor of the next page (None: the last page).
    `customer_ids`: the customers whose orders the caller may list (None: all)."""
    statement = _filtered(query, customer_ids)
    rows = list(session.execute(statement.limit(query.limit + 1)).scalars())
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = encode_cursor(rows[-1].placed_at, rows[-1].order_id) if more and rows else None
    return [_summary(row) for row in rows], next_cursor


def _summary(row: OrderRecord) -> OrderSummary:
    return OrderSummary(
        order_id=row.order_id,
        status=OrderStatus(row.status),
        customer_id=row.customer_id or None,
        customer_reference=row.customer_reference,
        buyer=row.buyer,
        net_total=row.net_total,
        gross_total=None if row.gross_total is None else f"{row.gross_total:.2f}",
        currency=row.currency,
        paid_total=row.paid_total,
        placed_at=row.placed_at,
        updated_at=row.updated_at,
        attention=row.attention,
    )


CSV_COLUMNS = (
    "order_id",
    "status",
    "customer_id",
    "buyer",
    "customer_reference",
    "placed_at",
    "currency",
    "net_total",
    "gross_total",
    "paid_total",
    "contract_id",
    "invoice_numbers",
    "attention",
)


def export_csv(session: Session, query: OrderQuery, customer_ids: list[str] | None, out: IO[str]) -> int:
    """Writes every order the query matches (no paging), newest first; returns how many."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for chunk in _chunks(session, query, customer_ids):
        numbers: dict[str, list[str]] = {}
        for order_id, number in session.execute(
            select(col(InvoiceRecord.order_id), col(InvoiceRecord.number)).where(
                col(InvoiceRecord.order_id).in_([row.order_id for row in chunk])
            )
        ):
            numbers.setdefault(order_id, []).append(number)
        for row in chunk:
            writer.writerow(
                [
                    row.order_id,
                    row.status,
                    row.customer_id,
                    row.buyer,
                    _cell(row.customer_reference),
                    row.placed_at.astimezone(UTC).isoformat(),
                    row.currency or "",
                    "" if row.net_total is None else f"{row.net_total:.2f}",
                    "" if row.gross_total is None else f"{row.gross_total:.2f}",
                    f"{row.paid_total:.2f}",
                    row.contract_id or "",
                    " ".join(sorted(numbers.get(row.order_id, []))),
                    _cell(row.attention),
                ]
            )
            count += 1
    return count


def _cell(text: str | None) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    if not text:
        return ""
    return "'" + text if text[0] in "=+-@\t\r" else text


def _chunks(session: Session, query: OrderQuery, customer_ids: list[str] | None) -> Iterable[list[OrderRecord]]:
    page = query.model_copy(update={"limit": 1000, "cursor": None})
    while True:
        statement = _filtered(page, customer_ids)
        rows = list(session.execute(statement.limit(page.limit)).scalars())
        if not rows:
            return
        yield rows
        if len(rows) < page.limit:
            return
        page = page.model_copy(update={"cursor": encode_cursor(rows[-1].placed_at, rows[-1].order_id)})
