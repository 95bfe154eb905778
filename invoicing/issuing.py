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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from lxml import etree
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from catalog.tables import Item
from core.database import session_scope
from customers.tables import Customer
from invoicing import documents, tax
from invoicing import dunning as dunning_rules
from invoicing.tables import (
    CREDIT_NOTE,
    CREDITED,
    PAID,
    BlockedInvoice,
    InvoiceDocumentRow,
    InvoiceRecord,
    InvoiceSequence,
    PaymentRow,
)
from invoicing.terms import PaymentTerms, amount_due
from models.einvoices import DocumentLine, Finding, InvoiceDocument, Party, PaymentAccount, VatCategory
from models.invoices import (
    Invoice,
    InvoiceLine,
    InvoiceLineIn,
    InvoiceRequest,
    InvoiceSummary,
    IssueResult,
    PaymentIn,
    PaymentRecord,
    PaymentResult,
)
from models.money import line_amounts, round_money, total

SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

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
        **summary(record).model_dump(),
        order_id=record.order_id,
        customer_id=record.customer_id,
        seller_id=record.seller_id,
        payment_terms=(record.reason or "credit note")
        if record.document_type == CREDIT_NOTE
        else PaymentTerms(
            record.payment_terms_days,
            (record.discount_until - record.issue_date).days if record.discount_until else None,
            record.discount_percent,
        ).text(),
        lines=[InvoiceLine.model_validate(li) for li in record.lines],
        paid_total=paid,
        payments=[_payment(p) for p in payments],
        status=record.status,
        credited_total=record.credited_total,
        discount_percent=record.discount_percent,
        discount_until=record.discount_until,
        preceding_invoice_id=record.preceding_invoice_id,
        reason=record.reason,
        dunning_level=record.dunning_level,
        dunning_paused=record.dunning_paused,
        has_document=session.get(InvoiceDocumentRow, record.id) is not None,
        credit_notes=[
            summary(note)
            for note in session.execute(
                select(InvoiceRecord)
                .where(col(InvoiceRecord.preceding_invoice_id) == record.id)
                .order_by(col(InvoiceRecord.number))
            ).scalars()
        ],
    )


def summary(record: InvoiceRecord) -> InvoiceSummary:
    return InvoiceSummary(
        invoice_id=record.id,
        number=record.number,
        currency=record.currency,
        net_total=record.net_total,
        vat_total=record.vat_total,
        gross_total=record.gross_total,
        issue_date=record.issue_date,
        due_date=record.due_date,
        document_type=record.document_type,
    )


def issued_under(engine: Engine, seller_id: str, key: str) -> Invoice | None:
    """The document issued under this issue key, if any."""
    with session_scope(engine) as session:
        record = _by_key(session, seller_id, key)
        return None if record is None else _to_model(session, record)


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
        paid = sum(
            session.execute(select(col(PaymentRow.amount)).where(col(PaymentRow.invoice_id) == payment.invoice_id))
            .scalars()
            .all(),
            Decimal("0.00"),
        )
        invoice = session.get(InvoiceRecord, payment.invoice_id)
        settled = False
        if invoice is not None:  # kept on the invoice for finance's views
            invoice.paid_total = paid
            _settle_status(invoice, payment.received_on or row.received_at.date())
            settled = invoice.status in (PAID, CREDITED)
        return PaymentResult(added=added, paid_total=paid, payment=_payment(row), settled=settled)


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


# --- e-invoices (orders of core/temporal_names.py ENGINE_CASH and credit notes) ------------------


@dataclass(frozen=True)
class Seller:
    """Who issues: the legal entity and the account payments go to (invoicing/seller.py)."""

    party: Party
    account: PaymentAccount | None


@dataclass
class _Context:
    """What issuing reads besides the request: the buyer, the items' VAT data, the dunning
    schedule, a credit note's invoice."""

    customer: Customer | None
    items: dict[str, Item]
    preceding: InvoiceRecord | None = None


def issue_document(engine: Engine, seller: Seller, request: InvoiceRequest) -> IssueResult:
    """Issues an invoice or credit note as an e-invoice, once per (seller, issue key).

    The document is built and checked (schema and EN 16931 schematron) before a number is taken:
    a document that fails is recorded as blocked, with its findings, and nothing is issued. The
    checked document differs from the issued one only in its number. The check runs outside the
    write transaction (it takes a while), the numbering inside it (gapless)."""
    key = request.issue_key or request.order_id
    with session_scope(engine) as session:
        existing = _by_key(session, request.seller_id, key)
        context = _context(session, request)
        dunning = dunning_rules.schedule_of(context.customer.dunning_schedule if context.customer else None)
        if existing is not None:
            return IssueResult(invoice=_to_model(session, existing), dunning=dunning)
    draft, findings = _document(request, context, seller, number="DRAFT")
    if draft is not None:
        findings = [f for f in documents.check(documents.to_cii_xml(draft)) if f.level == "error"]
    if findings or draft is None:
        _block(engine, request, key, findings)
        return IssueResult(findings=findings, dunning=dunning)
    invoice = _retry_on_conflict(lambda: _issue_checked(engine, request, key, draft, seller))
    return IssueResult(invoice=invoice, dunning=dunning)


