"""Invoices: gapless unique numbers under concurrency, idempotent issuing, amounts, due dates and
payments, on SQLite and PostgreSQL. Each test issues for its own seller, so numbering starts at 1."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core.database import session_scope
from invoicing.issuing import get_invoice, issue_invoice, record_payment
from invoicing.tables import InvoiceRecord, InvoiceSequence, PaymentRow
from models.actors import Actor
from models.invoices import InvoiceLineIn, InvoiceRequest, PaymentIn

FINANCE = Actor(id="finance@seller.example", roles=["finance"])
ISSUED = date(2026, 11, 27)
SWITCH = InvoiceLineIn(
    line_no=1, sku="SW-24-PRO", name="Switch", quantity=1, unit_price=Decimal("1450.00"), vat_rate=Decimal("0.19")
)
CABLES = InvoiceLineIn(
    line_no=2, sku="CBL-CAT6-5M", name="Cable", quantity=3, unit_price=Decimal("4.20"), vat_rate=Decimal("0.19")
)


def new_seller() -> str:
    return f"s-{uuid.uuid4().hex[:8]}"


def request(
    seller_id: str, order_id: str | None = None, *, lines=(SWITCH, CABLES), terms: int = 30, issued: date = ISSUED
) -> InvoiceRequest:
    return InvoiceRequest(
        seller_id=seller_id,
        order_id=order_id or f"O-{uuid.uuid4().hex[:10]}",
        customer_id="acme",
        currency="EUR",
        payment_terms_days=terms,
        issue_date=issued,
        lines=list(lines),
    )


def test_concurrent_issuers_get_gapless_unique_numbers(db):
    seller = new_seller()
    requests = [request(seller) for _ in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        invoices = list(pool.map(lambda r: issue_invoice(db, r), requests))
    assert sorted(i.number for i in invoices) == [f"2026-{n:06d}" for n in range(1, 21)]
    assert len({i.invoice_id for i in invoices}) == 20
    assert {i.order_id for i in invoices} == {r.order_id for r in requests}
    with session_scope(db) as session:
        stored = session.execute(select(InvoiceRecord.number).where(InvoiceRecord.seller_id == seller)).scalars().all()
        assert sorted(stored) == [f"2026-{n:06d}" for n in range(1, 21)]
        assert session.get(InvoiceSequence, (seller, 2026)).next_value == 21


def test_concurrent_issuers_on_an_existing_sequence(db):
    seller = new_seller()
    issue_invoice(db, request(seller))  # the year's sequence row exists already
    with ThreadPoolExecutor(max_workers=10) as pool:
        invoices = list(pool.map(lambda r: issue_invoice(db, r), [request(seller) for _ in range(10)]))
    assert sorted(i.number for i in invoices) == [f"2026-{n:06d}" for n in range(2, 12)]


def test_numbering_is_per_seller_and_year(db):
    seller, other = new_seller(), new_seller()
    assert issue_invoice(db, request(seller)).number == "2026-000001"
    assert issue_invoice(db, request(seller)).number == "2026-000002"
    assert issue_invoice(db, request(other)).number == "2026-000001"
    assert issue_invoice(db, request(seller, issued=date(2027, 1, 2))).number == "2027-000001"
    assert issue_invoice(db, request(seller)).number == "2026-000003"


def test_issuing_twice_for_the_same_order_returns_the_same_invoice(db):
    seller = new_seller()
    first = issue_invoice(db, request(seller, "O-1"))
    again = issue_invoice(db, request(seller, "O-1"))
    assert again == first
    assert issue_invoice(db, request(seller, "O-2")).number == "2026-000002"  # no number was used up
    with session_scope(db) as session:
        count = session.execute(
            select(func.count())
            .select_from(InvoiceRecord)
            .where(InvoiceRecord.seller_id == seller, InvoiceRecord.order_id == "O-1")
        ).scalar_one()
    assert count == 1


def test_concurrent_retries_for_the_same_order_get_one_invoice(db):
    seller = new_seller()
    same = request(seller, "O-RETRIED")
    with ThreadPoolExecutor(max_workers=5) as pool:
        invoices = list(pool.map(lambda _: issue_invoice(db, same), range(5)))
    assert {i.invoice_id for i in invoices} == {invoices[0].invoice_id}
    assert invoices[0].number == "2026-000001"
    assert issue_invoice(db, request(seller)).number == "2026-000002"  # and no gap


def test_amounts_per_line_and_in_total(db):
    invoice = issue_invoice(db, request(new_seller()))
    assert [(li.sku, li.net_amount, li.vat_amount, li.gross_amount) for li in invoice.lines] == [
        ("SW-24-PRO", Decimal("1450.00"), Decimal("275.50"), Decimal("1725.50")),
        ("CBL-CAT6-5M", Decimal("12.60"), Decimal("2.39"), Decimal("14.99")),  # VAT 2.394
    ]
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("1462.60"),
        Decimal("277.89"),
        Decimal("1740.49"),
    )
    assert invoice.currency == "EUR" and invoice.customer_id == "acme"
    # as stored: read back from the database, amounts are exact Decimals
    stored = get_invoice(db, invoice.invoice_id)
    assert stored == invoice
    assert all(type(v) is Decimal for li in stored.lines for v in (li.unit_price, li.net_amount, li.vat_rate))
    assert type(stored.gross_total) is Decimal


def test_due_date_is_issue_date_plus_payment_terms(db):
    seller = new_seller()
    for terms, text in ((30, "30 days net"), (14, "14 days net"), (0, "due on receipt")):
        invoice = issue_invoice(db, request(seller, terms=terms))
        assert invoice.issue_date == ISSUED
        assert invoice.due_date == ISSUED + timedelta(days=terms)
        assert invoice.payment_terms == text
    # across a month and a year end
    invoice = issue_invoice(db, request(seller, terms=30, issued=date(2026, 12, 15)))
    assert invoice.due_date == date(2027, 1, 14)


def test_a_payment_is_booked_once_per_reference(db):
    invoice = issue_invoice(db, request(new_seller()))

    def pay(amount, ref):
        return record_payment(
            db,
            PaymentIn(invoice_id=invoice.invoice_id, amount=Decimal(amount), reference=ref, actor=FINANCE),
        )

    first = pay("1000.00", "BANK-1")
    assert first.added and first.paid_total == Decimal("1000.00")
    again = pay("1000.00", "BANK-1")
    assert not again.added and again.paid_total == Decimal("1000.00")
    rest = pay("740.49", "BANK-2")
    assert rest.added and rest.paid_total == Decimal("1740.49")
    stored = get_invoice(db, invoice.invoice_id)
    assert stored.paid_total == stored.gross_total
    assert [(p.reference, p.amount, p.recorded_by) for p in stored.payments] == [
        ("BANK-1", Decimal("1000.00"), "finance@seller.example"),
        ("BANK-2", Decimal("740.49"), "finance@seller.example"),
    ]


def test_the_same_reference_on_another_invoice_is_another_payment(db):
    seller = new_seller()
    one, two = issue_invoice(db, request(seller)), issue_invoice(db, request(seller))
    for invoice in (one, two):
        result = record_payment(
            db, PaymentIn(invoice_id=invoice.invoice_id, amount=Decimal("10.00"), reference="BANK-SAME", actor=FINANCE)
        )
        assert result.added and result.paid_total == Decimal("10.00")


def test_concurrent_repeats_of_a_payment_count_once(db):
    invoice = issue_invoice(db, request(new_seller()))
    payment = PaymentIn(invoice_id=invoice.invoice_id, amount=Decimal("100.00"), reference="BANK-DUP", actor=FINANCE)
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(lambda _: record_payment(db, payment), range(5)))
    assert sum(r.added for r in results) == 1
    assert {r.paid_total for r in results} == {Decimal("100.00")}
    with session_scope(db) as session:
        assert (
            session.execute(
                select(func.count()).select_from(PaymentRow).where(PaymentRow.invoice_id == invoice.invoice_id)
            ).scalar_one()
            == 1
        )
