"""E-invoices issued from the database (invoicing/issuing.py `issue_document`), on SQLite and
PostgreSQL: gapless numbers under concurrency, a broken document blocked without taking a number,
idempotent issue keys, credit notes reducing their invoice, payments settling with the cash
discount. Each test issues for its own seller, so numbering starts at 1."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from catalog.tables import Item
from core.database import session_scope
from core.settings import Settings
from invoicing import credit_notes
from invoicing import service as invoicing
from invoicing.issuing import get_invoice, issue_document, record_payment
from invoicing.tables import BlockedInvoice, InvoiceDocumentRow, InvoiceRecord
from models.actors import Actor
from models.invoices import CreditLine, CreditNoteBody, InvoiceLineIn, InvoiceRequest, PaymentIn
from tests.invoicing.official import VALIDATE, official_check

FINANCE = Actor(id="finance@seller.example", roles=["finance"])
ISSUED = date(2026, 11, 27)
SELLER = invoicing.seller(Settings())
CABLES = InvoiceLineIn(
    line_no=1, sku="CBL-CAT6-5M", name="Cable", quantity=10, unit_price=Decimal("4.20"), vat_rate=Decimal("0.19")
)


def request(seller_id: str, customer_id: str = "acme", *, lines=(CABLES,), **terms) -> InvoiceRequest:
    order_id = f"O-{uuid.uuid4().hex[:10]}"
    return InvoiceRequest(
        seller_id=seller_id,
        order_id=order_id,
        customer_id=customer_id,
        currency="EUR",
        payment_terms_days=terms.pop("days", 30),
        issue_date=ISSUED,
        lines=list(lines),
        issue_key=order_id,
        **terms,
    )


def new_seller() -> str:
    return f"s-{uuid.uuid4().hex[:8]}"


def test_concurrent_e_invoices_get_gapless_unique_numbers_and_each_its_document(db):
    seller = new_seller()
    requests = [request(seller) for _ in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda r: issue_document(db, SELLER, r), requests))
    numbers = sorted(r.invoice.number for r in results if r.invoice)
    assert numbers == [f"2026-{n:06d}" for n in range(1, 13)]
    with session_scope(db) as session:
        ids = [r.invoice.invoice_id for r in results if r.invoice]
        documents = session.execute(select(InvoiceDocumentRow).where(InvoiceDocumentRow.invoice_id.in_(ids))).scalars()
        assert len({d.invoice_id for d in documents if d.xml.startswith(b"<?xml") and d.pdf.startswith(b"%PDF")}) == 12


def test_the_same_issue_key_is_the_same_invoice(db):
    seller = new_seller()
    first = request(seller)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: issue_document(db, SELLER, first), range(4)))
    assert {r.invoice.invoice_id for r in results} == {results[0].invoice.invoice_id}
    assert issue_document(db, SELLER, request(seller)).invoice.number == "2026-000002"  # no gap


@pytest.fixture
def exempt_item(db):
    """An item the seller sells VAT-exempt (category E), first without the reason E needs."""
    sku = f"TRAIN-{uuid.uuid4().hex[:6]}"
    with session_scope(db) as session:
        session.add(
            Item(
                sku=sku,
                name="Training course",
                category="services",
                list_price=Decimal("300.00"),
                delivery_unit_id="installco",
                tax_category="E",
                vat_rate=Decimal("0"),
                supply="services",
            )
        )
    return sku


def test_a_broken_document_is_blocked_without_a_number_and_issued_once_fixed(db, exempt_item):
    seller = new_seller()
    line = InvoiceLineIn(
        line_no=1, sku=exempt_item, name="Training", quantity=2, unit_price=Decimal("300.00"), vat_rate=Decimal("0")
    )
    blocked = request(seller, lines=(line,))
    result = issue_document(db, SELLER, blocked)
    assert result.invoice is None and [f.rule_id for f in result.findings] == ["O2C-VAT"]
    again = issue_document(db, SELLER, blocked)
    assert again.invoice is None
    with session_scope(db) as session:
        row = session.get(BlockedInvoice, (seller, blocked.issue_key))
        assert row.attempts == 2 and row.resolved_at is None and row.findings[0]["rule_id"] == "O2C-VAT"
        assert session.execute(select(InvoiceRecord).where(InvoiceRecord.seller_id == seller)).first() is None
        session.get(Item, exempt_item).tax_exemption_reason = "Exempt under § 4 Nr. 21 UStG"

    issued = issue_document(db, SELLER, blocked).invoice
    assert issued is not None and issued.number == "2026-000001"  # the blocked attempts took none
    assert issued.vat_total == Decimal("0.00") and issued.lines[0].vat_category == "E"
    with session_scope(db) as session:
        row = session.get(BlockedInvoice, (seller, blocked.issue_key))
        assert row.resolved_at is not None and row.invoice_id == issued.invoice_id
        xml = session.get(InvoiceDocumentRow, issued.invoice_id).xml
    assert b"<ram:CategoryCode>E</ram:CategoryCode>" in xml and b"4 Nr. 21 UStG" in xml
    if VALIDATE.exists():
        accepted, output = official_check(xml)
        assert accepted, output


def test_credit_notes_reduce_their_invoice_and_never_credit_more_than_it(db):
    seller = new_seller()
    invoice = issue_document(db, SELLER, request(seller)).invoice  # 10 x 4.20: 49.98 gross
    body = CreditNoteBody(lines=[CreditLine(line_no=1, quantity=4)], reason="returned")
    note = issue_document(db, SELLER, credit_notes.credit_request(invoice, [], body, ISSUED, "K1")).invoice
    assert note.document_type == "381" and note.number == "2026-000002" and note.gross_total == Decimal("19.99")
    assert note.preceding_invoice_id == invoice.invoice_id
    invoice = get_invoice(db, invoice.invoice_id)
    assert invoice.credited_total == Decimal("19.99") and [c.invoice_id for c in invoice.credit_notes] == [
        note.invoice_id
    ]
    # a price correction on the other six: 0.50 each
    price = CreditNoteBody(lines=[CreditLine(line_no=1, quantity=6, price_reduction=Decimal("0.50"))], reason="price")
    corrected = issue_document(db, SELLER, credit_notes.credit_request(invoice, [note], price, ISSUED, "K2")).invoice
    # more than is left on the line: refused, naming it
    too_much = CreditNoteBody(lines=[CreditLine(line_no=1, quantity=6)], reason="all of it")
    with pytest.raises(credit_notes.CreditRefused) as refused:
        credit_notes.credit_request(get_invoice(db, invoice.invoice_id), [note, corrected], too_much, ISSUED, "K3")
    assert refused.value.field == "lines.0"
    with pytest.raises(credit_notes.CreditRefused):
        credit_notes.credit_request(invoice, [], CreditNoteBody(lines=[CreditLine(line_no=9, quantity=1)], reason="x"),
                                    ISSUED, "K4")  # fmt: skip


def test_paid_within_the_discount_window_the_invoice_is_settled(db):
    seller = new_seller()
    invoice = issue_document(
        db, SELLER, request(seller, days=30, discount_days=14, discount_percent=Decimal("2.00"))
    ).invoice
    assert invoice.discount_until == ISSUED + timedelta(days=14)
    early = PaymentIn(
        invoice_id=invoice.invoice_id,
        amount=Decimal("48.98"),  # 49.98 less 2 %
        reference="B-1",
        actor=FINANCE,
        received_on=ISSUED + timedelta(days=14),
    )
    assert record_payment(db, early).settled
    assert get_invoice(db, invoice.invoice_id).status == "paid"

    other = issue_document(
        db, SELLER, request(seller, days=30, discount_days=14, discount_percent=Decimal("2.00"))
    ).invoice
    late = early.model_copy(update={"invoice_id": other.invoice_id, "received_on": ISSUED + timedelta(days=15)})
    assert not record_payment(db, late).settled
    assert get_invoice(db, other.invoice_id).status == "open"