def _by_key(session, seller_id: str, key: str) -> InvoiceRecord | None:
    return session.execute(
        select(InvoiceRecord).where(col(InvoiceRecord.seller_id) == seller_id, col(InvoiceRecord.issue_key) == key)
    ).scalar_one_or_none()


def _context(session, request: InvoiceRequest) -> _Context:
    skus = {line.sku for line in request.lines}
    items = {item.sku: item for item in session.execute(select(Item).where(col(Item.sku).in_(skus))).scalars()}
    preceding = session.get(InvoiceRecord, request.preceding_invoice_id) if request.preceding_invoice_id else None
    return _Context(customer=session.get(Customer, request.customer_id), items=items, preceding=preceding)


def _document(
    request: InvoiceRequest, context: _Context, seller: Seller, number: str
) -> tuple[InvoiceDocument | None, list[Finding]]:
    """The e-invoice for the request, or what in our own data keeps it from being built."""
    customer = context.customer
    if customer is None:
        return None, [_finding("O2C-BUYER", f"customer {request.customer_id} is unknown")]
    buyer = Party(
        name=customer.name,
        street=customer.street or "",
        postal_code=customer.postal_code or "",
        city=customer.city or "",
        country=customer.address_country or customer.country,
        vat_id=customer.vat_id,
        email=customer.invoice_email,
    )
    try:
        lines = [_document_line(line, context, seller.party, buyer) for line in request.lines]
    except ValueError as err:  # an exempt item without its reason
        return None, [_finding("O2C-VAT", str(err))]
    if customer.buyer_reference:  # an XRechnung: the German CIUS's rules on our data, before the schematron
        missing = [rule for rule, value in (("BR-DE-8", buyer.city), ("BR-DE-9", buyer.postal_code)) if not value]
        if missing:
            return None, [
                _finding(
                    rule,
                    f"XRechnung needs the buyer's {what}: complete the customer (PATCH "
                    f"/api/v1/customers/{customer.id}) and retry the invoice",
                )
                for rule, what in (("BR-DE-8", "city"), ("BR-DE-9", "post code"))
                if rule in missing
            ]
    terms = PaymentTerms(request.payment_terms_days, request.discount_days, request.discount_percent)
    preceding = context.preceding
    credit = request.document_type == CREDIT_NOTE
    return (
        InvoiceDocument(
            document_type="381" if credit else "380",
            number=number,
            issue_date=request.issue_date,
            currency=request.currency,
            seller=seller.party,
            buyer=buyer,
            buyer_reference=customer.buyer_reference,
            order_reference=request.order_reference,
            preceding_invoice_number=preceding.number if preceding else None,
            preceding_invoice_date=preceding.issue_date if preceding else None,
            delivery_date=request.delivery_date or request.issue_date,
            due_date=None if credit else terms.due_date(request.issue_date),
            payment_terms=(request.reason or "credit note") if credit else terms.text(),
            discount_days=None if credit else request.discount_days,
            discount_percent=None if credit else request.discount_percent,
            payment_account=seller.account,  # XRechnung wants payment instructions on credit notes too (BR-DE-1)
            lines=lines,
            notes=[f"Reason: {request.reason}"] if credit and request.reason else [],
            order_id=request.order_id,
        ),
        [],
    )


def _document_line(line: InvoiceLineIn, context: _Context, seller: Party, buyer: Party) -> DocumentLine:
    if line.vat_category:  # decided before (a credit note repeats its invoice's treatment)
        category, rate, reason = VatCategory(line.vat_category), line.vat_rate, line.exemption_reason
    else:
        item = context.items.get(line.sku)
        category, rate, reason = tax.vat_treatment(
            seller.country,
            buyer.country,
            buyer.vat_id,
            "services" if item is not None and item.supply == "services" else "goods",
            VatCategory(item.tax_category) if item is not None else VatCategory.S,
            line.vat_rate,
            item.tax_exemption_reason if item is not None else None,
        )
    return DocumentLine(
        line_id=str(line.line_no),
        sku=line.sku,
        name=line.name,
        quantity=Decimal(line.quantity),
        unit_code=context.items[line.sku].unit if line.sku in context.items else "C62",
        unit_price=line.unit_price,
        net_amount=round_money(line.unit_price * line.quantity),
        vat_category=category,
        vat_rate=rate,
        exemption_reason=reason,
        buyer_item_id=line.customer_part_number,
        order_line_id=str(line.line_no) if line.line_no else None,
    )


def _finding(rule_id: str, text: str) -> Finding:
    return Finding(rule_id=rule_id, level="error", location="order2cash", text=text)


