"""Finance's figures on rows the tests insert: aging buckets and the overdue part, credit notes and
the cash discount window in open amounts, DSO, the invoice list's statuses and paging, blocked
documents; on SQLite and PostgreSQL. Each test uses customers of its own (module database)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.database import session_scope
from invoicing import receivables
from invoicing.tables import CREDIT_NOTE, INVOICE, PAID, BlockedInvoice, InvoiceRecord
from models.receivables import InvoiceQuery
from tests.dbs import database_fixture

# a database of this module's own: DSO counts every customer's invoices
db = database_fixture(scope="module")

AS_OF = date(2026, 6, 30)
D = Decimal


def customer() -> str:
    return f"c-{uuid.uuid4().hex[:8]}"


def invoice(customer_id: str, age_days: int, gross: str = "100.00", **fields) -> InvoiceRecord:
    """An invoice issued `age_days` before AS_OF, 30 days net."""
    issued = AS_OF - timedelta(days=age_days)
    invoice_id = f"inv-{uuid.uuid4().hex[:12]}"
    values = {
        "id": invoice_id,
        "seller_id": "seller",
        "number": f"T-{uuid.uuid4().hex[:10]}",
        "order_id": f"O-{uuid.uuid4().hex[:8]}",
        "customer_id": customer_id,
        "currency": "EUR",
        "issue_date": issued,
        "due_date": issued + timedelta(days=30),
        "payment_terms_days": 30,
        "net_total": D(gross),
        "vat_total": D("0.00"),
        "gross_total": D(gross),
        "lines": [],
        "created_at": datetime.now(UTC),
        "issue_key": f"key-{invoice_id}",
        **fields,
    }
    return InvoiceRecord(**values)


def insert(engine, *rows) -> None:
    with session_scope(engine) as session:
        session.add_all(rows)


def open_items(engine, customer_id: str, as_of: date = AS_OF):
    with session_scope(engine) as session:
        return receivables.open_items(session, as_of, customer_id)


def test_aging_buckets_by_days_since_the_invoice_date_and_the_overdue_part(db):
    c = customer()
    insert(db, *(invoice(c, age) for age in (0, 30, 31, 60, 61, 90, 91, 200)))
    insert(
        db,
        invoice(c, 10, status=PAID, paid_total=D("100.00")),  # settled: not an open item
        invoice(c, 5, paid_total=D("40.00")),  # partly paid: 60 open
        invoice(c, -1),  # issued after as_of
        invoice(c, 45, gross="50.00", currency="CHF"),
    )
    result = open_items(db, c)
    eur, chf = sorted(result.customers, key=lambda g: g.currency != "EUR")
    assert (eur.currency, chf.currency) == ("EUR", "CHF")
    assert eur.buckets.model_dump() == {
        "days_0_30": D("260.00"),
        "days_31_60": D("200.00"),
        "days_61_90": D("200.00"),
        "over_90": D("200.00"),
    }
    assert eur.open_total == D("860.00") and len(eur.items) == 9
    assert eur.overdue == D("600.00")  # 30 days net: the invoices older than 30 days
    assert chf.buckets.days_31_60 == D("50.00") and chf.overdue == D("50.00")
    by_age = {item.age_days: item for item in eur.items}
    assert by_age[91].days_overdue == 61 and by_age[91].status == "overdue" and by_age[30].days_overdue == 0
    totals = {t.currency: t for t in result.totals}
    assert totals["EUR"].open_total == D("860.00") and totals["CHF"].open_total == D("50.00")


def test_a_credit_note_reduces_its_invoice_and_owes_nothing_itself(db):
    c = customer()
    original = invoice(c, 20, gross="1190.00", credited_total=D("190.00"))
    credit = invoice(c, 10, gross="190.00", document_type=CREDIT_NOTE, preceding_invoice_id=original.id)
    insert(db, original, credit)
    (group,) = open_items(db, c).customers
    assert [(i.invoice_id, i.open_amount) for i in group.items] == [(original.id, D("1000.00"))]
    with session_scope(db) as session:
        listed, _ = receivables.list_invoices(session, InvoiceQuery(customer_id=c), None, AS_OF)
    assert [(i.document_type, i.open_amount, i.preceding_invoice_id) for i in listed] == [
        ("381", D("0.00"), original.id),
        ("380", D("1000.00"), None),
    ]
    # fully credited: nothing open
    c2 = customer()
    insert(db, invoice(c2, 20, credited_total=D("100.00")))
    assert open_items(db, c2).customers == []


def test_the_cash_discount_counts_only_inside_its_window(db):
    c = customer()
    row = invoice(
        c,
        5,
        gross="1000.00",
        credited_total=D("100.00"),
        discount_percent=D("2.00"),
        discount_until=AS_OF + timedelta(days=9),
    )
    insert(db, row)
    # 2 % off what is owed after the credit note (900.00) while the window is open
    assert open_items(db, c).customers[0].open_total == D("882.00")
    assert open_items(db, c, AS_OF + timedelta(days=9)).customers[0].open_total == D("882.00")
    assert open_items(db, c, AS_OF + timedelta(days=10)).customers[0].open_total == D("900.00")


def test_days_sales_outstanding_per_currency(db):
    # a currency no other test of this module uses: DSO counts every customer
    c = customer()
    insert(
        db,
        invoice(c, 10, gross="2000.00", currency="JPY", paid_total=D("500.00")),  # 1500 open
        invoice(c, 89, gross="1200.00", currency="JPY", status=PAID, paid_total=D("1200.00")),
        invoice(c, 30, gross="200.00", currency="JPY", document_type=CREDIT_NOTE),
        invoice(c, 120, gross="300.00", currency="JPY"),  # before the period: open, not sales
        invoice(c, 90, gross="999.00", currency="JPY", status=PAID, paid_total=D("999.00")),  # day 91: outside
    )
    with session_scope(db) as session:
        dso = receivables.days_sales_outstanding(session, AS_OF, 90)
        short = receivables.days_sales_outstanding(session, AS_OF, 5)
    assert dso.period_from == AS_OF - timedelta(days=89)
    (jpy,) = [f for f in dso.figures if f.currency == "JPY"]
    assert jpy.open_receivables == D("1800.00") and jpy.invoiced == D("3000.00")  # 2000 + 1200 - 200
    assert jpy.dso == 54.0  # 1800 / 3000 x 90
    (nothing_sold,) = [f for f in short.figures if f.currency == "JPY"]
    assert nothing_sold.invoiced == D("0.00") and nothing_sold.dso is None


def test_the_list_shows_an_open_invoice_past_due_as_overdue_and_filters_by_it(db):
    c = customer()
    due_later, past_due, marked = invoice(c, 10), invoice(c, 40), invoice(c, 50, status="overdue", dunning_level=1)
    paid = invoice(c, 60, status=PAID, paid_total=D("100.00"))
    insert(db, due_later, past_due, marked, paid)

    def listed(**filters) -> list[str]:
        with session_scope(db) as session:
            rows, _ = receivables.list_invoices(session, InvoiceQuery(customer_id=c, **filters), None, AS_OF)
        return [row.invoice_id or "" for row in rows]

    assert listed() == [due_later.id, past_due.id, marked.id, paid.id]
    assert listed(status="overdue") == [past_due.id, marked.id]
    assert listed(status="open") == [due_later.id]
    assert listed(status="paid") == [paid.id]
    assert listed(issued_from=AS_OF - timedelta(days=40), issued_to=AS_OF - timedelta(days=10)) == [
        due_later.id,
        past_due.id,
    ]
    assert listed(document_type=INVOICE, status="credited") == []


def test_the_list_pages_with_a_cursor_and_refuses_a_foreign_one(db):
    c = customer()
    rows = [invoice(c, age % 3) for age in range(7)]  # the same days: the id breaks the tie
    insert(db, *rows)
    seen, cursor = [], None
    with session_scope(db) as session:
        while True:
            page, cursor = receivables.list_invoices(
                session, InvoiceQuery(customer_id=c, limit=3, cursor=cursor), None, AS_OF
            )
            seen += [item.invoice_id for item in page]
            if cursor is None:
                break
        expected = [r.id for r in sorted(rows, key=lambda r: (r.issue_date, r.id), reverse=True)]
        assert seen == expected
        for foreign in ("not-a-cursor", receivables._encode(["b", "2026-01-01T00:00:00+00:00", "s", "k"])):
            with pytest.raises(ValueError):
                receivables.list_invoices(session, InvoiceQuery(cursor=foreign), None, AS_OF)
        # a customer's people: only their customer's documents
        assert receivables.list_invoices(session, InvoiceQuery(customer_id=c), ["someone-else"], AS_OF) == ([], None)


def test_blocked_documents_with_their_findings_until_resolved(db):
    c = customer()
    at = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    findings = [
        {"rule_id": "BR-DE-15", "level": "error", "location": "/rsm:CrossIndustryInvoice", "text": "BT-10 missing"},
        {"rule_id": "BR-CO-10", "level": "error", "location": None, "text": "sum of lines"},
    ]

    def blocked(key: str, minutes: int, **fields) -> BlockedInvoice:
        values = {
            "seller_id": "seller",
            "issue_key": f"{c}-{key}",
            "order_id": f"O-{key}",
            "customer_id": c,
            "document_type": INVOICE,
            "currency": "EUR",
            "gross_total": D("119.00"),
            "findings": findings,
            "blocked_at": at + timedelta(minutes=minutes),
            "checked_at": at + timedelta(minutes=minutes),
            **fields,
        }
        return BlockedInvoice(**values)

    insert(db, blocked("a", 0), blocked("b", 1), blocked("c", 2, resolved_at=at, invoice_id="inv-x"))
    with session_scope(db) as session:
        views = receivables.blocked_invoices(session, c)
        assert [v.order_id for v in views] == ["O-a", "O-b"]
        assert [f.rule_id for f in views[0].findings] == ["BR-DE-15", "BR-CO-10"]
        assert views[0].blocked_at == at
        first, cursor = receivables.list_invoices(
            session, InvoiceQuery(customer_id=c, status="blocked", limit=1), None, AS_OF
        )
        assert [(i.order_id, i.number, i.findings_count, i.status) for i in first] == [("O-b", None, 2, "blocked")]
        rest, end = receivables.list_invoices(
            session, InvoiceQuery(customer_id=c, status="blocked", limit=1, cursor=cursor), None, AS_OF
        )
        assert [i.order_id for i in rest] == ["O-a"] and end is None  # the resolved one is not listed
        on_day = InvoiceQuery(customer_id=c, status="blocked", issued_from=date(2026, 6, 2))
        assert receivables.list_invoices(session, on_day, None, AS_OF) == ([], None)


@pytest.mark.parametrize(("age", "bucket"), [(0, "days_0_30"), (30, "days_0_30"), (31, "days_31_60"), (91, "over_90")])
def test_bucket_edges(age, bucket):
    assert receivables.bucket_of(age) == bucket
