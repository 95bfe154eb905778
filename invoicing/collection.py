"""Following an issued invoice until it is settled: overdue, the dunning notices of each level,
collections, a dispute's pause. The order's workflow decides when (durable timers); this module
keeps what finance reads (the invoice's status and level, the notices) and tells the workflow what
the database knows (payments and credit notes booked past it, e.g. while it was not running)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlmodel import col

from core.database import session_scope
from invoicing.issuing import summary
from invoicing.tables import COLLECTIONS, CREDIT_NOTE, CREDITED, OPEN, OVERDUE, PAID, DunningNotice, InvoiceRecord
from invoicing.terms import amount_due
from models.invoices import InvoiceCheck, InvoiceState


def check_invoice(engine: Engine, check: InvoiceCheck) -> InvoiceState:
    """The invoice's state on `check.on`; with a level, it is taken there first while still open
    (idempotent: a notice per level, once)."""
    with session_scope(engine, write_lock=check.level is not None) as session:
        invoice = session.get(InvoiceRecord, check.invoice_id)
        if invoice is None:
            raise LookupError(f"invoice {check.invoice_id} not found")
        owed = _owed(invoice, check)
        if owed > 0 and check.level is not None:
            if invoice.status == OPEN:
                invoice.status = OVERDUE
            if check.level > 0 and check.rule is not None:
                if session.get(DunningNotice, (invoice.id, check.level)) is None:
                    session.add(
                        DunningNotice(
                            invoice_id=invoice.id,
                            level=check.level,
                            kind=check.rule.kind,
                            fee=check.rule.fee,
                            open_amount=owed,
                            pay_by=check.on + timedelta(days=7),
                            created_at=datetime.now(UTC),
                        )
                    )
                invoice.dunning_level = max(invoice.dunning_level, check.level)
                if check.rule.kind == "collections":
                    invoice.status = COLLECTIONS
        notes = session.execute(
            select(InvoiceRecord)
            .where(
                col(InvoiceRecord.preceding_invoice_id) == invoice.id,
                col(InvoiceRecord.document_type) == CREDIT_NOTE,
            )
            .order_by(col(InvoiceRecord.number))
        ).scalars()
        return InvoiceState(
            settled=owed <= 0 or invoice.status in (PAID, CREDITED),
            open_amount=owed,
            paid_total=invoice.paid_total,
            credited_total=invoice.credited_total,
            credit_notes=[summary(note) for note in notes],
        )


def _owed(invoice: InvoiceRecord, check: InvoiceCheck) -> Decimal:
    return amount_due(
        gross=invoice.gross_total,
        credited=invoice.credited_total,
        paid=invoice.paid_total,
        discount_percent=invoice.discount_percent,
        discount_until=invoice.discount_until,
        on=check.on,
    )


def set_dunning_paused(engine: Engine, invoice_id: str, paused: bool) -> None:
    with session_scope(engine, write_lock=True) as session:
        invoice = session.get(InvoiceRecord, invoice_id)
        if invoice is not None:
            invoice.dunning_paused = paused