def _block(engine: Engine, request: InvoiceRequest, key: str, findings: list[Finding]) -> None:
    gross = total([line_amounts(li.quantity, li.unit_price, li.vat_rate) for li in request.lines]).gross
    now = datetime.now(UTC)
    with session_scope(engine, write_lock=True) as session:
        row = session.get(BlockedInvoice, (request.seller_id, key))
        if row is None:
            row = BlockedInvoice(
                seller_id=request.seller_id,
                issue_key=key,
                order_id=request.order_id,
                customer_id=request.customer_id,
                document_type=request.document_type,
                currency=request.currency,
                gross_total=gross,
                findings=[],
                attempts=0,
                blocked_at=now,
                checked_at=now,
            )
            session.add(row)
        row.findings = [f.model_dump() for f in findings]
        row.attempts += 1
        row.checked_at = now
        row.resolved_at = None


def _issue_checked(
    engine: Engine, request: InvoiceRequest, key: str, draft: InvoiceDocument, seller: Seller
) -> Invoice:
    with session_scope(engine, write_lock=True) as session:
        existing = _by_key(session, request.seller_id, key)
        if existing is not None:
            return _to_model(session, existing)
        year = request.issue_date.year
        number = invoice_number(year, _next_number(session, request.seller_id, year))
        document = draft.model_copy(update={"number": number})
        xml = documents.to_cii_xml(document)
        pdf = documents.to_pdf(document, xml)
        amounts = tax.totals(document.lines)
        by_line = {str(li.line_no): li for li in request.lines}
        credit = request.document_type == CREDIT_NOTE
        now = datetime.now(UTC)
        record = InvoiceRecord(
            id=f"{'CN' if credit else 'INV'}-{request.seller_id}-{number}",
            seller_id=request.seller_id,
            number=number,
            order_id=request.order_id,
            issue_key=key,
            customer_id=request.customer_id,
            currency=request.currency,
            issue_date=request.issue_date,
            due_date=document.due_date or request.issue_date,
            payment_terms_days=request.payment_terms_days,
            net_total=amounts.line_total,
            vat_total=amounts.tax_total,
            gross_total=amounts.grand_total,
            lines=[_stored_line(by_line[dl.line_id], dl) for dl in document.lines],
            created_at=now,
            document_type=request.document_type,
            suborder_id=request.suborder_id,
            preceding_invoice_id=request.preceding_invoice_id,
            reason=request.reason,
            discount_percent=document.discount_percent,
            discount_until=PaymentTerms(
                request.payment_terms_days, request.discount_days, request.discount_percent
            ).discount_until(request.issue_date),
            buyer_reference=document.buyer_reference,
            order_reference=document.order_reference,
        )
        session.add(record)
        session.flush()
        session.add(InvoiceDocumentRow(invoice_id=record.id, xml=xml, pdf=pdf, profile=_profile(xml), created_at=now))
        blocked = session.get(BlockedInvoice, (request.seller_id, key))
        if blocked is not None:
            blocked.resolved_at, blocked.invoice_id = now, record.id
        if credit and request.preceding_invoice_id:
            _credit(session, request.preceding_invoice_id, record.gross_total, request.issue_date)
        session.flush()
        return _to_model(session, record)


def _stored_line(line: InvoiceLineIn, document_line: DocumentLine) -> dict:
    """The line as the invoice row keeps it: with its VAT treatment (a credit note repeats it); the
    line's VAT is shown per line, the document's VAT per group (invoicing/tax.py)."""
    vat = round_money(document_line.net_amount * document_line.vat_rate)
    return InvoiceLine(
        **line.model_dump(exclude={"vat_category", "exemption_reason", "vat_rate"}),
        vat_rate=document_line.vat_rate,
        vat_category=document_line.vat_category.value,
        exemption_reason=document_line.exemption_reason,
        net_amount=document_line.net_amount,
        vat_amount=vat,
        gross_amount=document_line.net_amount + vat,
    ).model_dump(mode="json")


def _profile(xml: bytes) -> str:
    root = etree.fromstring(xml, SAFE_PARSER)
    found = root.xpath("//*[local-name()='GuidelineSpecifiedDocumentContextParameter']/*[local-name()='ID']/text()")
    return str(found[0]) if found else ""


def _credit(session, invoice_id: str, amount: Decimal, on: date) -> None:
    """A credit note reduces its invoice: what is owed, and its status once nothing is."""
    invoice = session.get(InvoiceRecord, invoice_id, with_for_update=True)
    if invoice is None:
        return
    invoice.credited_total = invoice.credited_total + amount
    _settle_status(invoice, on)


def _settle_status(invoice: InvoiceRecord, on: date) -> None:
    owed = amount_due(
        gross=invoice.gross_total,
        credited=invoice.credited_total,
        paid=invoice.paid_total,
        discount_percent=invoice.discount_percent,
        discount_until=invoice.discount_until,
        on=on,
    )
    if owed > 0:
        return
    invoice.status = PAID if invoice.paid_total > 0 or invoice.credited_total < invoice.gross_total else CREDITED
